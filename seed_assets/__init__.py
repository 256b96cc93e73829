"""seed-assets: deterministic synthetic data for a dating/social app, as Dagster assets."""

from seed_assets import versions

# The code version of the seeded tables: a digest of the generators' code and data (versions.py),
# recorded in the manifest and the seeded assets' Dagster code version, so a change to them marks
# older partitions stale. The derived tables' is ``versions.DERIVED`` (it covers jobs/ too).
GENERATOR_VERSION = versions.SEEDED
