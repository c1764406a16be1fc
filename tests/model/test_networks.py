"""SocialNetwork: flat-array neighbour look-ups agree with the graph behind them; the vectorised
small world has networkx's degree distribution and clustering."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np
import pytest
from scipy import stats

from model.networks import SocialNetwork, watts_strogatz_edges


def same_neighbours(net: SocialNetwork, graph: nx.Graph) -> None:
    assert len(net) == graph.number_of_nodes()
    for i in graph.nodes:
        assert sorted(net.neighbours(i).tolist()) == sorted(graph.neighbors(i)), i


def expected_ties(graph: nx.Graph, senders) -> Counter:
    return Counter((j, t) for j, s in enumerate(senders) if s in graph for t in graph.neighbors(s))


def ties(net: SocialNetwork, senders) -> Counter:
    pos, nbr = net.ties_of(np.asarray(senders, dtype=np.int64))
    assert len(pos) == len(nbr)
    return Counter(zip(pos.tolist(), nbr.tolist(), strict=True))


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def small_world_graph(n: int, k: int, p: float, seed: int) -> nx.Graph:
    """The vectorised generator's ties as a networkx graph."""
    graph = nx.empty_graph(n)
    src, dst = watts_strogatz_edges(n, k, p, rng(seed))
    graph.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    return graph


@pytest.fixture
def small_world() -> tuple[SocialNetwork, nx.Graph]:
    n, k, p, seed = 200, 6, 0.1, 12345
    return SocialNetwork.small_world(n, k, p, rng(seed)), small_world_graph(n, k, p, seed)


@pytest.fixture
def business() -> tuple[SocialNetwork, nx.Graph]:
    n, m, seed = 300, 3, 777
    return SocialNetwork.business(n, m, seed), nx.barabasi_albert_graph(n, m, seed=seed)


def test_small_world_neighbours_match_its_ties(small_world):
    net, graph = small_world
    same_neighbours(net, graph)
    assert net.neighbours(0).dtype.kind == "i"


def test_business_neighbours_match_networkx(business):
    net, graph = business
    same_neighbours(net, graph)


@pytest.mark.parametrize(("n", "m", "seed"), [(300, 3, 777), (2000, 2, 5), (4, 3, 1), (50, 1, 9)])
def test_business_network_is_networkx_s_exactly(n, m, seed):
    """Same ties, and the same neighbour order (word of mouth draws by position)."""
    ours = SocialNetwork.business(n, m, seed)
    theirs = SocialNetwork.from_graph(nx.barabasi_albert_graph(n, m, seed=seed))
    assert np.array_equal(ours._indptr, theirs._indptr)
    assert np.array_equal(ours._indices, theirs._indices)


def test_business_network_smaller_than_the_links_is_complete():
    net = SocialNetwork.business(4, 5, seed=1)
    same_neighbours(net, nx.complete_graph(4))


def test_same_seed_same_network_and_seeds_matter():
    a = SocialNetwork.small_world(100, 4, 0.3, rng(1))
    b = SocialNetwork.small_world(100, 4, 0.3, rng(1))
    c = SocialNetwork.small_world(100, 4, 0.3, rng(2))
    assert all(np.array_equal(a.neighbours(i), b.neighbours(i)) for i in range(100))
    assert any(set(a.neighbours(i).tolist()) != set(c.neighbours(i).tolist()) for i in range(100))


@pytest.mark.parametrize("kind", ["small_world", "business"])
def test_ties_of_returns_every_sender_neighbour_pair(kind, request):
    net, graph = request.getfixturevalue(kind)
    senders = [5, 0, 5, 17, 199, 0, 5]  # repeated senders count once per position
    assert ties(net, senders) == expected_ties(graph, senders)
    everyone = list(range(graph.number_of_nodes()))
    assert ties(net, everyone) == expected_ties(graph, everyone)
    assert sum(ties(net, everyone).values()) == 2 * graph.number_of_edges()


def test_ties_of_no_senders(small_world):
    net, _ = small_world
    pos, nbr = net.ties_of(np.array([], dtype=np.int64))
    assert len(pos) == 0
    assert len(nbr) == 0


