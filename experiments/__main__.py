"""`python -m experiments` is the `govsim` command."""

from experiments.cli import main

main()
