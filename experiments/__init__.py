"""Running govsim: single simulations, batch experiments (design, evaluators, result folders,
statistics, report, sensitivity). The command line is in `cli`."""

from experiments.simulate import RunResult, run_simulation, simulate

__all__ = ["RunResult", "run_simulation", "simulate"]
