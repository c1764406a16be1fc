"""The Solara dashboard (SolaraViz) for policymakers and classrooms: not built yet."""
