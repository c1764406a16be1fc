"""A counter queue: c civil servants serve one queue, with a priority lane (绿色通道).

Time is business time in hours (see `world.calendar`). `serve_window` runs one working day as a
non-preemptive priority M/G/c queue; with Poisson arrivals and exponential work it is exactly the
M/M/c queue of Erlang C, which the tests check.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from typing import Protocol


class Queued(Protocol):
    """What the queue needs of a job: arrival time, work in hours, lane, and whether it is live."""

    t: float
    work: float
    priority: bool

    def live(self) -> bool: ...


class CounterQueue:
    """Servers' next-free times and two FIFO lanes of waiting jobs, carried across days."""

    def __init__(self, n_servers: int) -> None:
        if n_servers < 1:
            raise ValueError("a counter queue needs at least one server")
        self._heap: list[tuple[float, int]] = [(0.0, k) for k in range(n_servers)]
        self.priority_lane: deque = deque()
        self.normal_lane: deque = deque()

    @property
    def n_servers(self) -> int:
        return len(self._heap)

    def __len__(self) -> int:
        return len(self.priority_lane) + len(self.normal_lane)

    def resize(self, n_servers: int) -> None:
        """Open or close counters; closed servers finish nothing further."""
        if n_servers < 1:
            raise ValueError("a counter queue needs at least one server")
        kept = [e for e in self._heap if e[1] < n_servers]  # counter k is servant k's
        have = {k for _, k in kept}
        # A new counter is free from the next opening (serve_window clamps to it).
        kept += [(0.0, k) for k in range(n_servers) if k not in have]
        self._heap = kept
        heapq.heapify(self._heap)

    def serve_window(
        self,
        arrivals: Sequence[Queued],
        t_open: float,
        t_close: float,
        speed: Sequence[float],
    ) -> list[tuple[Queued, int, float, float]]:
        """Serve one working day [t_open, t_close); arrivals sorted by `t` inside it.

        Returns (job, server, start, end) for every job whose service starts before closing;
        the rest stay queued for the next window. Dead jobs (abandoned cases) are dropped unserved.
        """
        heap = [(t if t > t_open else t_open, k) for t, k in self._heap]
        heapq.heapify(heap)
        hi, lo = self.priority_lane, self.normal_lane
        served: list[tuple[Queued, int, float, float]] = []
        i, n = 0, len(arrivals)
        while heap[0][0] < t_close:
            t_free, k = heap[0]
            while i < n and arrivals[i].t <= t_free:
                job = arrivals[i]
                (hi if job.priority else lo).append(job)
                i += 1
            if hi:
                job, start = hi.popleft(), t_free
            elif lo:
                job, start = lo.popleft(), t_free
            elif i < n:
                job = arrivals[i]
                i += 1
                start = job.t
            else:
                break
            if not job.live():
                continue
            end = start + job.work / speed[k]
            heapq.heapreplace(heap, (end, k))
            served.append((job, k, start, end))
        for job in arrivals[i:]:
            (hi if job.priority else lo).append(job)
        self._heap = heap
        return served
