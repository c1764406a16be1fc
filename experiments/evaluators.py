"""Interchangeable evaluators: run tasks serially, on local processes, or on a Dask cluster.

Each is an `Evaluator`: a context manager (start and stop its workers) with
`map_unordered(fn, items, *args)`, yielding results as they finish with a bounded number of
tasks in flight, so memory stays flat however many runs an experiment has. Every run is a pure
function of its inputs, so all evaluators give the same numbers.
"""

from __future__ import annotations

import multiprocessing
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Self


def default_workers() -> int:
    """The cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class Evaluator(ABC):
    """Where the runs of an experiment are computed.

    `name` and `workers` are recorded in the manifest; `shares_filesystem` says whether the
    workers can write into a result folder on this machine (then they write their runs' data
    parts themselves). Use an evaluator in a with-block: entering starts its workers, leaving
    stops them.
    """

    name: str
    workers: int
    shares_filesystem: bool

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    @abstractmethod
    def map_unordered(self, fn: Callable, items: Iterable, *args: Any) -> Iterator:
        """`fn(item, *args)` for every item, yielded as each finishes (in no particular order)."""


class SerialEvaluator(Evaluator):
    """Everything in this process, one run after another (debugging, tiny experiments)."""

    name = "serial"
    workers = 1
    shares_filesystem = False  # in this process: nothing to gain

    def map_unordered(self, fn: Callable, items: Iterable, *args: Any) -> Iterator:
        for item in items:
            yield fn(item, *args)


class ProcessEvaluator(Evaluator):
    """Local worker processes (the default): nothing to start, one process per core."""

    name = "processes"
    shares_filesystem = True

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        # Workers are forked from a clean server process that has already imported the model
        # (fast start, no state or threads inherited from this process).
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["experiments.task"])
        self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._pool is not None
        self._pool.shutdown(wait=True, cancel_futures=True)

    def map_unordered(self, fn: Callable, items: Iterable, *args: Any) -> Iterator:
        assert self._pool is not None, "use the evaluator in a with-block"
        pool = self._pool
        yield from _bounded(lambda item: pool.submit(fn, item, *args), items, 2 * self.workers)


class DaskEvaluator(Evaluator):
    """A Dask distributed cluster: an address `tcp://host:port`, or 'local' for a LocalCluster."""

    name = "dask"

    def __init__(self, address: str, workers: int | None = None) -> None:
        self.address = address
        # A LocalCluster's workers share this machine's disk; a remote cluster's may not.
        self.shares_filesystem = address == "local"
        self.workers = workers or default_workers()
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> Self:
        from distributed import Client, LocalCluster

        if self.address == "local":
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
            )
            self._client = Client(self._cluster)
        else:
            self._client = Client(self.address, timeout="30s")
            self.workers = max(1, len(self._client.scheduler_info()["workers"]))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def map_unordered(self, fn: Callable, items: Iterable, *args: Any) -> Iterator:
        from distributed import as_completed

        client = self._client
        assert client is not None, "use the evaluator in a with-block"
        in_flight = 2 * self.workers
        it = iter(items)
        pending = as_completed()
        for item in _take(it, in_flight):
            pending.add(client.submit(fn, item, *args, pure=False))
        for future in pending:
            result = future.result()
            future.release()
            for item in _take(it, 1):
                pending.add(client.submit(fn, item, *args, pure=False))
            yield result


def _take(it: Iterator, n: int) -> list:
    out = []
    for _ in range(n):
        try:
            out.append(next(it))
        except StopIteration:
            break
    return out


def _bounded(submit: Callable[[Any], Future], items: Iterable, limit: int) -> Iterator:
    """Keep at most `limit` futures in flight; yield results as they complete."""
    it = iter(items)
    pending = {submit(item) for item in _take(it, limit)}
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            for item in _take(it, 1):
                pending.add(submit(item))
            yield future.result()


def make_evaluator(workers: int | None, scheduler: str | None) -> Evaluator:
    """The evaluator the command line asks for."""
    if scheduler:
        return DaskEvaluator(scheduler, workers)
    if workers == 1:
        return SerialEvaluator()
    return ProcessEvaluator(workers)
