"""CounterQueue: M/M/c against Erlang C and Little's law, then the rules of one working day.

Business time is in hours; working day k is the window [k*H, (k+1)*H), so the windows are contiguous
and a queue carried over from one window continues in the next without a gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from world.queueing import CounterQueue

HOURS = 8.0  # opening hours of one working day, H


@dataclass(eq=False, slots=True)
class Job:
    """The least a job needs (see `world.queueing.Queued`); compared by identity."""

    t: float
    work: float
    priority: bool = False
    alive: bool = True

    def live(self) -> bool:
        return self.alive


def starts(served):
    return [start for _job, _k, start, _end in served]


# --- (a) queueing sanity: M/M/c ------------------------------------------------------------------


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load a = lambda/mu < c."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def erlang_wq(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue of M/M/c: C(c, a) / (c*mu - lambda)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


@dataclass
class Run:
    """One M/M/c sample path: per job (in arrival order) arrival, start, end, server, window."""

    c: int
    lam: float
    mu: float
    arrival: np.ndarray
    work: np.ndarray
    start: np.ndarray
    end: np.ndarray
    server: np.ndarray
    window: np.ndarray
    priority: np.ndarray


def simulate(c, lam, mu, n, seed, priority_share=0.0) -> Run:
    """Poisson arrivals over many consecutive windows, exponential work, speed 1 for everyone.

    Each window gets its own arrivals; after the last arrival, empty windows drain the queue.
    """
    rng = np.random.default_rng(seed)
    arrival = np.cumsum(rng.exponential(1 / lam, n))
    work = rng.exponential(1 / mu, n)
    priority = rng.random(n) < priority_share
    jobs = [
        Job(float(t), float(w), bool(p)) for t, w, p in zip(arrival, work, priority, strict=True)
    ]
    index = {id(job): i for i, job in enumerate(jobs)}
    # jobs[cut[k]:cut[k + 1]] arrive in window k
    cut = np.searchsorted(arrival, HOURS * np.arange(int(arrival[-1] // HOURS) + 2))
    start, end = np.full(n, np.nan), np.full(n, np.nan)
    server, window = np.full(n, -1), np.full(n, -1)
    queue, speed = CounterQueue(c), [1.0] * c
    k = 0
    while k + 1 < len(cut) or len(queue):
        batch = jobs[cut[k] : cut[k + 1]] if k + 1 < len(cut) else []
        for job, s, t0, t1 in queue.serve_window(batch, k * HOURS, (k + 1) * HOURS, speed):
            i = index[id(job)]
            assert np.isnan(start[i]), "a job was served twice"
            start[i], end[i], server[i], window[i] = t0, t1, s, k
        k += 1
    return Run(c, lam, mu, arrival, work, start, end, server, window, priority)


def batch_means(x: np.ndarray, n_batches: int = 50) -> tuple[float, float]:
    """Mean of x and its standard error from n_batches consecutive batch means."""
    b = x[: len(x) // n_batches * n_batches].reshape(n_batches, -1).mean(axis=1)
    return float(b.mean()), float(b.std(ddof=1) / math.sqrt(n_batches))


def waiting_area(run: Run):
    """The cumulative area under the number waiting, as a function of time.

    Built from the events alone (+1 at each arrival, -1 at each start), never from the waits.
    """
    times = np.concatenate([run.arrival, run.start])
    step = np.concatenate([np.ones(len(run.arrival)), -np.ones(len(run.start))])
    order = np.argsort(times, kind="stable")
    times, waiting = times[order], np.cumsum(step[order])
    cum = np.concatenate([[0.0], np.cumsum(waiting[:-1] * np.diff(times))])

    def area(t):
        return np.interp(t, times, cum)  # exact: the number waiting is constant between events

    return area


# Tolerances. Waits of successive jobs are correlated, so the standard error (SE) of their mean is
# taken from 50 batch means of consecutive jobs (4 000 jobs a batch at 200k jobs). At rho = 0.8 the
# queue forgets its state within a few hundred arrivals (M/M/1: relaxation time 1/(mu(1-sqrt rho)^2)
# ~ 90 h ~ 70 arrivals), so the batch means are close to independent; across 20 seeds they gave
# z-scores with standard deviation 0.9-1.0 and lag-1 correlation below 0.02. A 4.5 SE band is then
# missed by chance with probability below 1e-4 (t with 49 degrees of freedom). The queue starts
# empty; we drop the first 2 000 jobs (> 25 relaxation times), so what remains of the start-up
# bias is far below the 1% of the theoretical value we allow for it. With the seeds fixed the tests
# are deterministic; the SEs are about 3% of Wq, so the bands are about +-15% (the seeds below give
# z = 1.3 for c = 3 and 0.3 for c = 1), while one server more or less changes Wq 6-fold or more.
N_JOBS = 200_000
WARM_UP = 2_000
N_SE = 4.5
WARM_UP_ALLOWANCE = 0.01  # relative to the theoretical value


def tolerance(se: float, theory: float) -> float:
    return N_SE * se + WARM_UP_ALLOWANCE * theory


@pytest.fixture(scope="module")
def mm3() -> Run:
    return simulate(c=3, lam=2.4, mu=1.0, n=N_JOBS, seed=20240601)  # rho = 0.8


@pytest.fixture(scope="module")
def mm1() -> Run:
    return simulate(c=1, lam=0.8, mu=1.0, n=N_JOBS, seed=20240602)  # rho = 0.8


@pytest.mark.parametrize("name", ["mm3", "mm1"])
def test_sample_path_is_a_valid_schedule(name, request):
    run = request.getfixturevalue(name)
    assert not np.isnan(run.start).any(), "every job is served once the queue drains"
    assert (run.start >= run.arrival).all()
    np.testing.assert_allclose(run.end - run.start, run.work, rtol=0, atol=1e-9)  # speed 1
    # every start falls inside the window that served it, and never at or after closing
    assert (run.start >= run.window * HOURS).all()
    assert (run.start < (run.window + 1) * HOURS).all()
    assert set(run.server.tolist()) == set(range(run.c))
    for k in range(run.c):
        mine = run.server == k
        order = np.argsort(run.start[mine])
        s, e = run.start[mine][order], run.end[mine][order]
        assert (s[1:] >= e[:-1] - 1e-9).all(), f"server {k} serves two jobs at once"
    # a job that waited started the moment its server finished the previous job (the windows are
    # contiguous, so closing time is no break in the work)
    for k in range(run.c):
        mine = np.flatnonzero(run.server == k)
        order = mine[np.argsort(run.start[mine])]
        free_at = np.concatenate([[0.0], run.end[order][:-1]])
        waited = run.start[order] > run.arrival[order]
        np.testing.assert_allclose(run.start[order][waited], free_at[waited], rtol=0, atol=1e-9)


@pytest.mark.parametrize(("name", "c"), [("mm3", 3), ("mm1", 1)])
def test_mean_wait_matches_erlang_c(name, c, request):
    run = request.getfixturevalue(name)
    assert run.c == c
    theory = erlang_wq(c, run.lam, run.mu)
    if c == 1:
        rho = run.lam / run.mu
        assert theory == pytest.approx(rho / (run.mu - run.lam))  # M/M/1
    mean, se = batch_means((run.start - run.arrival)[WARM_UP:])
    tol = tolerance(se, theory)
    assert se < 0.05 * theory, "too few jobs for a useful test"
    assert abs(mean - theory) < tol, f"Wq {mean:.4f} vs Erlang C {theory:.4f} +- {tol:.4f}"
    # power: the formula for a wrong number of servers lies far outside the band
    wrong = c + 1
    assert abs(mean - erlang_wq(wrong, run.lam, run.mu)) > 5 * tol


def test_probability_of_waiting_matches_erlang_c(mm3):
    theory = erlang_c(3, mm3.lam / mm3.mu)
    waited = (mm3.start > mm3.arrival).astype(float)[WARM_UP:]
    mean, se = batch_means(waited)
    assert abs(mean - theory) < tolerance(se, theory)
    assert abs(mean - erlang_c(4, mm3.lam / mm3.mu)) > 5 * tolerance(se, theory)


@pytest.mark.parametrize("name", ["mm3", "mm1"])
def test_littles_law(name, request):
    """The time-average number waiting, integrated over the run, is lambda * Wq."""
    run = request.getfixturevalue(name)
    area = waiting_area(run)
    # observe from the end of the warm-up to the last arrival (after it the queue only drains)
    t0, t1 = run.arrival[WARM_UP], run.arrival[-1]
    edges = np.linspace(t0, t1, 51)
    per_batch = np.diff(area(edges)) / np.diff(edges)  # time-average number waiting per batch
    lq, lq_se = float(per_batch.mean()), float(per_batch.std(ddof=1) / math.sqrt(50))
    # against theory: L_q = lambda * Wq(Erlang C); same 4.5 SE + 1% rule as for the waits
    theory = run.lam * erlang_wq(run.c, run.lam, run.mu)
    assert abs(lq - theory) < tolerance(lq_se, theory), f"Lq {lq:.4f} vs {theory:.4f}"
    assert abs(lq - run.lam * erlang_wq(run.c + 1, run.lam, run.mu)) > 5 * tolerance(lq_se, theory)
    # on the sample path: the area over [t0, t1] and the waits of the jobs arriving in it differ
    # only by the waits straddling t0 and t1 (a few jobs, a few hours each) out of a total area of
    # more than 1e5 job-hours, so 0.1% is ample; a start time reported wrongly by the queue
    # would not keep the two in step
    inside = (run.arrival >= t0) & (run.arrival <= t1)
    lam_hat = inside.sum() / (t1 - t0)
    w_hat = float((run.start - run.arrival)[inside].mean())
    assert lq == pytest.approx(lam_hat * w_hat, rel=1e-3)


def test_priority_classes_match_cobham():
    """Non-preemptive priority M/M/c, equal service rates: Wq_k = (C/(c mu)) / ((1-s_{k-1})(1-s_k)),
    s_k the load of classes 1..k. Same batch-means tolerance as above."""
    c, lam, mu, share = 3, 2.4, 1.0, 0.3
    run = simulate(c, lam, mu, N_JOBS, seed=20240603, priority_share=share)
    rho = lam / (c * mu)
    base = erlang_c(c, lam / mu) / (c * mu)
    theory = {True: base / (1 - share * rho), False: base / ((1 - share * rho) * (1 - rho))}
    wait = (run.start - run.arrival)[WARM_UP:]
    prio = run.priority[WARM_UP:]
    n_batches = 50
    size = len(wait) // n_batches
    for lane in (True, False):
        b = np.array(
            [
                wait[j * size : (j + 1) * size][prio[j * size : (j + 1) * size] == lane].mean()
                for j in range(n_batches)
            ]
        )
        mean, se = float(b.mean()), float(b.std(ddof=1) / math.sqrt(n_batches))
        assert abs(mean - theory[lane]) < tolerance(se, theory[lane]), (lane, mean, theory[lane])
    # the lanes share the servers: all jobs together wait as in FIFO M/M/c
    mean, se = batch_means(wait)
    assert abs(mean - erlang_wq(c, lam, mu)) < tolerance(se, erlang_wq(c, lam, mu))


# --- (b) the rules of one working day -----------------------------------------------------------


def test_idle_server_starts_a_job_at_its_arrival():
    q = CounterQueue(2)
    job = Job(3.25, 1.5)
    assert q.serve_window([job], 0.0, HOURS, [1.0, 1.0]) == [(job, 0, 3.25, 4.75)]
    # a later window: a job arriving after the opening, to idle servers, also starts on arrival
    late = Job(HOURS + 2.0, 1.0)
    ((job2, _k, start, end),) = q.serve_window([late], HOURS, 2 * HOURS, [1.0, 1.0])
    assert job2 is late
    assert (start, end) == (HOURS + 2.0, HOURS + 3.0)
    assert len(q) == 0


def test_fifo_within_each_lane():
    q = CounterQueue(1)
    normal = [Job(0.1 * i, 1.0) for i in range(5)]
    served = q.serve_window(normal, 0.0, HOURS, [1.0])
    assert [job for job, *_ in served] == normal
    assert starts(served) == [0.0, 1.0, 2.0, 3.0, 4.0]

    q = CounterQueue(2)
    urgent = [Job(0.1 * i, 1.0, priority=True) for i in range(6)]
    served = q.serve_window(urgent, 0.0, HOURS, [1.0, 1.0])
    assert [job for job, *_ in served] == urgent
    assert starts(served) == sorted(starts(served))


def test_priority_lane_is_served_first_when_both_wait():
    q = CounterQueue(1)
    busy = Job(0.0, 5.0)
    normal = Job(1.0, 1.0)
    urgent = Job(2.0, 1.0, priority=True)
    served = q.serve_window([busy, normal, urgent], 0.0, HOURS, [1.0])
    assert served == [(busy, 0, 0.0, 5.0), (urgent, 0, 5.0, 6.0), (normal, 0, 6.0, 7.0)]


def test_a_priority_job_arriving_as_a_server_frees_goes_first():
    q = CounterQueue(1)
    busy, normal, urgent = Job(0.0, 2.0), Job(1.0, 1.0), Job(2.0, 1.0, priority=True)
    served = q.serve_window([busy, normal, urgent], 0.0, HOURS, [1.0])
    assert [job for job, *_ in served] == [busy, urgent, normal]


def test_priority_does_not_preempt_or_jump_a_job_already_started():
    q = CounterQueue(1)
    busy = Job(0.0, 2.0)
    normal = Job(0.5, 2.0)
    urgent = Job(2.5, 1.0, priority=True)  # arrives after `normal` has started at 2.0
    served = q.serve_window([busy, normal, urgent], 0.0, HOURS, [1.0])
    assert served == [(busy, 0, 0.0, 2.0), (normal, 0, 2.0, 4.0), (urgent, 0, 4.0, 5.0)]


def test_nothing_starts_at_or_after_closing_and_the_rest_carries_over():
    q = CounterQueue(1)
    jobs = [Job(0.0, 4.0), Job(0.5, 4.0), Job(1.0, 4.0), Job(7.5, 1.0)]
    served = q.serve_window(jobs, 0.0, HOURS, [1.0])
    # the third job would start at 8.0, exactly at closing: it must wait for tomorrow
    assert [job for job, *_ in served] == jobs[:2]
    assert len(q) == 2
    served = q.serve_window([], HOURS, 2 * HOURS, [1.0])
    assert served == [(jobs[2], 0, 8.0, 12.0), (jobs[3], 0, 12.0, 13.0)]
    assert len(q) == 0


def test_carried_jobs_start_no_earlier_than_the_window_opens():
    q = CounterQueue(1)
    early = Job(0.0, 8.0)  # occupies the single server for the whole day
    waiting = [Job(1.0, 1.0), Job(2.0, 1.0, priority=True)]
    assert q.serve_window([early, *waiting], 0.0, HOURS, [1.0]) == [(early, 0, 0.0, 8.0)]
    assert len(q) == 2
    # the next window is not contiguous (the office did not open for two days): nothing starts
    # before it opens, although the server has been free since 8.0; the urgent job goes first
    opens = 3 * HOURS
    served = q.serve_window([], opens, opens + HOURS, [1.0])
    assert served == [
        (waiting[1], 0, opens, opens + 1.0),
        (waiting[0], 0, opens + 1.0, opens + 2.0),
    ]


def test_carried_jobs_keep_their_place_ahead_of_new_arrivals():
    q = CounterQueue(1)
    early = Job(0.0, 10.0)  # runs over closing until 10.0
    carried = [Job(1.0, 1.0), Job(2.0, 1.0)]
    q.serve_window([early, *carried], 0.0, HOURS, [1.0])
    new = Job(HOURS, 1.0)  # arrives as the next window opens
    served = q.serve_window([new], HOURS, 2 * HOURS, [1.0])
    assert served == [
        (carried[0], 0, 10.0, 11.0),
        (carried[1], 0, 11.0, 12.0),
        (new, 0, 12.0, 13.0),
    ]


def test_a_server_running_over_closing_continues_into_the_next_window():
    q = CounterQueue(1)
    long = Job(7.0, 3.0)  # starts before closing, ends at 10.0
    assert q.serve_window([long], 0.0, HOURS, [1.0]) == [(long, 0, 7.0, 10.0)]
    nxt = Job(HOURS + 0.5, 1.0)
    assert q.serve_window([nxt], HOURS, 2 * HOURS, [1.0]) == [(nxt, 0, 10.0, 11.0)]


def test_dead_jobs_are_dropped_without_using_server_time():
    # waiting in a lane when the server frees
    q = CounterQueue(1)
    first, dead, after = Job(0.0, 2.0), Job(0.5, 100.0, alive=False), Job(1.0, 1.0)
    served = q.serve_window([first, dead, after], 0.0, HOURS, [1.0])
    assert served == [(first, 0, 0.0, 2.0), (after, 0, 2.0, 3.0)]
    assert len(q) == 0
    # arriving to an idle server
    q = CounterQueue(1)
    dead, live = Job(1.0, 100.0, alive=False), Job(3.0, 1.0)
    assert q.serve_window([dead, live], 0.0, HOURS, [1.0]) == [(live, 0, 3.0, 4.0)]
    # carried over, then abandoned overnight
    q = CounterQueue(1)
    early, quitter, stayer = Job(0.0, 8.0), Job(1.0, 5.0), Job(2.0, 1.0)
    q.serve_window([early, quitter, stayer], 0.0, HOURS, [1.0])
    assert len(q) == 2
    quitter.alive = False
    served = q.serve_window([], HOURS, 2 * HOURS, [1.0])
    assert served == [(stayer, 0, HOURS, HOURS + 1.0)]
    assert len(q) == 0


def test_counter_queue_needs_a_server():
    with pytest.raises(ValueError):
        CounterQueue(0)
    q = CounterQueue(2)
    with pytest.raises(ValueError):
        q.resize(0)
    with pytest.raises(ValueError):
        q.resize(-1)
    assert q.n_servers == 2


def test_resize_to_fewer_servers():
    q = CounterQueue(3)
    q.serve_window([Job(0.0, 1.0)], 0.0, HOURS, [1.0] * 3)
    q.resize(1)
    assert q.n_servers == 1
    jobs = [Job(HOURS, 1.0) for _ in range(3)]
    served = q.serve_window(jobs, HOURS, 2 * HOURS, [1.0])  # speeds only for the one left
    assert [(k, start) for _job, k, start, _end in served] == [(0, 8.0), (0, 9.0), (0, 10.0)]


def test_resize_keeps_a_busy_server_busy():
    q = CounterQueue(2)
    long, short, waiting = Job(0.0, 10.0), Job(0.0, 1.0), Job(7.9, 1.0)
    q.serve_window([long, short], 0.0, HOURS, [1.0, 1.0])
    q.resize(1)  # counter 1 closes; counter 0 is still busy until 10.0
    served = q.serve_window([waiting], HOURS, 2 * HOURS, [1.0])
    assert served == [(waiting, 0, 10.0, 11.0)]


def test_resize_to_more_servers():
    q = CounterQueue(1)
    q.serve_window([Job(0.0, 1.0)], 0.0, HOURS, [1.0])
    q.resize(3)
    assert q.n_servers == 3
    jobs = [Job(HOURS, 1.0) for _ in range(3)]
    served = q.serve_window(jobs, HOURS, 2 * HOURS, [1.0] * 3)
    assert sorted(k for _job, k, _s, _e in served) == [0, 1, 2]
    assert starts(served) == [HOURS] * 3


def test_resize_keeps_the_waiting_jobs():
    q = CounterQueue(1)
    jobs = [Job(0.0, 8.0), Job(1.0, 1.0), Job(2.0, 1.0)]
    q.serve_window(jobs, 0.0, HOURS, [1.0])
    assert len(q) == 2
    q.resize(2)
    assert len(q) == 2
    served = q.serve_window([], HOURS, 2 * HOURS, [1.0, 1.0])
    assert {job for job, *_ in served} == set(jobs[1:])
    assert starts(served) == [HOURS, HOURS]


def test_a_counter_opened_overnight_is_free_when_the_next_window_opens():
    """A new counter must not wait for another counter's overrun to finish."""
    q = CounterQueue(1)
    long, waiting = Job(0.0, 10.0), Job(1.0, 1.0)  # counter 0 busy until 10.0
    q.serve_window([long, waiting], 0.0, HOURS, [1.0])
    q.resize(2)  # a second counter opens for the next working day
    served = q.serve_window([], HOURS, 2 * HOURS, [1.0, 1.0])
    assert served == [(waiting, 1, HOURS, HOURS + 1.0)]


def test_service_time_is_work_over_speed():
    q = CounterQueue(1)
    job = Job(0.0, 3.0)
    assert q.serve_window([job], 0.0, HOURS, [2.0]) == [(job, 0, 0.0, 1.5)]
    # heterogeneous servers: the faster one frees first and takes the next job
    q = CounterQueue(2)
    a, b, c = Job(0.0, 4.0), Job(0.0, 4.0), Job(0.5, 2.0)
    served = q.serve_window([a, b, c], 0.0, HOURS, [1.0, 4.0])
    assert served == [(a, 0, 0.0, 4.0), (b, 1, 0.0, 1.0), (c, 1, 1.0, 1.5)]
    # slower servers (training time) stretch service
    q = CounterQueue(1)
    job = Job(0.0, 1.0)
    assert q.serve_window([job], 0.0, HOURS, [0.25]) == [(job, 0, 0.0, 4.0)]
