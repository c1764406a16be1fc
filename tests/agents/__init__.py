"""Tests of agents/: citizens, enterprises, offices, the city government."""
