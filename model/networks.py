"""Social networks for word of mouth, built with networkx and stored as flat arrays.

Citizens: a small world (Watts-Strogatz); enterprises: a business network grown by preferential
attachment (Barabasi-Albert) that new firms join. Neighbour look-ups are array slices, so a
word-of-mouth step costs in proportion to the cases told, not the population.
"""

from __future__ import annotations

import networkx as nx
import numpy as np


class SocialNetwork:
    """Undirected ties among the members of one requester pool."""

    def __init__(self, graph: nx.Graph) -> None:
        self.graph_size = graph.number_of_nodes()
        edges = np.asarray(graph.edges(), dtype=np.int64).reshape(-1, 2)
        src = np.concatenate([edges[:, 0], edges[:, 1]])
        dst = np.concatenate([edges[:, 1], edges[:, 0]])
        order = np.argsort(src, kind="stable")
        self._indices = dst[order]
        counts = np.bincount(src, minlength=self.graph_size)
        self._indptr = np.concatenate([[0], np.cumsum(counts)])
        self._extra: dict[int, list[int]] = {}

    @classmethod
    def small_world(cls, n: int, k: int, p: float, seed: int) -> SocialNetwork:
        k = min(k, n - 1 if (n - 1) % 2 == 0 else n - 2)
        if n < 3 or k < 2:  # arithmetic: a ring lattice needs three members, two ties each
            return cls(nx.empty_graph(n))
        return cls(nx.watts_strogatz_graph(n, k, p, seed=seed))

    @classmethod
    def business(cls, n: int, m: int, seed: int) -> SocialNetwork:
        if n <= m:
            return cls(nx.complete_graph(n))
        return cls(nx.barabasi_albert_graph(n, m, seed=seed))

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
