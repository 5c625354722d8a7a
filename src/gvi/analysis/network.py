"""Network analysis of the group audit: pure computation over plain data, no web framework.

Groups are nodes; relations between groups arrive as tuples ``(group_a, group_b, type, intensity)`` where
type is "conflict", "alliance" or "unknown" and intensity runs 1–5. Several relations between the same
pair are kept (the graph edge aggregates them; drawing offsets them). Everything here is deterministic:
the same input gives the same metrics, communities and coordinates, whatever order the input came in.

networkx supplies the graph algorithms. The layouts are written out in plain Python (no numpy needed).
"""

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

CONFLICT = "conflict"
ALLIANCE = "alliance"
UNKNOWN = "unknown"
RELATION_TYPES = (CONFLICT, ALLIANCE, UNKNOWN)

DEFAULT_SEED = 2021  # the year Swedish GVI went national; any fixed number would do

RelationTuple = tuple[Hashable, Hashable, str, int]
Point = tuple[float, float]


def _order(value: Hashable) -> tuple[str, str]:
    """A total order over mixed hashable ids (ints, strings, tuples) that is stable between runs."""
    return (type(value).__name__, repr(value))


# --------------------------------------------------------------------------------------------------
# Graph construction
# --------------------------------------------------------------------------------------------------


def build_group_graph(
    groups: Mapping[Hashable, Mapping[str, Any]] | Iterable[Hashable],
    relations: Iterable[RelationTuple],
) -> nx.Graph:
    """An undirected graph of groups; one edge per related pair, aggregating every relation between them.

    `groups` is either a mapping id -> attributes (e.g. {"label": ..., "size": ..., "tier": ...}) or a plain
    iterable of ids. Relations naming a group that is not among `groups` (one the caller may not see), and
    relations of a group to itself, are left out; ``graph.graph["skipped"]`` counts them.

    Edge attributes: ``relations`` (list of (type, intensity)), ``weight`` (sum of intensities),
    ``conflict`` and ``alliance`` (sum of intensities of that type).
    """
    attributes = groups if isinstance(groups, Mapping) else {group: {} for group in groups}
    graph = nx.Graph()
    for node in sorted(attributes, key=_order):
        graph.add_node(node, **dict(attributes[node]))
    skipped = 0
    kept: list[tuple[Hashable, Hashable, str, int]] = []
    for a, b, kind, intensity in relations:
        if a == b or a not in graph or b not in graph:
            skipped += 1
            continue
        if kind not in RELATION_TYPES:
            kind = UNKNOWN
        a, b = sorted((a, b), key=_order)
        kept.append((a, b, kind, int(intensity)))
    for a, b, kind, intensity in sorted(kept, key=lambda r: (_order(r[0]), _order(r[1]), r[2], r[3])):
        if not graph.has_edge(a, b):
            graph.add_edge(a, b, relations=[], weight=0, conflict=0, alliance=0)
        data = graph.edges[a, b]
        data["relations"].append((kind, intensity))
        data["weight"] += intensity
        if kind == CONFLICT:
            data["conflict"] += intensity
        elif kind == ALLIANCE:
            data["alliance"] += intensity
    graph.graph["skipped"] = skipped
    return graph


def build_member_graph(
    group_id: Hashable,
    memberships: Iterable[tuple[Hashable, Hashable, str]],
    labels: Mapping[tuple[str, Hashable], str] | None = None,
) -> nx.Graph:
    """The person-level graph around one group: its members, linked to it and to their other groups.

    `memberships` are ``(person_id, group_id, role)`` for the group's members and for those members'
    memberships elsewhere; rows of persons who are not members of `group_id` are ignored. Nodes are
    ``("group", id)`` and ``("person", id)`` with attributes ``kind``, ``label`` and (for groups) ``focal``;
    edges carry the membership ``role``. `labels` maps node keys to display labels.
    """
    labels = labels or {}
    rows = [(person, group, role) for person, group, role in memberships]
    members = {person for person, group, _ in rows if group == group_id}
    graph = nx.Graph()
    focal = ("group", group_id)
    graph.add_node(focal, kind="group", focal=True, label=labels.get(focal, str(group_id)))
    for person in sorted(members, key=_order):
        key = ("person", person)
        graph.add_node(key, kind="person", focal=False, label=labels.get(key, str(person)))
    for person, group, role in sorted(rows, key=lambda r: (_order(r[0]), _order(r[1]), str(r[2]))):
        if person not in members:
            continue
        group_key = ("group", group)
        if group_key not in graph:
            graph.add_node(group_key, kind="group", focal=False, label=labels.get(group_key, str(group)))
        graph.add_edge(("person", person), group_key, role=role)
    return graph


