"""Targets: where the simulation's rows land.

The simulation's tables (``schema/``) are the logical model. A *mapping* (``mapping.py``) says
how they land in a database: the native mapping is ``schema/`` itself (no mapping file = today's
behaviour); a mapping file renames tables and columns, maps values, derives ids and fills extra
columns from expressions (``expressions.py``) so that the rows fit an app's existing schema.
``draft.py`` proposes a mapping from a live catalog (matching names in ``names.py``, written out
by ``document.py``) and ``check.py`` compares one with it (``values.py``, ``fits.py``, ``keys.py``).

No Dagster here, and nothing writes: seeding through a mapping is not built yet.
"""
