"""Moved to tests/viz/. Kept only so `benchmarks/dashboard_speed.py` (which imports
`tests.dashboard.browser`) runs; remove once it imports `tests.viz.browser`."""
