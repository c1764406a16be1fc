"""Running govsim: single simulations, the command line, results on disk."""

from experiments.simulate import RunResult, run_simulation, simulate

__all__ = ["RunResult", "run_simulation", "simulate"]
