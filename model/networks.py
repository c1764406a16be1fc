"""Social networks for word of mouth, stored as flat arrays (compressed sparse rows).

Citizens: a small world (Watts-Strogatz), generated with vectorised numpy from the city's own
random generator; enterprises: a business network grown by preferential attachment
(Barabasi-Albert, networkx's algorithm and random numbers, without building its graph) that new
firms join. Neighbour look-ups are array slices, so a
word-of-mouth step costs in proportion to the cases told, not the population.
"""

from __future__ import annotations

import random
from itertools import chain

import networkx as nx
import numpy as np

# Rounds of redrawing a rewired tie that landed on a tie already there; each round redraws only
# the clashes, a share of about k/n of them, so two or three rounds settle a city. Only a graph
# near to complete (a handful of members) can run out of rounds: the ties still clashing then
# stay where the ring put them, as networkx leaves a tie when a member is tied to everyone.
_REWIRE_ROUNDS = 100  # arithmetic: a bound on retries, not a behaviour
# Ties (or tie ends) handled at a time where one step over all of them would make temporaries
# of tens of MB at a million members: chunks stay under a MB, so the allocator reuses their
# memory (at 1 << 20 each chunk touched fresh pages: twice the page faults).
_CHUNK = 1 << 16  # arithmetic: a memory bound, not a behaviour


def _edge_keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """One integer per undirected tie: the same for (a, b) and (b, a)."""
    return np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b)