def member_other_groups(graph: nx.Graph, group_id: Hashable) -> dict[Hashable, list[Hashable]]:
    """For each member of `group_id` in a member graph: the ids of the other groups they belong to."""
    focal = ("group", group_id)
    result = {}
    for node, data in graph.nodes(data=True):
        if data.get("kind") != "person":
            continue
        others = sorted((g[1] for g in graph.neighbors(node) if g != focal), key=_order)
        result[node[1]] = others
    return result


# --------------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------------


def degree_centrality(graph: nx.Graph) -> dict[Hashable, float]:
    """Share of the other groups each group has a relation with (0–1)."""
    if graph.number_of_nodes() <= 1:
        return dict.fromkeys(graph, 0.0)
    return nx.degree_centrality(graph)


def betweenness_centrality(graph: nx.Graph) -> dict[Hashable, float]:
    """Normalised betweenness (0–1): how often a group lies on the shortest path between two others."""
    if graph.number_of_nodes() <= 2:
        return dict.fromkeys(graph, 0.0)
    return nx.betweenness_centrality(graph, normalized=True)


def _sorted_sets(sets: Iterable[Iterable[Hashable]]) -> list[frozenset]:
    frozen = [frozenset(s) for s in sets]
    return sorted(frozen, key=lambda s: (-len(s), min(_order(v) for v in s)))


def connected_components(graph: nx.Graph) -> list[frozenset]:
    """Connected components, largest first (ties: by smallest id)."""
    return _sorted_sets(nx.connected_components(graph))


def communities(graph: nx.Graph, seed: int = DEFAULT_SEED) -> list[frozenset]:
    """Louvain communities over all relations weighted by intensity, with a fixed seed; largest first.

    Isolated groups form a community of their own.
    """
    if graph.number_of_nodes() == 0:
        return []
    if graph.number_of_edges() == 0:
        return _sorted_sets({node} for node in graph)
    found = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    return _sorted_sets(found)


@dataclass(frozen=True)
class ConflictExposure:
    """How much one group is drawn into conflict.

    `share` is the part of the site's total conflict intensity in which the group is a party (0–1). Every
    conflict has two parties, so the shares of all groups add up to 2, not 1.
    `allied_conflict` sums the conflict intensity of the group's allies (conflicts it may be drawn into).
    """

    intensity: int = 0
    partners: int = 0
    share: float = 0.0
    allied_conflict: int = 0
    alliance_partners: int = 0

    @property
    def share_percent(self) -> int:
        return round(self.share * 100)


def total_conflict_intensity(graph: nx.Graph) -> int:
    return sum(data["conflict"] for _, _, data in graph.edges(data=True))


def conflict_exposure(graph: nx.Graph) -> dict[Hashable, ConflictExposure]:
    total = total_conflict_intensity(graph)
    own: dict[Hashable, int] = defaultdict(int)
    partners: dict[Hashable, int] = defaultdict(int)
    allies: dict[Hashable, list[Hashable]] = defaultdict(list)
    for a, b, data in graph.edges(data=True):
        if data["conflict"]:
            for node in (a, b):
                own[node] += data["conflict"]
                partners[node] += 1
        if data["alliance"]:
            allies[a].append(b)
            allies[b].append(a)
    result = {}
    for node in graph:
        result[node] = ConflictExposure(
            intensity=own[node],
            partners=partners[node],
            share=own[node] / total if total else 0.0,
            allied_conflict=sum(own[ally] for ally in allies[node]),
            alliance_partners=len(allies[node]),
        )
    return result


def conflict_ranking(
    exposure: Mapping[Hashable, ConflictExposure], betweenness: Mapping[Hashable, float] | None = None
) -> list[Hashable]:
    """Groups most connected to conflict first; only groups that are a party to some conflict.

    Order: own conflict intensity, then number of conflict partners, then conflict among allies, then
    betweenness, then id.
    """
    betweenness = betweenness or {}
    parties = [node for node, found in exposure.items() if found.intensity > 0]
    return sorted(
        parties,
        key=lambda n: (
            -exposure[n].intensity,
            -exposure[n].partners,
            -exposure[n].allied_conflict,
            -betweenness.get(n, 0.0),
            _order(n),
        ),
    )


@dataclass(frozen=True)
class NodeMetrics:
    """Everything the network says about one group; templates read the attributes."""

    id: Hashable
    label: str
    attrs: dict
    degree: int
    degree_centrality: float
    betweenness: float
    component: int  # 1-based, largest component is 1
    community: int  # 1-based, largest community is 1
    exposure: ConflictExposure
    conflict_rank: int | None  # 1 = most connected to conflict; None when party to no conflict

    @property
    def conflict_intensity(self) -> int:
        return self.exposure.intensity

    @property
    def conflict_partners(self) -> int:
        return self.exposure.partners

    @property
    def conflict_share(self) -> float:
        return self.exposure.share


