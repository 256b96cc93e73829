"""Benchmarks of seed-assets: ``python -m bench <workload> [--repeat N] [--record]``.

Every figure is the median of N repetitions on a fresh embedded PostgreSQL, and every comparison
is a ratio of two measurements taken in the same repetition, so that the noise of a small shared
machine cancels as far as it can. Shared pieces (one module each): ``rss`` (peak RSS of a process
tree plus its PostgreSQL server), ``pg`` (fresh and re-attached embedded servers), ``seedcli``
(the real ``seed`` console script as a measured subprocess), ``rawload`` (the plain binary-COPY
bulk load that is each workload's upper bound), ``stats`` (medians and rates), ``report`` and
``machine`` (the rich table, and the sections appended to ``bench/RESULTS.md``).
"""
