"""The Solara dashboard (Mesa's model and grid, govsim's own controls) for policymakers and
classrooms: `viz.server.serve()` starts it; see docs/dashboard.md."""
