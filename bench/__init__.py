"""Benchmarks that print their figures (run as scripts: ``python bench/ledger_export.py``)."""
