"""Tests of world/: calendar, catalogue, parameters, environment, queueing, interventions."""
