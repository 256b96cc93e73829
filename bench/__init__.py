"""Benchmarks of seed-assets: ``python -m bench <workload> [--repeat N] [--record]``.

The measuring parts: ``seedcli`` (the real ``seed`` console script as a timed subprocess),
``rss`` (peak RSS of its process tree and PostgreSQL server), ``rawload`` (the plain binary-COPY
load that is each workload's upper bound), ``peer`` (a typical seed script to compare with) and
``stats`` (medians and rates); the workloads ``identity``, ``activity`` and ``derived`` write their
results as JSON, from which ``report`` renders bench/RESULTS.md and ``plots`` the images.
"""
