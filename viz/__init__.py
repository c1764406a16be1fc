"""The Solara dashboard (Mesa's SolaraViz) for policymakers and classrooms: `viz.server.serve()`
starts it; see docs/dashboard.md."""
