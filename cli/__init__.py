"""The `govsim` command line, above the experiments and the dashboard it starts."""
