"""Benchmarks of the lead path (issue "Lead capture"): webhook acknowledgement, freshness, burst,
backfill. Real processes on loopback: gunicorn, RQ workers, PostgreSQL, a private Redis and the
Graph sandbox. Run with ``.venv/bin/pytest tests/benchmarks/capture -s -p no:cacheprovider``."""
