"""How far each user has walked their deck by the end of a day: a closed form, no prefix sums.

``K_u(d) = floor(r_u * (B * tau * (1 - exp(-t / tau)) + steady_u * t))`` with ``t`` the user's
activity-clock time since their origin (signup, or ``lookback_days`` before the start for older
users) up to the end of day ``d``. The activity clock runs faster on busy weekdays. Day ``d``'s
swipes are deck positions ``[K(d-1), K(d))``; the inverse (on which day is position k reached?)
is closed form too (Newton's method on the curve, then the clock's inverse).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seed_assets import calibration
from seed_assets.config import SeedParams
from seed_assets.generators.population import population
from seed_assets.rng import Rng

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
NEVER = np.int64(1 << 40)  # a day that never comes
HORIZON_DAYS = 4_000


@dataclasses.dataclass(frozen=True, eq=False)
class Budget:
    rate: F64  # swipes per activity-day at steady state
    steady: F64  # 1 for users who stay, 0 for those who churn after the burst
    origin: F64  # activity-clock time at which the user starts swiping
    burst: float
    tau: float
    clock_prefix: F64  # cumulative weekday weights within a week, 8 entries
    start_weekday: int

    def clock(self, day: NDArray[Any]) -> F64:
        """Activity-clock time at fractional day ``day`` (days since the start date)."""
        whole = np.floor(day)
        dow = (whole.astype(np.int64) + self.start_weekday) % 7
        week, in_week = np.divmod(whole.astype(np.int64) + self.start_weekday, 7)
        base = week * self.clock_prefix[7] + self.clock_prefix[in_week]
        weights = np.diff(self.clock_prefix)
        return base + (day - whole) * weights[dow] - self.clock_prefix[self.start_weekday]

    def walked(self, u: I64, day: I64) -> I64:
        """Deck positions consumed by users ``u`` by the end of day ``day`` (K_u(day))."""
        t = np.maximum(self.clock(day.astype(np.float64) + 1.0) - self.origin[u], 0.0)
        value = self.rate[u] * (
            self.burst * self.tau * -np.expm1(-t / self.tau) + self.steady[u] * t
        )
        return np.floor(value).astype(np.int64)

    def activity(self, u: I64, day: int) -> F64:
        """How active users are on ``day``, in steady-state days (0 before signup or after churn,
        above 1 in a new user's first weeks or on busy weekdays)."""
        days = np.full(len(u), day, dtype=np.int64)
        t1 = np.maximum(self.clock(days + 1.0) - self.origin[u], 0.0)
        t0 = np.maximum(self.clock(days.astype(np.float64)) - self.origin[u], 0.0)

        def curve(t: F64) -> F64:
            return self.burst * self.tau * -np.expm1(-t / self.tau) + self.steady[u] * t

        return curve(t1) - curve(t0)

    def unclock(self, time: F64) -> F64:
        """The inverse of :meth:`clock`: the fractional day at which the clock shows ``time``."""
        week_len = self.clock_prefix[7]
        shifted = time + self.clock_prefix[self.start_weekday]
        week = np.floor(shifted / week_len)
        rem = shifted - week * week_len
        in_week = np.clip(np.searchsorted(self.clock_prefix, rem, side="right") - 1, 0, 6)
        weights = np.diff(self.clock_prefix)
        frac = (rem - self.clock_prefix[in_week]) / weights[in_week]
        return week * 7 + in_week + frac - self.start_weekday

    def day_of(self, u: I64, position: I64) -> I64:
        """The day on which user u reaches deck ``position`` (``NEVER`` within the horizon).

        Solves ``curve(t) = position + 1`` for the clock time t (closed form for churned users,
        Newton's method from above for the others: the curve is increasing and concave), maps
        it back to a day, then checks against :meth:`walked` to absorb rounding at the edges.
        """
        target = (position + 1) / self.rate[u]
        cap = self.burst * self.tau
        steady = self.steady[u] > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(steady, target, -self.tau * np.log1p(-target / cap))
            for _ in range(8):
                g = cap * -np.expm1(-t / self.tau) + t - target
                t = np.where(steady, t - g / (1.0 + self.burst * np.exp(-t / self.tau)), t)
        reachable = (steady | (target < cap)) & np.isfinite(t)
        x = self.unclock(np.where(reachable, self.origin[u] + t, 0.0))
        day = np.clip(np.ceil(x).astype(np.int64) - 1, -HORIZON_DAYS, HORIZON_DAYS)
        for _ in range(2):  # rounding: move to the first day whose walk passes the position
            day = np.where(self.walked(u, day) > position, day, day + 1)
            day = np.where(self.walked(u, day - 1) > position, day - 1, day)
        ok = reachable & (day < HORIZON_DAYS) & (self.walked(u, day) > position)
        return np.where(ok, day, NEVER)


@lru_cache(maxsize=2)
def budget(params: SeedParams) -> Budget:
    act = calibration.load(params.calibration)["activity"]
    pop = population(params)
    p = pop.people
    s = Rng(params.run_seed).stream("budget")
    by_gender = np.array([act["swipe_rate_by_gender"][g] for g in ("male", "female", "nonbinary")])
    engagement = 0.4 + 1.2 * p.traits[:, 2]
    rate = (
        act["swipe_rate_median"]
        * by_gender[p.gender]
        * engagement
        * np.exp(act["swipe_rate_sigma"] * s.normal(p.ids, 1))
    )
    steady = (~s.bernoulli(act["churn_share"] * (1.3 - p.traits[:, 2]), p.ids, 2)).astype(float)
    weights = np.asarray(act["weekday_weights"], dtype=np.float64)
    prefix = np.concatenate([[0.0], np.cumsum(weights / weights.mean())])
    made = Budget(
        rate=rate,
        steady=steady,
        origin=np.zeros(pop.n),
        burst=float(act["burst_multiplier"]),
        tau=float(act["burst_days"]),
        clock_prefix=prefix,
        start_weekday=params.start_date.weekday(),
    )
    first_day = np.maximum(pop.signup_day, -float(act["lookback_days"]))
    return dataclasses.replace(made, origin=made.clock(first_day))


def day_index(params: SeedParams, day: dt.date) -> int:
    return (day - params.start_date).days
