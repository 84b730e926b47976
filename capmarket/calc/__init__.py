"""The calculation engine: pure Polars and exact integers, no Django (``rules.md``, ``case-format.md``).

Layers, top to bottom (import-linter contract in ``pyproject.toml``; a module imports only the layers below it):

- ``cli`` — ``capmarket calc CASE_DIR --out OUT_DIR``: exit 0, 2 (``FILE:LINE`` errors) or 1, never a traceback.
- ``reserve_margins`` — the former import path of the reserve-margin functions (re-exports ``io`` and core).
- ``io`` — everything that touches files: ``case`` (read a case directory), ``validate`` (one validator for cases
  and bulk uploads: ``fast_path`` proves a table valid in one lazy pass, the eager steps list every error),
  ``columns``/``rows``/``read``/``context``/``messages`` (its parts), ``reserve_margins`` (OCCTO's published
  files), ``write`` (outputs and ``manifest.json``).
- ``engine`` — ``run(case=..., params=...)``: the named steps of one delivery year, ``CaseData`` in,
  ``CalcResult`` out.
- ``pipelines`` — the dense slot tables keyed once, every rule's lazy pipeline collected once.
- ``assessment`` (§2.1–2.5 slot pipelines), ``contract_months`` (yen per contract and month, statements),
  ``contributions`` (§4), ``adjustments`` (corrections of confirmed months, for settlement runs), ``slot_detail``
  (one contract-month's slots, for the review screens).
- ``penalties``, ``payments``, ``contract_amount``, ``splits`` (largest remainder), ``tight_slots`` (§2.2 from
  published margins).
- ``rules`` (versioned rule sets, typed exact parameters), ``schemas`` (Polars types of the catalogue),
  ``slots`` (time arithmetic, exact formatting).
- ``tables`` (the one catalogue of input tables and outputs: plain data) and ``market`` (areas, resource types).
"""
