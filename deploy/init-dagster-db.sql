-- A separate database for Dagster's own storage, beside the seeded one.
CREATE DATABASE dagster OWNER seed;
