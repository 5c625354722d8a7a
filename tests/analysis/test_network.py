"""Network metrics on small hand-built graphs with known answers. No database, no Django."""

import itertools
import math
import random
from pathlib import Path

import pytest

from gvi.analysis import network as n

C, A, U = n.CONFLICT, n.ALLIANCE, n.UNKNOWN


def graph(nodes, relations):
    return n.build_group_graph(nodes, relations)


def test_module_is_free_of_django():
    source = Path(n.__file__).read_text().lower()
    assert "django" not in source


def test_graph_aggregates_parallel_relations_and_skips_unknown_ends_and_self_loops():
    g = graph(
        {1: {"label": "Ett"}, 2: {"label": "Två"}, 3: {}},
        [(1, 2, C, 3), (2, 1, A, 2), (1, 2, C, 1), (1, 9, C, 5), (3, 3, A, 1), (2, 3, "odd", 2)],
    )
    assert sorted(g.nodes) == [1, 2, 3]
    assert g.nodes[1]["label"] == "Ett"
    edge = g.edges[1, 2]
    assert edge["conflict"] == 4 and edge["alliance"] == 2 and edge["weight"] == 6
    assert sorted(edge["relations"]) == [(A, 2), (C, 1), (C, 3)]
    assert g.edges[2, 3]["relations"] == [(U, 2)]
    assert g.graph["skipped"] == 2


def test_path_gives_the_middle_node_the_highest_betweenness():
    m = n.network_metrics(graph(["A", "B", "C"], [("A", "B", C, 1), ("B", "C", A, 1)]))
    assert m.get("B").betweenness == pytest.approx(1.0)
    assert m.get("A").betweenness == 0 and m.get("C").betweenness == 0
    assert max(m.nodes, key=lambda x: x.betweenness).id == "B"
    assert m.get("B").degree == 2 and m.get("B").degree_centrality == pytest.approx(1.0)
    assert m.get("A").degree_centrality == pytest.approx(0.5)


def test_star_centre_has_all_betweenness():
    between = n.betweenness_centrality(graph(range(5), [(0, i, C, 1) for i in range(1, 5)]))
    assert between[0] == pytest.approx(1.0)
    assert all(between[i] == 0 for i in range(1, 5))


def test_two_disconnected_pairs_give_two_components():
    g = graph([1, 2, 3, 4], [(1, 2, C, 1), (3, 4, A, 1)])
    components = n.connected_components(g)
    assert components == [frozenset({1, 2}), frozenset({3, 4})]
    m = n.network_metrics(g)
    assert m.get(1).component == m.get(2).component != m.get(3).component == m.get(4).component


def test_components_sorted_largest_first_with_isolates():
    g = graph([1, 2, 3, 4, 5, 6], [(4, 5, C, 1), (5, 6, C, 1)])
    assert n.connected_components(g) == [frozenset({4, 5, 6}), frozenset({1}), frozenset({2}), frozenset({3})]


