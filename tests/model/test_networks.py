"""SocialNetwork: flat-array neighbour look-ups agree with the networkx graph behind them."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np
import pytest

from model.networks import SocialNetwork


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


@pytest.fixture
def small_world() -> tuple[SocialNetwork, nx.Graph]:
    n, k, p, seed = 200, 6, 0.1, 12345
    return SocialNetwork.small_world(n, k, p, seed), nx.watts_strogatz_graph(n, k, p, seed=seed)


@pytest.fixture
def business() -> tuple[SocialNetwork, nx.Graph]:
    n, m, seed = 300, 3, 777
    return SocialNetwork.business(n, m, seed), nx.barabasi_albert_graph(n, m, seed=seed)


def test_small_world_neighbours_match_networkx(small_world):
    net, graph = small_world
    same_neighbours(net, graph)
    assert net.neighbours(0).dtype.kind == "i"


def test_business_neighbours_match_networkx(business):
    net, graph = business
    same_neighbours(net, graph)


def test_business_network_smaller_than_the_links_is_complete():
    net = SocialNetwork.business(4, 5, seed=1)
    same_neighbours(net, nx.complete_graph(4))


def test_same_seed_same_network_and_seeds_matter():
    a = SocialNetwork.small_world(100, 4, 0.3, seed=1)
    b = SocialNetwork.small_world(100, 4, 0.3, seed=1)
    c = SocialNetwork.small_world(100, 4, 0.3, seed=2)
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
        SocialNetwork.small_world(n, 4, 0.1, seed=3),
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
    assert all(len(SocialNetwork.small_world(n, 4, 0.1, 3).neighbours(0)) == 0 for n in (1, 2))
    same_neighbours(SocialNetwork.small_world(3, 4, 0.1, 3), nx.watts_strogatz_graph(3, 2, 0.1, 3))
    same_neighbours(SocialNetwork.business(1, 2, 3), nx.complete_graph(1))
    same_neighbours(SocialNetwork.business(2, 2, 3), nx.complete_graph(2))
    same_neighbours(SocialNetwork.business(3, 2, 3), nx.barabasi_albert_graph(3, 2, seed=3))
