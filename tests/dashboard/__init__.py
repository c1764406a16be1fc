"""Helpers for the dashboard tests (a synthetic experiment result folder, browser helpers)."""