def test_join_is_symmetric(business):
    net, _ = business
    new = 300
    net.join(new, np.array([3, 7, 250]))
    assert len(net) == 301
    assert sorted(net.neighbours(new).tolist()) == [3, 7, 250]
    for t in (3, 7, 250):
        assert new in net.neighbours(t).tolist()


def test_join_ignores_a_tie_to_oneself(business):
    net, _ = business
    net.join(300, np.array([300, 4]))
    assert net.neighbours(300).tolist() == [4]
    assert 300 not in net.neighbours(300).tolist()


def test_ties_of_after_join_matches_the_grown_graph(business):
    net, graph = business
    grown = graph.copy()
    for new, partners in [(300, [3, 7, 250]), (301, [300, 3]), (302, [0])]:
        net.join(new, np.array(partners))
        grown.add_edges_from((new, t) for t in partners)
    same_neighbours(net, grown)
    senders = [300, 3, 301, 3, 999, 302, 0, 250, 300]  # 999 never joined: no ties
    assert ties(net, senders) == expected_ties(grown, senders)
    everyone = list(range(303))
    assert ties(net, everyone) == expected_ties(grown, everyone)


def test_join_repeated_partner_makes_one_tie(business):
    """Ties are undirected edges of a simple graph, as in the networkx graph the network starts as.

    `CityModel.enterprise_founded` draws a start-up's partners with replacement, so repeats occur.
    """
    net, _ = business
    net.join(300, np.array([3, 3, 7]))
    assert sorted(net.neighbours(300).tolist()) == [3, 7]
    assert net.neighbours(3).tolist().count(300) == 1
    assert ties(net, [300]) == Counter({(0, 3): 1, (0, 7): 1})


@pytest.mark.parametrize("n", [1, 2, 3])
def test_small_networks_do_not_crash(n):
    everyone = np.arange(n)
    for net in (
        SocialNetwork.small_world(n, 4, 0.1, rng(3)),
        SocialNetwork.business(n, 2, seed=3),
    ):
        assert len(net) == n
        pos, nbr = net.ties_of(everyone)
        assert len(pos) == len(nbr) == sum(len(net.neighbours(i)) for i in range(n))
        assert set(nbr.tolist()) <= set(range(n))
        net.join(n, np.array([0]))
        assert len(net) == n + 1
        assert net.neighbours(n).tolist() == [0]
        assert n in net.neighbours(0).tolist()


def test_small_networks_match_networkx():
    assert all(len(SocialNetwork.small_world(n, 4, 0.1, rng(3)).neighbours(0)) == 0 for n in (1, 2))
    # Three members, two ties each: a triangle, whatever the rewiring (nowhere else to go).
    same_neighbours(SocialNetwork.small_world(3, 4, 0.9, rng(3)), nx.complete_graph(3))
    same_neighbours(SocialNetwork.business(1, 2, 3), nx.complete_graph(1))
    same_neighbours(SocialNetwork.business(2, 2, 3), nx.complete_graph(2))
    same_neighbours(SocialNetwork.business(3, 2, 3), nx.barabasi_albert_graph(3, 2, seed=3))


# --- the vectorised small world against networkx's ---------------------------------------------
# The city's sizes start in the thousands; 20,000 members give each statistic a standard error
# small enough (clustering about 0.001) that a generator off by a few percent fails.
N_STAT, SEEDS = 20_000, (11, 12, 13)


def degrees_and_clustering(graphs: list[nx.Graph]) -> tuple[np.ndarray, np.ndarray]:
    degrees = np.concatenate([[d for _, d in g.degree()] for g in graphs])
    clustering = np.concatenate([list(nx.clustering(g).values()) for g in graphs])
    return degrees, clustering