def test_two_cliques_joined_by_one_bridge_form_two_communities():
    left, right = ["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]
    relations = [(x, y, A, 3) for x, y in itertools.combinations(left, 2)]
    relations += [(x, y, A, 3) for x, y in itertools.combinations(right, 2)]
    relations.append(("a1", "b1", C, 1))
    g = graph(left + right, relations)
    found = n.communities(g)
    assert sorted(map(sorted, found)) == [left, right]
    m = n.network_metrics(g)
    assert m.community_partners("a2") == ["a1", "a3", "a4"]
    assert m.get("a1").community != m.get("b1").community
    # The bridge ends carry all shortest paths between the halves.
    assert m.get("a1").betweenness > m.get("a2").betweenness


def test_communities_do_not_depend_on_input_order():
    rng = random.Random(5)
    relations = [(*rng.sample(range(15), 2), rng.choice([C, A]), rng.randint(1, 5)) for _ in range(25)]
    first = n.communities(graph(range(15), relations))
    shuffled = relations[:]
    random.Random(9).shuffle(shuffled)
    assert n.communities(graph(list(reversed(range(15))), shuffled)) == first


def test_edgeless_graph_has_singleton_communities_and_no_crash():
    g = graph([3, 1, 2], [])
    assert n.communities(g) == [frozenset({1}), frozenset({2}), frozenset({3})]
    m = n.network_metrics(g)
    assert m.total_conflict_intensity == 0 and m.ranking == []
    assert all(x.betweenness == 0 and x.conflict_rank is None for x in m.nodes)


def test_empty_graph():
    m = n.network_metrics(graph([], []))
    assert m.nodes == [] and m.components == [] and m.communities == []
    assert n.spring_layout(graph([], [])) == {}


def test_conflict_exposure_sums_partners_and_shares():
    # A is in conflict with B (3) and C (2); B with C (5); A allied with D (4).
    g = graph(
        ["A", "B", "C", "D"],
        [("A", "B", C, 3), ("A", "C", C, 2), ("B", "C", C, 5), ("A", "D", A, 4), ("A", "B", A, 1)],
    )
    exposure = n.conflict_exposure(g)
    assert n.total_conflict_intensity(g) == 10
    assert (exposure["A"].intensity, exposure["A"].partners) == (5, 2)
    assert (exposure["B"].intensity, exposure["B"].partners) == (8, 2)
    assert (exposure["C"].intensity, exposure["C"].partners) == (7, 2)
    assert (exposure["D"].intensity, exposure["D"].partners) == (0, 0)
    assert exposure["A"].share == pytest.approx(0.5)
    assert exposure["B"].share == pytest.approx(0.8) and exposure["B"].share_percent == 80
    assert sum(e.share for e in exposure.values()) == pytest.approx(2.0)
    # D's ally A has conflict intensity 5; A's allies are D (0) and B (8).
    assert exposure["D"].allied_conflict == 5 and exposure["D"].alliance_partners == 1
    assert exposure["A"].allied_conflict == 8 and exposure["A"].alliance_partners == 2


def test_ranking_orders_by_conflict_and_leaves_out_groups_without_conflict():
    g = graph(
        ["A", "B", "C", "D", "E"],
        [("A", "B", C, 3), ("A", "C", C, 2), ("B", "C", C, 5), ("A", "D", A, 4), ("D", "E", A, 1)],
    )
    m = n.network_metrics(g)
    assert [x.id for x in m.ranking] == ["B", "C", "A"]
    assert [m.get(x).conflict_rank for x in "BCADE"] == [1, 2, 3, None, None]


def test_ranking_ties_broken_by_partners_then_allies():
    exposure = {
        "x": n.ConflictExposure(intensity=4, partners=1),
        "y": n.ConflictExposure(intensity=4, partners=2),
        "z": n.ConflictExposure(intensity=4, partners=2, allied_conflict=3),
        "w": n.ConflictExposure(),
    }
    assert n.conflict_ranking(exposure) == ["z", "y", "x"]


def _random_graph(count, edges, seed=1):
    rng = random.Random(seed)
    relations = [(*rng.sample(range(count), 2), rng.choice([C, A]), rng.randint(1, 5)) for _ in range(edges)]
    return graph(range(count), relations), relations


def test_layout_is_deterministic_and_inside_bounds():
    g, relations = _random_graph(25, 30)
    first = n.spring_layout(g, width=800, height=500, margin=30, seed=3)
    again = n.spring_layout(graph(reversed(range(25)), list(reversed(relations))), 800, 500, 30, seed=3)
    assert first == again
    assert set(first) == set(range(25))
    for x, y in first.values():
        assert 30 <= x <= 770 and 30 <= y <= 470
    # Uses the whole box, and no two groups are drawn on top of each other.
    xs, ys = [p[0] for p in first.values()], [p[1] for p in first.values()]
    assert min(xs) == pytest.approx(30) and max(xs) == pytest.approx(770)
    assert min(ys) == pytest.approx(30) and max(ys) == pytest.approx(470)
    assert min(math.dist(p, q) for p, q in itertools.combinations(first.values(), 2)) > 20


def test_layout_seed_changes_positions():
    g, _ = _random_graph(10, 12)
    assert n.spring_layout(g, seed=1) != n.spring_layout(g, seed=2)


def test_layout_of_one_and_two_nodes():
    assert n.spring_layout(graph(["x"], []), 400, 200) == {"x": (200, 100)}
    pos = n.spring_layout(graph(["x", "y"], [("x", "y", C, 1)]), 400, 200, margin=20)
    assert sorted(pos) == ["x", "y"]
    assert all(20 <= x <= 380 and 20 <= y <= 180 for x, y in pos.values())
    assert pos["x"] != pos["y"]


def test_connected_groups_are_drawn_closer_than_unconnected():
    left, right = ["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]
    relations = [(x, y, A, 1) for x, y in itertools.combinations(left, 2)]
    relations += [(x, y, A, 1) for x, y in itertools.combinations(right, 2)]
    pos = n.spring_layout(graph(left + right, relations))
    within = max(math.dist(pos[x], pos[y]) for x, y in itertools.combinations(left, 2))
    between = min(math.dist(pos[x], pos[y]) for x in left for y in right)
    assert within < between


def test_scale_radius_grows_with_area_and_handles_unknown():
    assert n.scale_radius(None, 50, 8, 26) == 8
    assert n.scale_radius(0, 50, 8, 26) == 8
    assert n.scale_radius(50, 50, 8, 26) == 26
    assert n.scale_radius(500, 50, 8, 26) == 26
    quarter = n.scale_radius(12.5, 50, 8, 26)
    assert quarter == pytest.approx(8 + 18 * 0.5)
    assert n.scale_radius(5, 0) == 8


def test_edge_segments_offset_parallel_relations():
    positions = {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (0.0, 50.0)}
    segments = n.edge_segments([(1, 2, C, 3), (2, 1, A, 1), (1, 3, U, 2), (1, 9, C, 1)], positions)
    assert len(segments) == 3
    conflict, alliance, unknown = segments
    assert (conflict.type, conflict.intensity) == (C, 3)
    assert conflict.y1 == conflict.y2 == -3 and alliance.y1 == alliance.y2 == 3
    assert (conflict.x1, conflict.x2) == (0, 100)
    assert (unknown.x1, unknown.y1, unknown.x2, unknown.y2) == (0, 0, 0, 50)


def test_member_graph_links_members_to_the_group_and_their_other_groups():
    memberships = [
        ("p1", "G", "core"),
        ("p2", "G", "associate"),
        ("p3", "G", "core"),
        ("p1", "H", "core"),
        ("p2", "H", "associate"),
        ("p2", "K", "core"),
        ("outsider", "H", "core"),  # not a member of G: left out
    ]
    labels = {("group", "G"): "Gruppen", ("person", "p1"): "Alias 1"}
    g = n.build_member_graph("G", memberships, labels)
    assert set(g.nodes) == {
        ("group", "G"),
        ("group", "H"),
        ("group", "K"),
        ("person", "p1"),
        ("person", "p2"),
        ("person", "p3"),
    }
    assert g.nodes[("group", "G")]["focal"] and not g.nodes[("group", "H")]["focal"]
    assert g.nodes[("person", "p1")]["label"] == "Alias 1"
    assert g.edges[("person", "p2"), ("group", "G")]["role"] == "associate"
    assert g.degree[("group", "G")] == 3
    assert n.member_other_groups(g, "G") == {"p1": ["H"], "p2": ["H", "K"], "p3": []}


def test_member_layout_puts_group_in_centre_and_everything_inside():
    memberships = [(f"p{i}", "G", "core") for i in range(7)]
    memberships += [("p0", "H", "core"), ("p1", "H", "core"), ("p5", "K", "core")]
    g = n.build_member_graph("G", memberships)
    pos = n.radial_member_layout(g, "G", width=600, height=400, margin=40)
    assert pos == n.radial_member_layout(g, "G", width=600, height=400, margin=40)
    assert set(pos) == set(g.nodes)
    assert pos[("group", "G")] == (300, 200)
    for x, y in pos.values():
        assert 40 <= x <= 560 and 40 <= y <= 360
    centre = pos[("group", "G")]
    inner = [math.dist(centre, pos[("person", f"p{i}")]) for i in range(7)]
    outer = [math.dist(centre, pos[("group", k)]) for k in "HK"]
    assert max(inner) < min(outer)
    assert len({pos[("person", f"p{i}")] for i in range(7)}) == 7


def test_member_layout_with_no_members():
    g = n.build_member_graph("G", [])
    assert n.radial_member_layout(g, "G", 200, 100, 10) == {("group", "G"): (100, 50)}
