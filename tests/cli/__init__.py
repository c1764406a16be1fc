"""Tests of cli/: the govsim command as a user runs it."""