def differ(ours: list[nx.Graph], theirs: list[nx.Graph]) -> list[str]:
    """What tells the two sets of graphs apart, at tolerances set by sampling error.

    Degrees: a chi-square test of the two degree histograms (members pooled over seeds), failing
    below p = 0.001; the seeds are fixed, so the test is deterministic, and at this size it is
    not a near miss either way (the p-value for the generator is far above 0.001, a rewiring
    probability 0.01 away from networkx's gives about 1e-20). Mean degree: exactly k (rewiring
    moves ties, never adds or drops one). Clustering: the mean of the members' clustering
    coefficients within 4 standard errors of the difference, computed from the members' values.
    """
    d_ours, c_ours = degrees_and_clustering(ours)
    d_theirs, c_theirs = degrees_and_clustering(theirs)
    problems = []
    values = np.union1d(d_ours, d_theirs)
    table = np.array([[np.sum(d == v) for v in values] for d in (d_ours, d_theirs)])
    table = table[:, table.min(axis=0) >= 5]  # chi-square needs expected counts of about 5+
    p_degrees = stats.chi2_contingency(table).pvalue
    if p_degrees < 1e-3:
        problems.append(f"degree histograms differ (chi-square p = {p_degrees:.2g})")
    if d_ours.mean() != d_theirs.mean():
        problems.append(f"mean degree {d_ours.mean()} vs {d_theirs.mean()}")
    se = np.sqrt(c_ours.var() / len(c_ours) + c_theirs.var() / len(c_theirs))
    gap = abs(c_ours.mean() - c_theirs.mean())
    if gap > 4 * se:
        problems.append(f"clustering {c_ours.mean():.4f} vs {c_theirs.mean():.4f} (se {se:.4f})")
    return problems


@pytest.mark.parametrize(("k", "p"), [(6, 0.1), (10, 0.3)])
def test_vectorised_small_world_has_networkx_degrees_and_clustering(k, p):
    theirs = [nx.watts_strogatz_graph(N_STAT, k, p, seed=s) for s in SEEDS]
    ours = [small_world_graph(N_STAT, k, p, s) for s in SEEDS]
    assert all(g.number_of_edges() == N_STAT * k // 2 for g in ours)
    assert all(nx.number_of_selfloops(g) == 0 for g in ours)
    assert differ(ours, theirs) == []


def test_the_comparison_tells_a_different_rewiring_apart():
    """The tolerances are tight enough to matter: p = 0.11 is not p = 0.1."""
    theirs = [nx.watts_strogatz_graph(N_STAT, 6, 0.1, seed=s) for s in SEEDS]
    ours = [small_world_graph(N_STAT, 6, 0.11, s) for s in SEEDS]
    assert len(differ(ours, theirs)) == 2


def test_small_world_draws_only_from_the_generator_it_is_given():
    np.random.seed(0)
    a = SocialNetwork.small_world(500, 6, 0.2, rng(4))
    np.random.seed(1)
    b = SocialNetwork.small_world(500, 6, 0.2, rng(4))
    assert all(np.array_equal(a.neighbours(i), b.neighbours(i)) for i in range(500))


def test_near_complete_small_world_stays_simple():
    """Few members and many ties: redraws run out, the clashing ties stay on the ring."""
    for n, k in [(5, 4), (7, 6), (9, 6)]:
        graph = small_world_graph(n, k, 0.9, 5)
        assert nx.number_of_selfloops(graph) == 0
        assert graph.number_of_edges() == n * k // 2


@pytest.mark.parametrize("chunk", [3, 64, 1 << 16])  # many chunks, a few, one
def test_rows_are_those_of_a_stable_sort_of_all_tie_ends(monkeypatch, chunk) -> None:
    """Placing tie ends chunk by chunk gives every member's partners in the order one stable
    sort of all the ends gave (word of mouth draws over them in that order)."""
    from model import networks

    monkeypatch.setattr(networks, "_CHUNK", chunk)
    g = rng(4)
    for n, ties in ((1, 0), (6, 40), (300, 2_000)):
        src, dst = g.integers(0, n, ties), g.integers(0, n, ties)  # repeats and loops too
        net = SocialNetwork(n, src, dst)
        ends, others = np.concatenate([src, dst]), np.concatenate([dst, src])
        order = np.argsort(ends, kind="stable")
        assert np.array_equal(net._indices, others[order])
        assert np.array_equal(net._indptr, np.r_[0, np.cumsum(np.bincount(ends, minlength=n))])
        assert net._indices.dtype == np.int32


def test_the_small_world_is_the_same_drawn_in_chunks(monkeypatch) -> None:
    """Which ties are rewired is drawn a chunk at a time: the same draws as one array."""
    from model import networks

    whole = watts_strogatz_edges(500, 6, 0.2, rng(8))
    monkeypatch.setattr(networks, "_CHUNK", 7)
    chunked = watts_strogatz_edges(500, 6, 0.2, rng(8))
    assert all(np.array_equal(a, b) for a, b in zip(whole, chunked, strict=True))
