"""Tests of experiments/: designs, evaluators, result folders, summaries, sensitivity."""