@dataclass(frozen=True)
class NetworkMetrics:
    nodes: list[NodeMetrics]  # in the graph's stable node order
    components: list[frozenset]
    communities: list[frozenset]
    ranking: list[NodeMetrics]  # groups party to a conflict, most connected to conflict first
    total_conflict_intensity: int
    edge_count: int
    by_id: dict = field(repr=False, default_factory=dict)

    def get(self, node_id: Hashable) -> NodeMetrics | None:
        return self.by_id.get(node_id)

    def community_of(self, node_id: Hashable) -> frozenset:
        found = self.by_id.get(node_id)
        return self.communities[found.community - 1] if found else frozenset()

    def community_partners(self, node_id: Hashable) -> list[Hashable]:
        """The other groups in the same community, in stable order."""
        return sorted((n for n in self.community_of(node_id) if n != node_id), key=_order)


def network_metrics(graph: nx.Graph, seed: int = DEFAULT_SEED) -> NetworkMetrics:
    degree = degree_centrality(graph)
    between = betweenness_centrality(graph)
    components = connected_components(graph)
    found_communities = communities(graph, seed=seed)
    exposure = conflict_exposure(graph)
    ranked = conflict_ranking(exposure, between)
    rank_of = {node: index + 1 for index, node in enumerate(ranked)}
    component_of = {node: index + 1 for index, part in enumerate(components) for node in part}
    community_of = {node: index + 1 for index, part in enumerate(found_communities) for node in part}
    nodes = []
    for node, data in graph.nodes(data=True):
        nodes.append(
            NodeMetrics(
                id=node,
                label=str(data.get("label", node)),
                attrs=dict(data),
                degree=graph.degree(node),
                degree_centrality=degree.get(node, 0.0),
                betweenness=between.get(node, 0.0),
                component=component_of[node],
                community=community_of[node],
                exposure=exposure[node],
                conflict_rank=rank_of.get(node),
            )
        )
    by_id = {m.id: m for m in nodes}
    return NetworkMetrics(
        nodes=nodes,
        components=components,
        communities=found_communities,
        ranking=[by_id[node] for node in ranked],
        total_conflict_intensity=total_conflict_intensity(graph),
        edge_count=graph.number_of_edges(),
        by_id=by_id,
    )


# --------------------------------------------------------------------------------------------------
# Drawing geometry
# --------------------------------------------------------------------------------------------------


def _scale_to_box(raw: Mapping[Hashable, Point], width: float, height: float, margin: float) -> dict:
    """Fit raw coordinates into [margin, width - margin] x [margin, height - margin]."""
    if not raw:
        return {}
    xs = [p[0] for p in raw.values()]
    ys = [p[1] for p in raw.values()]
    inner_w, inner_h = max(width - 2 * margin, 0.0), max(height - 2 * margin, 0.0)

    def fit(value: float, low: float, high: float, inner: float) -> float:
        if high - low < 1e-12:
            return margin + inner / 2
        return margin + (value - low) / (high - low) * inner

    return {
        node: (
            round(fit(x, min(xs), max(xs), inner_w), 2),
            round(fit(y, min(ys), max(ys), inner_h), 2),
        )
        for node, (x, y) in raw.items()
    }


def spring_layout(
    graph: nx.Graph,
    width: float = 960,
    height: float = 600,
    margin: float = 40,
    seed: int = DEFAULT_SEED,
    iterations: int | None = None,
) -> dict[Hashable, Point]:
    """Deterministic force-directed (ForceAtlas2, networkx) positions, scaled into the drawing box.

    Nodes are added in a fixed order and the layout is seeded, so the result does not depend on input order.
    """
    nodes = sorted(graph.nodes, key=_order)
    if not nodes:
        return {}
    if len(nodes) == 1:
        return {nodes[0]: (width / 2, height / 2)}
    ordered = nx.Graph()
    ordered.add_nodes_from(nodes)
    ordered.add_edges_from(sorted(graph.edges, key=lambda edge: tuple(sorted(map(_order, edge)))))
    # ForceAtlas2 with strong gravity keeps separate components (common in a group audit) on one page
    # instead of pushing them to the corners as plain spring layouts do.
    positions = nx.forceatlas2_layout(
        ordered, seed=seed, strong_gravity=True, gravity=0.2, max_iter=iterations or 200
    )
    return _scale_to_box(
        {node: (float(x), float(y)) for node, (x, y) in positions.items()}, width, height, margin
    )


