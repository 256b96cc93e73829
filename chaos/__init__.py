"""The chaos suite: real `seed` subprocesses killed, raced, refused and fed hostile input.

Every scenario runs the venv's `seed` console script against real PostgreSQL databases (one
embedded server the suite starts itself; a fresh database per trial, copied from a prepared
template) with an isolated SEED_HOME and DAGSTER_HOME per trial, and compares the outcome with a
clean reference run of the same seed, table by table and partition by partition (row count and a
digest of the rows, and the ``seed_manifest`` rows). ``python -m chaos run`` runs every scenario
(``make chaos``); ``tests/test_chaos.py`` runs a reduced form through the same code.
"""
