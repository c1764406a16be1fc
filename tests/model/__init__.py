"""Tests of model/: cases and their flow, judging, the ledger, the city model, competition."""