def radial_member_layout(
    graph: nx.Graph, group_id: Hashable, width: float = 960, height: float = 600, margin: float = 40
) -> dict[Hashable, Point]:
    """Positions for a member graph: the group in the centre, its members on an inner ring, their other
    groups on an outer ring next to the members they share. Deterministic and inside the box."""
    focal = ("group", group_id)
    cx, cy = width / 2, height / 2
    outer_x, outer_y = max(width / 2 - margin, 0.0), max(height / 2 - margin, 0.0)
    outer = [n for n, d in graph.nodes(data=True) if d.get("kind") == "group" and n != focal]
    persons = [node for node, data in graph.nodes(data=True) if data.get("kind") == "person"]
    # Without other groups the members may use the whole box.
    inner_share = 0.55 if outer else 0.8
    inner_x, inner_y = outer_x * inner_share, outer_y * inner_share
    positions: dict[Hashable, Point] = {}
    if focal in graph:
        positions[focal] = (round(cx, 2), round(cy, 2))

    def others(person) -> tuple:
        return tuple(sorted(_order(g) for g in graph.neighbors(person) if g != focal))

    # Members sharing other groups sit next to each other; members with no other group come last.
    persons.sort(key=lambda p: (not others(p), others(p), str(graph.nodes[p].get("label", "")), _order(p)))
    angles: dict[Hashable, float] = {}
    for i, person in enumerate(persons):
        angle = -math.pi / 2 + 2 * math.pi * i / max(len(persons), 1)
        angles[person] = angle
        positions[person] = (
            round(cx + inner_x * math.cos(angle), 2),
            round(cy + inner_y * math.sin(angle), 2),
        )
    means = {}
    for group in outer:
        linked = [angles[p] for p in graph.neighbors(group) if p in angles]
        means[group] = math.atan2(sum(map(math.sin, linked)), sum(map(math.cos, linked))) if linked else 0.0
    outer.sort(key=lambda g: (means[g] % (2 * math.pi), _order(g)))
    gap = 2 * math.pi / max(len(outer), 1)
    min_gap = min(gap, math.pi / 6)
    placed: list[float] = []
    for group in outer:
        angle = means[group] % (2 * math.pi)
        if placed and angle - placed[-1] < min_gap:
            angle = placed[-1] + min_gap
        placed.append(angle)
        positions[group] = (
            round(cx + outer_x * math.cos(angle), 2),
            round(cy + outer_y * math.sin(angle), 2),
        )
    return positions


def scale_radius(value: float | None, max_value: float, r_min: float = 8, r_max: float = 26) -> float:
    """Circle radius so that the circle's area grows with `value` (unknown or zero gives `r_min`)."""
    if not value or value <= 0 or not max_value or max_value <= 0:
        return float(r_min)
    share = min(value / max_value, 1.0)
    return round(r_min + (r_max - r_min) * math.sqrt(share), 2)


@dataclass(frozen=True)
class Segment:
    """One relation drawn as a line; parallel relations between one pair are offset side by side."""

    a: Hashable
    b: Hashable
    type: str
    intensity: int
    x1: float
    y1: float
    x2: float
    y2: float


def edge_segments(
    relations: Iterable[RelationTuple], positions: Mapping[Hashable, Point], spacing: float = 6
) -> list[Segment]:
    """Line coordinates for each relation whose two ends have a position, in the input order."""
    usable = [r for r in relations if r[0] in positions and r[1] in positions and r[0] != r[1]]
    per_pair: dict[tuple, list[int]] = defaultdict(list)
    for i, (a, b, _kind, _intensity) in enumerate(usable):
        per_pair[tuple(sorted((a, b), key=_order))].append(i)
    slot = {}
    for indices in per_pair.values():
        for k, i in enumerate(indices):
            slot[i] = k - (len(indices) - 1) / 2
    segments = []
    for i, (a, b, kind, intensity) in enumerate(usable):
        first, second = sorted((a, b), key=_order)
        (x1, y1), (x2, y2) = positions[first], positions[second]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ox, oy = -(y2 - y1) / length * spacing * slot[i], (x2 - x1) / length * spacing * slot[i]
        segments.append(
            Segment(
                a=a,
                b=b,
                type=kind if kind in RELATION_TYPES else UNKNOWN,
                intensity=int(intensity),
                x1=round(x1 + ox, 2),
                y1=round(y1 + oy, 2),
                x2=round(x2 + ox, 2),
                y2=round(y2 + oy, 2),
            )
        )
    return segments
