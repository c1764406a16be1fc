"""`python -m cli` is the `govsim` command."""

from cli.main import main

main()
