"""Thin Dagster declarations over the core: resources, partitions, assets."""

import warnings

import dagster as dg

# BackfillPolicy is the documented way to get one run per backfill; its beta label is not ours
# to act on, and it would otherwise print once per asset at every load.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)
