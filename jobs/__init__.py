"""Derived tables: the app's jobs as pure polars functions plus their thin Dagster assets.

jobs/ imports the core of seed_assets (scoring, load, partitions), never the reverse.
"""
