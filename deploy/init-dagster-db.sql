-- Dagster's own storage (runs, events, schedules) in a database beside the seeded one.
CREATE DATABASE dagster OWNER seed;
