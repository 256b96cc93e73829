"""seed-assets: deterministic synthetic data for a dating/social app, as Dagster assets."""

# Bump when a generator's output changes for the same parameters: it is recorded in the manifest
# and is every seeded asset's Dagster code version, so the UI marks older partitions stale.
GENERATOR_VERSION = "1"
