"""Tests of viz/: the dashboard, with and without a browser, and their helpers."""
