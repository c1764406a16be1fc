"""Tests of scenarios/: the catalogue and preset loader."""
