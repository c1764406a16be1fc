"""Interchangeable evaluators: run tasks serially, on local processes, or on a Dask cluster.

Each is an `Evaluator`: a context manager (start and stop its workers) with
`map_unordered(fn, items, *args)`, yielding results as they finish with a bounded number of
tasks in flight, so memory stays flat however many runs an experiment has. Every run is a pure
function of its inputs, so all evaluators give the same numbers.

A worker process that dies (killed, or out of memory) never takes the experiment down: the tasks
it had in flight are run again, each alone, and a task whose worker dies again while it runs
alone comes back as `WorkerLost` instead of a result. Local workers exit when the runner that
started them ends, so killing a runner leaves no worker behind.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Self

from world.errors import InputError

CONNECT_TIMEOUT = "5s"  # a scheduler that does not answer by then is not there
PROBE_SECONDS = 5.0


class EvaluatorError(InputError):
    """An evaluator that cannot start (a Dask scheduler that does not answer)."""


LOST = "its worker process died (killed, or out of memory) twice, the second time running alone"


@dataclass(frozen=True)
class WorkerLost:
    """What `map_unordered` yields for a task whose worker died: the task and why."""

    item: Any
    reason: str = LOST


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
        self._pool = self._start()
        return self

    def _start(self) -> ProcessPoolExecutor:
        # Workers are forked from a clean server process that has already imported the model
        # (fast start, no state or threads inherited from this process).
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["experiments.task"])
        return ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=die_with, initargs=(os.getpid(),)
        )

    def __exit__(self, *exc: object) -> None:
        assert self._pool is not None
        self._pool.shutdown(wait=True, cancel_futures=True)

    def map_unordered(self, fn: Callable, items: Iterable, *args: Any) -> Iterator:
        assert self._pool is not None, "use the evaluator in a with-block"
        queue = iter(items)
        alone: deque = deque()  # tasks that were in flight when a worker died: run one at a time
        pending: dict[Future, tuple[Any, bool]] = {}
        while True:
            if alone:
                if not pending:
                    item = alone.popleft()
                    pending[self._pool.submit(fn, item, *args)] = (item, True)
            else:
                for item in _take(queue, 2 * self.workers - len(pending)):
                    pending[self._pool.submit(fn, item, *args)] = (item, False)
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                item, isolated = pending.pop(future)
                if isinstance(future.exception(), BrokenProcessPool):
                    broken = True
                    if isolated:
                        yield WorkerLost(item)
                    else:
                        alone.append(item)
                else:
                    yield future.result()
            if broken:
                # The whole pool is gone: what finished is kept, the rest runs again, alone.
                for future, (item, _) in pending.items():
                    if future.done() and future.exception() is None:
                        yield future.result()
                    else:
                        alone.append(item)
                pending.clear()
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start()


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
            problem = probe_scheduler(self.address)
            if problem is None:
                try:
                    self._client = Client(self.address, timeout=CONNECT_TIMEOUT)
                except Exception as exc:
                    problem = type(exc).__name__
            if problem is not None:
                raise EvaluatorError(
                    f"--scheduler {self.address}: no Dask scheduler answered within"
                    f" {CONNECT_TIMEOUT} ({problem}); is it running, and is the address right?"
                )
            self.workers = max(1, len(self._client.scheduler_info()["workers"]))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def map_unordered(self, fn: Callable, items: Iterable, *args: Any) -> Iterator:
        from distributed import KilledWorker, as_completed

        client = self._client
        assert client is not None, "use the evaluator in a with-block"
        it = iter(items)
        pending = as_completed()
        item_of: dict[str, Any] = {}

        def submit(item: Any) -> None:
            future = client.submit(fn, item, *args, pure=False)
            item_of[future.key] = item
            pending.add(future)

        for item in _take(it, 2 * self.workers):
            submit(item)
        for future in pending:
            item = item_of.pop(future.key)
            try:
                result = future.result()
            except KilledWorker:  # Dask retried it on other workers; each of them died
                result = WorkerLost(item, "its Dask worker died at every try")
            future.release()
            for following in _take(it, 1):
                submit(following)
            yield result


def probe_scheduler(address: str, seconds: float = PROBE_SECONDS) -> str | None:
    """Ask `address` who it is, with a hard deadline; None if a Dask scheduler answers, else
    what went wrong. Dask's own client can wait for ever on a peer that accepts a connection but
    never speaks its protocol, or fail deep inside on one that sends other bytes."""
    import asyncio

    from distributed.comm import connect

    async def ask() -> Any:
        comm = await connect(address, timeout=seconds)
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            comm.abort()

    try:
        reply = asyncio.run(asyncio.wait_for(ask(), seconds))
    except TimeoutError:
        return "no answer"
    except Exception as exc:
        return type(exc).__name__
    if isinstance(reply, dict) and reply.get("type") == "Scheduler":
        return None
    return "not a Dask scheduler"


def _take(it: Iterator, n: int) -> list:
    out = []
    for _ in range(n):
        try:
            out.append(next(it))
        except StopIteration:
            break
    return out


def die_with(runner: int) -> None:
    """In a worker: exit as soon as the runner process `runner` ends (killed or not).

    Workers are children of multiprocessing's fork server, which they keep alive themselves, so
    nothing would otherwise stop them computing for nobody after `kill -9` of the runner. A
    thread waits on a Linux pidfd of the runner and ends the worker the moment it exits.
    """
    # Ctrl+C reaches the whole process group: the runner handles it, workers just stop quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        fd = os.pidfd_open(runner)
    except (OSError, AttributeError):  # the runner is already gone, or not Linux
        if not _alive(runner):
            os._exit(1)
        return

    def watch() -> None:
        select.select([fd], [], [])
        os._exit(1)

    threading.Thread(target=watch, name="govsim-die-with-runner", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def make_evaluator(workers: int | None, scheduler: str | None) -> Evaluator:
    """The evaluator the command line asks for."""
    if scheduler:
        return DaskEvaluator(scheduler, workers)
    if workers == 1:
        return SerialEvaluator()
    return ProcessEvaluator(workers)
