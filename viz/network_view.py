"""Data for the network view: the office network and a connected sample of citizens' ties.

Layouts are computed once per model (cached on it); each redraw only reads the current colours
(offices' mean skill and queue, sampled citizens' satisfaction).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import networkx as nx
import numpy as np

SAMPLE_SIZE = 120


def _normalise(pos: dict[int, np.ndarray]) -> dict[int, tuple[float, float]]:
    """Positions scaled into [-1, 1] on both axes."""
    if not pos:
        return {}
    xy = np.array(list(pos.values()), dtype=float)
    centre = (xy.max(axis=0) + xy.min(axis=0)) / 2
    half = np.maximum((xy.max(axis=0) - xy.min(axis=0)) / 2, 1e-9)
    return {k: tuple(((np.asarray(v) - centre) / half).tolist()) for k, v in pos.items()}


def office_layout(graph: nx.Graph) -> dict[int, tuple[float, float]]:
    """Offices on a circle, in catalogue order (stable, readable labels)."""
    n = graph.number_of_nodes()
    return {
        k: (
            math.cos(2 * math.pi * i / n - math.pi / 2),
            math.sin(2 * math.pi * i / n - math.pi / 2),
        )
        for i, k in enumerate(sorted(graph.nodes))
    }


def citizen_sample(network: Any, start: int, n: int = SAMPLE_SIZE) -> tuple[list[int], nx.Graph]:
    """A breadth-first sample of `n` citizens around `start`, with the ties among them."""
    seen = {start}
    order = [start]
    todo = deque([start])
    while todo and len(order) < n:
        i = todo.popleft()
        for j in network.neighbours(i).tolist():
            if j not in seen and len(order) < n:
                seen.add(j)
                order.append(j)
                todo.append(j)
    graph = nx.Graph()
    graph.add_nodes_from(order)
    for i in order:
        graph.add_edges_from((i, j) for j in network.neighbours(i).tolist() if j in seen)
    return order, graph


def layout(graph: nx.Graph, seed: int = 0) -> dict[int, tuple[float, float]]:
    """A force-directed layout scaled into [-1, 1]."""
    if graph.number_of_nodes() == 0:
        return {}
    return _normalise(nx.spring_layout(graph, seed=seed, iterations=60))


def edges(graph: nx.Graph, pos: dict[int, tuple[float, float]]) -> list[dict[str, float]]:
    return [
        {"x": pos[u][0], "y": pos[u][1], "x2": pos[v][0], "y2": pos[v][1]} for u, v in graph.edges
    ]


def cached_citizen_sample(model: Any, city: Any) -> tuple[list[int], list[dict], dict]:
    """(sampled rows, edge rows, positions) for `city`, computed once per dashboard model."""
    key = f"citizens:{city.name}"
    if key not in model.cache:
        start = int(np.random.default_rng(model.seed).integers(0, max(city.citizens.size, 1)))
        rows, graph = citizen_sample(city.citizen_network, start)
        pos = layout(graph, seed=model.seed % (2**31))
        model.cache[key] = (rows, edges(graph, pos), pos)
    return model.cache[key]


def cached_office_layout(model: Any, city: Any) -> tuple[list[dict], dict]:
    key = f"offices:{city.name}"
    if key not in model.cache:
        pos = office_layout(city.office_network)
        model.cache[key] = (edges(city.office_network, pos), pos)
    return model.cache[key]