def watts_strogatz_edges(
    n: int, k: int, p: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The ties (u, w) of a Watts-Strogatz small world, vectorised: a ring where each member is
    tied to its k // 2 nearest neighbours on either side, then each tie (u, v) rewired with
    probability p to (u, w), w uniform among the members, redrawn while (u, w) would be a loop
    or a tie already there, as networkx's `watts_strogatz_graph` does tie by tie in Python.

    "Already there" means in the graph as it stands: the ties not rewired, the rewired ties
    settled in earlier rounds, and the ring places of ties still being redrawn (networkx, too,
    checks a draw against ties it has not yet rewired). Draws of one round are settled in the
    order networkx makes them (each ring distance in turn, members in order), so of two draws
    that land on the same pair the first keeps it. The result differs from networkx's in which
    draws are made, not in their law: the degree distribution and clustering are the same
    (tests/model/test_networks.py compares them).
    """
    half = k // 2
    # Tie i is (u, v) = (i mod n, (i mod n + i // n + 1) mod n) before rewiring. Ring places
    # fit 32 bits up to 2**31 ties (what building costs at millions of members is touching
    # memory); the ring end v is kept only as w's starting value.
    member = np.int32 if n * half < 2**31 else np.int64  # arithmetic: 32-bit range
    u = np.tile(np.arange(n, dtype=member), half)
    w = u.copy()
    for d in range(1, half + 1):
        ring = w[(d - 1) * n : d * n]
        ring += d
        ring[n - d :] -= n
    # which ties are rewired: the draws of `rng.random(len(u)) < p`, made a chunk at a time
    # (the same numbers) rather than as one array of doubles, 40 MB at 1,000,000 members
    rewired = np.empty(len(u), dtype=bool)
    for lo in range(0, len(u), _CHUNK):
        chunk = rewired[lo : lo + _CHUNK]
        np.less(rng.random(len(chunk)), p, out=chunk)
    pending = np.flatnonzero(rewired)
    settled = ~rewired
    for _ in range(_REWIRE_ROUNDS):
        if len(pending) == 0:
            break
        w[pending] = rng.integers(0, n, len(pending))
        a, b = u[pending], w[pending]
        # A ring place is taken unless its tie has been rewired away: tie (s, s + d) is number
        # (d - 1) * n + s, for the end s from which the other is d <= k // 2 steps on.
        step = (b - a) % n
        forward = step <= half
        dist = np.where(forward, step, n - step)
        start = np.where(forward, a, b)
        on_ring = (dist >= 1) & (dist <= half)
        place = np.where(on_ring, (dist - 1) * n + start, 0)
        ring_taken = on_ring & ~(rewired[place] & settled[place])
        # Rewired ties settled before, then the draws in order: a draw clashes when the entry
        # before it (sorted by key) has its key.
        moved = np.flatnonzero(rewired & settled)
        keys = np.concatenate([_edge_keys(u[moved], w[moved], n), _edge_keys(a, b, n)])
        order = np.argsort(2 * keys + (np.arange(len(keys)) >= len(moved)), kind="stable")
        clash = np.zeros(len(keys), dtype=bool)
        clash[order[1:]] = keys[order[1:]] == keys[order[:-1]]
        bad = clash[len(moved) :] | ring_taken | (a == b)
        settled[pending[~bad]] = True
        pending = pending[bad]
    # out of rounds (a near-complete graph): these stay on the ring
    w[pending] = (u[pending] + pending // n + 1) % n
    return u, w


def barabasi_albert_edges(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ties of networkx's `barabasi_albert_graph(n, m, seed)`, the same draws from the same
    `random.Random(seed)`, listed as its `edges()` lists them (by lower end, then higher), but
    without building a networkx graph (which was most of the time). 1 <= m < n.

    A star on m + 1 members; each later member ties to m distinct members drawn in proportion to
    their ties so far (uniformly from the list of tie ends).
    """
    choice = random.Random(seed).choice
    ends = [0] * m + list(range(1, m + 1))  # the star's tie ends: the hub m times, each spoke
    lo, hi = [0] * m, list(range(1, m + 1))
    for source in range(m + 1, n):
        targets: set[int] = set()
        while len(targets) < m:
            targets.add(choice(ends))
        lo.extend(targets)
        hi.extend([source] * m)
        ends.extend(targets)
        ends.extend([source] * m)
    lo_a, hi_a = np.asarray(lo, np.int64), np.asarray(hi, np.int64)
    order = np.lexsort((hi_a, lo_a))
    return lo_a[order], hi_a[order]


class SocialNetwork:
    """Undirected ties among the members of one requester pool."""

    def __init__(self, n: int, src: np.ndarray, dst: np.ndarray) -> None:
        """n members and the ties (src[i], dst[i]), each listed once.

        Each member's row lists its partners in the order of a stable sort of the tie ends
        (src's, then dst's): placed chunk by chunk with a counter per member, so no sort of
        all the ends at once (at 1,000,000 citizens its 64-bit order and the copies around it
        were 200 MB of fresh memory, most of the build's page faults)."""
        self.graph_size = n
        # Members fit 32 bits (at most 5,000,000 agents): half the memory of the tie arrays,
        # which at millions of members is what building them costs (page faults, not sorting).
        member = np.int32 if n < 2**31 else np.int64  # arithmetic: 32-bit range
        self._indptr = np.zeros(n + 1, np.int64)
        np.cumsum(
            np.bincount(src, minlength=n) + np.bincount(dst, minlength=n), out=self._indptr[1:]
        )
        self._indices = np.empty(self._indptr[-1], member)
        free = self._indptr[:-1].copy()  # each member's next free place in its row
        for ends, others in ((src, dst), (dst, src)):
            for lo in range(0, len(ends), _CHUNK):
                self._place(ends[lo : lo + _CHUNK], others[lo : lo + _CHUNK], free)
        self._extra: dict[int, list[int]] = {}

    def _place(self, ends: np.ndarray, others: np.ndarray, free: np.ndarray) -> None:
        """Write `others` into the rows of `ends`, after what earlier chunks wrote, in order."""
        order = np.argsort(ends, kind="stable")
        keys = ends[order]
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        runs = np.diff(np.append(starts, len(keys)))
        rank = np.arange(len(keys)) - np.repeat(starts, runs)  # place among the same member's
        self._indices[free[keys] + rank] = others[order]
        free[keys[starts]] += runs

    @classmethod
    def from_graph(cls, graph: nx.Graph) -> SocialNetwork:
        """The ties of a networkx graph whose nodes are 0 .. n-1."""
        ends = np.fromiter(chain.from_iterable(graph.edges()), np.int64)
        return cls(graph.number_of_nodes(), ends[0::2], ends[1::2])

    @classmethod
    def small_world(cls, n: int, k: int, p: float, rng: np.random.Generator) -> SocialNetwork:
        """A Watts-Strogatz small world of n members, k ties each before rewiring with
        probability p; every random number from `rng`."""
        k = min(k, n - 1 if (n - 1) % 2 == 0 else n - 2)
        if n < 3 or k < 2:  # arithmetic: a ring lattice needs three members, two ties each
            return cls(n, np.empty(0, np.int64), np.empty(0, np.int64))
        return cls(n, *watts_strogatz_edges(n, k, p, rng))

    @classmethod
    def business(cls, n: int, m: int, seed: int) -> SocialNetwork:
        if n <= m:
            return cls.from_graph(nx.complete_graph(n))
        return cls(n, *barabasi_albert_edges(n, m, seed))

    def __len__(self) -> int:
        return self.graph_size + len(self._extra_nodes())

    def _extra_nodes(self) -> set[int]:
        return {i for i in self._extra if i >= self.graph_size}

    def neighbours(self, i: int) -> np.ndarray:
        """The ties of member i."""
        base = (
            self._indices[self._indptr[i] : self._indptr[i + 1]]
            if i < self.graph_size
            else np.empty(0, np.int64)
        )
        extra = self._extra.get(i)
        return base if extra is None else np.concatenate([base, np.asarray(extra, np.int64)])

    def ties_of(self, senders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(sender position, neighbour) pairs for a batch of senders, vectorised."""
        inside = senders < self.graph_size
        s_in = senders[inside]
        starts, stops = self._indptr[s_in], self._indptr[s_in + 1]
        lens = stops - starts
        pos = np.repeat(np.flatnonzero(inside), lens)
        offsets = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
        nbr = self._indices[np.repeat(starts, lens) + offsets]
        if self._extra:
            extra_pos, extra_nbr = [], []
            for j, s in enumerate(senders.tolist()):
                for t in self._extra.get(s, ()):
                    extra_pos.append(j)
                    extra_nbr.append(t)
            if extra_pos:
                pos = np.concatenate([pos, np.asarray(extra_pos, np.int64)])
                nbr = np.concatenate([nbr, np.asarray(extra_nbr, np.int64)])
        return pos, nbr

    def join(self, i: int, partners: np.ndarray) -> None:
        """Member i (new) ties itself to `partners`."""
        have = set(self.neighbours(i).tolist())
        for t in partners.tolist():
            if t == i or t in have:
                continue
            have.add(t)
            self._extra.setdefault(i, []).append(t)
            self._extra.setdefault(t, []).append(i)
