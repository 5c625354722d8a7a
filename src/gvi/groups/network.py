"""Network views of the group audit: the site's group network and one group's member network.

Reads start from `visible_to(user)` like every other selector; the computation itself lives in
`gvi.analysis.network` and sees only ids, numbers and labels. Neither page is a logged detail read: the
site network shows group-level records only, and the member network is a list of memberships the user
may already see (as on the group page); opening a person from it is the logged read.

The site's measures (centrality, communities, conflict exposure) and the drawing's layout are computed by
the worker (`recompute_site`, after group and relation changes and daily) into `NetworkSnapshot`: every
group-level role sees all of a site's groups and relations, so one snapshot per site serves them all, and
the pages only read it. A user who sees only some groups of a site (disclosed to their organisation) gets
measures of just those groups, computed on the spot from that small set.
"""

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gvi.access.decorators import record_permission_required
from gvi.access.permissions import SITE, VIEW, grant_for
from gvi.access.selectors import visible_record
from gvi.analysis import network as analysis
from gvi.groups.models import (
    Group,
    GroupMembership,
    GroupRelation,
    NetworkGroupMetrics,
    NetworkSnapshot,
    Person,
)
from gvi.operations import recompute
from gvi.partnership.models import Site

SIZE_BY_ESTIMATE = "storlek"
SIZE_BY_TIER = "vald"
SIZE_CHOICES = [
    (SIZE_BY_ESTIMATE, gettext_lazy("Uppskattad storlek")),
    (SIZE_BY_TIER, gettext_lazy("Våldsnivå")),
]
WIDTH, HEIGHT, MARGIN = 960, 600, 56
R_MIN, R_MAX = 8, 28
MAX_TIER = max(Group.Tier.values)


# --------------------------------------------------------------------------------------------------
# Selectors
# --------------------------------------------------------------------------------------------------


def network_sites(user) -> list[Site]:
    """The sites at which `user` sees at least one group."""
    return list(Site.objects.filter(pk__in=Group.objects.visible_to(user).values("site_id")))


def site_groups(user, site):
    return Group.objects.visible_to(user).filter(site=site)


def site_relations(user, site):
    """Relations at the site the user may see; deactivated (overdue) relations are left out."""
    return (
        GroupRelation.objects.visible_to(user)
        .filter(site=site, deactivated_at__isnull=True)
        .select_related("group_a", "group_b")
        .order_by("-intensity", "group_a__name", "group_b__name", "pk")
    )


def current_memberships(user, today: date | None = None):
    """Memberships the user may see that are in force today (approved: four eyes) and not deactivated."""
    today = today or timezone.localdate()
    return (
        GroupMembership.objects.visible_to(user)
        .in_force()
        .filter(deactivated_at__isnull=True, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
    )


def sees_whole_site(user, site_id: int) -> bool:
    """Whether `user` sees every group and every relation at the site (a site-wide grant for both)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False

    def site_wide(role, label):
        found = grant_for(role, label)
        return found is not None and found.scope == SITE and VIEW in found.actions

    return any(
        m.site_id == site_id
        and site_wide(m.role, "groups.group")
        and site_wide(m.role, "groups.grouprelation")
        for m in user.memberships.active()
    )


NETWORK_MODELS = (Group, GroupRelation)


def recompute_site(site: Site, now=None) -> NetworkSnapshot:
    """The worker's computation: measures and layout of all the site's groups and active relations."""
    groups = {group.pk: group for group in Group.unscoped_all_sites.filter(site=site)}
    relations = [
        r
        for r in GroupRelation.unscoped_all_sites.filter(site=site, deactivated_at__isnull=True).order_by(
            "-intensity", "group_a__name", "group_b__name", "pk"
        )
        if r.group_a_id in groups and r.group_b_id in groups
    ]
    graph = analysis.build_group_graph(
        {pk: {"label": group.name} for pk, group in groups.items()},
        [(r.group_a_id, r.group_b_id, r.type, r.intensity) for r in relations],
    )
    metrics = analysis.network_metrics(graph)
    positions = analysis.spring_layout(graph, WIDTH, HEIGHT, MARGIN)
    snapshot, _created = NetworkSnapshot.objects.update_or_create(
        site=site,
        defaults={
            "computed_at": now or timezone.now(),
            "source": recompute.latest_marks(site.pk, NETWORK_MODELS),
            "group_count": len(metrics.nodes),
            "edge_count": metrics.edge_count,
            "ranked_count": len(metrics.ranking),
            "total_conflict_intensity": metrics.total_conflict_intensity,
        },
    )
    snapshot.groups.all().delete()
    NetworkGroupMetrics.objects.bulk_create(
        [
            NetworkGroupMetrics(
                snapshot=snapshot,
                group_id=m.id,
                degree=m.degree,
                degree_centrality=m.degree_centrality,
                betweenness=m.betweenness,
                component=m.component,
                community=m.community,
                conflict_rank=m.conflict_rank,
                exposure=dataclasses.asdict(m.exposure),
                x=positions[m.id][0],
                y=positions[m.id][1],
            )
            for m in metrics.nodes
        ],
        batch_size=500,
    )
    return snapshot


def _node(row: NetworkGroupMetrics, group: Group) -> analysis.NodeMetrics:
    return analysis.NodeMetrics(
        id=group.pk,
        label=group.name,
        attrs={"label": group.name},
        degree=row.degree,
        degree_centrality=row.degree_centrality,
        betweenness=row.betweenness,
        component=row.component,
        community=row.community,
        exposure=analysis.ConflictExposure(**row.exposure),
        conflict_rank=row.conflict_rank,
    )


def _stored(snapshot: NetworkSnapshot, groups: dict[int, Group]):
    """The snapshot's measures as `analysis.NetworkMetrics` (of the groups that still exist) and the
    drawing's positions."""
    rows = [row for row in snapshot.groups.all() if row.group_id in groups]
    nodes = [_node(row, groups[row.group_id]) for row in sorted(rows, key=lambda r: r.group_id)]
    by_id = {m.id: m for m in nodes}

    def parts(number_of) -> list[frozenset]:
        found: dict[int, set] = {}
        for m in nodes:
            found.setdefault(number_of(m), set()).add(m.id)
        return [frozenset(found[k]) for k in sorted(found)]

    metrics = analysis.NetworkMetrics(
        nodes=nodes,
        components=parts(lambda m: m.component),
        communities=parts(lambda m: m.community),
        ranking=sorted((m for m in nodes if m.conflict_rank), key=lambda m: m.conflict_rank),
        total_conflict_intensity=snapshot.total_conflict_intensity,
        edge_count=snapshot.edge_count,
        by_id=by_id,
    )
    return metrics, {row.group_id: (row.x, row.y) for row in rows}


def _snapshot(site_id: int) -> tuple[NetworkSnapshot | None, bool]:
    """The site's snapshot (None: not computed yet, asked for at once) and whether it is stale (the site
    changed since; a recomputation is asked for)."""
    snapshot = NetworkSnapshot.objects.filter(site_id=site_id).first()
    if snapshot is None:
        recompute.request(recompute.NETWORK, site_id, delay_seconds=0)
        return None, False
    stale = snapshot.source != recompute.latest_marks(site_id, NETWORK_MODELS)
    if stale:
        recompute.request(recompute.NETWORK, site_id)
    return snapshot, stale


# --------------------------------------------------------------------------------------------------
# Presentation types (templates read attributes)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Partner:
    group: Group
    intensity: int


@dataclass(frozen=True)
class GroupRow:
    group: Group
    m: analysis.NodeMetrics


@dataclass(frozen=True)
class DrawnNode:
    key: str
    kind: str  # "group" | "person"
    label: str
    short_label: str
    title: str
    href: str
    x: float
    y: float
    r: float
    css: str

    @property
    def ring(self) -> float:
        return self.r + 5

    @property
    def label_y(self) -> float:
        return round(self.y + self.r + 15, 2)


@dataclass(frozen=True)
class DrawnEdge:
    a: str
    b: str
    type: str
    title: str
    stroke_width: float
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass
class SiteNetwork:
    site: Site
    size_by: str
    metrics: analysis.NetworkMetrics
    rows: list[GroupRow]
    ranking: list[GroupRow]
    communities: list[list[Group]]
    relations: list[GroupRelation]
    nodes: list[DrawnNode]
    edges: list[DrawnEdge]
    width: int = WIDTH
    height: int = HEIGHT
    computed_at: datetime | None = None  # when the worker computed the measures (None: just now)
    stale: bool = False  # the site changed since; a recomputation is queued
    pending: bool = False  # not computed yet; the worker is on it


@dataclass(frozen=True)
class MemberRow:
    person: Person
    roles: list[str]
    other_groups: list[Group]


@dataclass
class MemberNetwork:
    group: Group
    rows: list[MemberRow]
    other_groups: list[Group]
    nodes: list[DrawnNode]
    edges: list[DrawnEdge]
    width: int = WIDTH
    height: int = HEIGHT


@dataclass
class GroupNetworkMetrics:
    """What the network says about one group, for the group page (`_group_network_metrics.html`)."""

    group: Group
    node: analysis.NodeMetrics
    community_groups: list[Group]
    conflict_partners: list[Partner]
    alliance_partners: list[Partner]
    ranked_count: int
    group_count: int
    total_conflict_intensity: int
    computed_at: datetime | None = None

    @property
    def rank(self) -> int | None:
        return self.node.conflict_rank


# --------------------------------------------------------------------------------------------------
# Building the pages' data
# --------------------------------------------------------------------------------------------------


def _size_label(group: Group) -> str:
    if group.size_min is None and group.size_max is None:
        return _("okänd")
    return f"{group.size_min if group.size_min is not None else '?'}–{group.size_max or '?'}"


def _radius(group: Group, size_by: str, largest: int) -> float:
    if size_by == SIZE_BY_TIER:
        return analysis.scale_radius(group.violence_tier, MAX_TIER, R_MIN, R_MAX)
    return analysis.scale_radius(group.size_max, largest, R_MIN, R_MAX)


def _short(label: str, limit: int = 20) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _relation_title(relation: GroupRelation) -> str:
    return _("%(a)s – %(b)s: %(type)s, intensitet %(intensity)s") % {
        "a": relation.group_a.name,
        "b": relation.group_b.name,
        "type": relation.get_type_display(),
        "intensity": relation.intensity,
    }


def _group_title(group: Group, m: analysis.NodeMetrics) -> str:
    parts = [
        group.name,
        _("våldsnivå %(tier)s") % {"tier": group.get_violence_tier_display()},
        _("uppskattad storlek %(size)s") % {"size": _size_label(group)},
        _("%(n)s relationer") % {"n": m.degree},
    ]
    if m.conflict_intensity:
        parts.append(
            _("konflikt med %(n)s grupper, sammanlagd intensitet %(sum)s")
            % {"n": m.conflict_partners, "sum": m.conflict_intensity}
        )
    return ". ".join(parts) + "."


def _edges(relations, positions, key_of) -> list[DrawnEdge]:
    tuples = [(r.group_a_id, r.group_b_id, r.type, r.intensity) for r in relations]
    segments = analysis.edge_segments(tuples, positions)
    return [
        DrawnEdge(
            a=key_of(s.a),
            b=key_of(s.b),
            type=s.type,
            title=_relation_title(relation),
            stroke_width=round(1 + 0.75 * s.intensity, 2),
            x1=s.x1,
            y1=s.y1,
            x2=s.x2,
            y2=s.y2,
        )
        for relation, s in zip(relations, segments, strict=True)
    ]


def build_site_network(user, site: Site, size_by: str = SIZE_BY_ESTIMATE) -> SiteNetwork:
    groups = {group.pk: group for group in site_groups(user, site)}
    relations = [r for r in site_relations(user, site) if r.group_a_id in groups and r.group_b_id in groups]
    computed_at, stale = None, False
    if sees_whole_site(user, site.pk) and groups:
        snapshot, stale = _snapshot(site.pk)
        if snapshot is None:
            return SiteNetwork(
                site=site,
                size_by=size_by,
                metrics=analysis.network_metrics(analysis.build_group_graph({}, [])),
                rows=[],
                ranking=[],
                communities=[],
                relations=[],
                nodes=[],
                edges=[],
                pending=True,
            )
        metrics, positions = _stored(snapshot, groups)
        computed_at = snapshot.computed_at
        relations = [r for r in relations if r.group_a_id in positions and r.group_b_id in positions]
    else:  # only disclosed groups of this site (or none): a small graph, measured here
        graph = analysis.build_group_graph(
            {pk: {"label": group.name} for pk, group in groups.items()},
            [(r.group_a_id, r.group_b_id, r.type, r.intensity) for r in relations],
        )
        metrics = analysis.network_metrics(graph)
        positions = analysis.spring_layout(graph, WIDTH, HEIGHT, MARGIN)
    rows = [GroupRow(groups[m.id], m) for m in metrics.nodes]
    rows.sort(key=lambda row: row.group.name.lower())
    largest = max((g.size_max or 0 for g in groups.values()), default=0)
    nodes = []
    for m in metrics.nodes:
        group = groups[m.id]
        x, y = positions[m.id]
        nodes.append(
            DrawnNode(
                key=f"g{group.pk}",
                kind="group",
                label=group.name,
                short_label=_short(group.name),
                title=_group_title(group, m),
                href=reverse("groups:group_detail", args=[group.pk]),
                x=x,
                y=y,
                r=_radius(group, size_by, largest),
                css=f"node-group tier-{group.violence_tier}",
            )
        )
    return SiteNetwork(
        site=site,
        size_by=size_by,
        metrics=metrics,
        rows=rows,
        ranking=[GroupRow(groups[m.id], m) for m in metrics.ranking],
        communities=[
            sorted((groups[pk] for pk in part), key=lambda g: g.name.lower()) for part in metrics.communities
        ],
        relations=relations,
        nodes=nodes,
        edges=_edges(relations, positions, lambda pk: f"g{pk}"),
        computed_at=computed_at,
        stale=stale,
    )


def _partners(graph, group_id, groups, attribute: str) -> list[Partner]:
    found = [
        Partner(groups[other], graph.edges[group_id, other][attribute])
        for other in graph.neighbors(group_id)
        if graph.edges[group_id, other][attribute]
    ]
    return sorted(found, key=lambda p: (-p.intensity, p.group.name.lower()))


def group_network_metrics(user, group: Group) -> GroupNetworkMetrics | None:
    """The network metrics of one group within the groups and relations `user` sees at its site.

    None when the group is not among them (the caller should only pass a group the user may see), or
    when the worker has not measured it yet (it is asked to).
    """
    if not site_groups(user, group.site_id).filter(pk=group.pk).exists():
        return None
    if not sees_whole_site(user, group.site_id):
        return _measured_here(user, group)
    snapshot, _stale = _snapshot(group.site_id)
    row = snapshot.groups.filter(group=group).first() if snapshot else None
    if row is None:
        if snapshot is not None:
            recompute.request(recompute.NETWORK, group.site_id, delay_seconds=0)
        return None
    # The group's own relations give its partners; the community comes from the stored numbers.
    own = [
        r
        for r in site_relations(user, group.site_id)
        .select_related(None)
        .filter(Q(group_a=group) | Q(group_b=group))
        .values_list("group_a_id", "group_b_id", "type", "intensity")
    ]
    community = snapshot.groups.filter(community=row.community).exclude(group=group).values("group_id")
    neighbours = {pk for a, b, _t, _i in own for pk in (a, b)}
    groups = {
        g.pk: g
        for g in site_groups(user, group.site_id).filter(
            Q(pk__in=neighbours) | Q(pk__in=community) | Q(pk=group.pk)
        )
    }
    partners_graph = analysis.build_group_graph({pk: {"label": g.name} for pk, g in groups.items()}, own)
    community_ids = {pk for pk in community.values_list("group_id", flat=True)}
    return GroupNetworkMetrics(
        group=group,
        node=_node(row, group),
        community_groups=sorted(
            (groups[pk] for pk in community_ids if pk in groups), key=lambda g: g.name.lower()
        ),
        conflict_partners=_partners(partners_graph, group.pk, groups, "conflict"),
        alliance_partners=_partners(partners_graph, group.pk, groups, "alliance"),
        ranked_count=snapshot.ranked_count,
        group_count=snapshot.group_count,
        total_conflict_intensity=snapshot.total_conflict_intensity,
        computed_at=snapshot.computed_at,
    )


def _measured_here(user, group: Group) -> GroupNetworkMetrics:
    """A user who sees only disclosed groups of the site: measures of that small graph, on the spot."""
    groups = {g.pk: g for g in site_groups(user, group.site_id)}
    edges = [
        edge
        for edge in site_relations(user, group.site_id)
        .select_related(None)
        .values_list("group_a_id", "group_b_id", "type", "intensity")
        if edge[0] in groups and edge[1] in groups
    ]
    graph = analysis.build_group_graph({pk: {"label": g.name} for pk, g in groups.items()}, edges)
    metrics = analysis.network_metrics(graph)
    return GroupNetworkMetrics(
        group=group,
        node=metrics.get(group.pk),
        community_groups=sorted(
            (groups[pk] for pk in metrics.community_partners(group.pk)), key=lambda g: g.name.lower()
        ),
        conflict_partners=_partners(graph, group.pk, groups, "conflict"),
        alliance_partners=_partners(graph, group.pk, groups, "alliance"),
        ranked_count=len(metrics.ranking),
        group_count=len(metrics.nodes),
        total_conflict_intensity=metrics.total_conflict_intensity,
    )


def build_member_network(user, group: Group) -> MemberNetwork:
    """Members of `group` the user may see (membership and person both visible), and their other groups
    among the groups the user may see."""
    visible = current_memberships(user)
    persons = Person.objects.visible_to(user).filter(deactivated_at__isnull=True)
    members = list(
        visible.filter(group=group, person__in=persons).select_related("person").order_by("person__alias")
    )
    person_ids = {m.person_id for m in members}
    elsewhere = list(
        visible.filter(person_id__in=person_ids, group__in=Group.objects.visible_to(user))
        .exclude(group=group)
        .select_related("group")
        .order_by("group__name")
    )
    people = {m.person_id: m.person for m in members}
    other_groups = {m.group_id: m.group for m in elsewhere}
    labels = {("person", pk): p.alias for pk, p in people.items()}
    labels |= {("group", pk): g.name for pk, g in other_groups.items()}
    labels[("group", group.pk)] = group.name
    graph = analysis.build_member_graph(
        group.pk, [(m.person_id, m.group_id, m.role) for m in [*members, *elsewhere]], labels
    )
    positions = analysis.radial_member_layout(graph, group.pk, WIDTH, HEIGHT, MARGIN)

    roles: dict[int, list[str]] = {}
    for m in members:
        roles.setdefault(m.person_id, [])
        if m.get_role_display() not in roles[m.person_id]:
            roles[m.person_id].append(m.get_role_display())
    is_core = {m.person_id for m in members if m.role == GroupMembership.Role.CORE}
    others_of = analysis.member_other_groups(graph, group.pk)
    rows = [
        MemberRow(people[pk], roles[pk], [other_groups[g] for g in others_of.get(pk, [])])
        for pk in sorted(people, key=lambda pk: people[pk].alias.lower())
    ]

    nodes = []
    for key, (x, y) in positions.items():
        kind, pk = key
        if kind == "person":
            person = people[pk]
            title = _("%(alias)s: %(roles)s i %(group)s") % {
                "alias": person.alias,
                "roles": ", ".join(roles[pk]).lower(),
                "group": group.name,
            }
            if others_of.get(pk):
                title += ". " + _("Även i: %(groups)s") % {
                    "groups": ", ".join(other_groups[g].name for g in others_of[pk])
                }
            nodes.append(
                DrawnNode(
                    key=f"p{pk}",
                    kind="person",
                    label=person.alias,
                    short_label=_short(person.alias),
                    title=title,
                    href=reverse("groups:person_detail", args=[pk]),
                    x=x,
                    y=y,
                    r=10,
                    css="node-person " + ("member-core" if pk in is_core else "member-associate"),
                )
            )
        else:
            shown = group if pk == group.pk else other_groups[pk]
            nodes.append(
                DrawnNode(
                    key=f"g{pk}",
                    kind="group",
                    label=shown.name,
                    short_label=_short(shown.name),
                    title=shown.name
                    + (". " + _("Gruppen som visas") if pk == group.pk else ". " + _("Annan grupp")),
                    href=reverse("groups:group_detail", args=[pk]),
                    x=x,
                    y=y,
                    r=26 if pk == group.pk else 16,
                    css=f"node-group tier-{shown.violence_tier}" + (" focal" if pk == group.pk else ""),
                )
            )
    # Draw persons and other groups first, the focal group last (on top).
    nodes.sort(key=lambda n: n.key == f"g{group.pk}")

    role_labels = dict(GroupMembership.Role.choices)
    edges = []
    for u, v, data in graph.edges(data=True):
        person_key, group_key = (u, v) if u[0] == "person" else (v, u)
        (x1, y1), (x2, y2) = positions[person_key], positions[group_key]
        role = data.get("role", "")
        edges.append(
            DrawnEdge(
                a=f"p{person_key[1]}",
                b=f"g{group_key[1]}",
                type="core" if role == GroupMembership.Role.CORE else "associate",
                title=f"{people[person_key[1]].alias} – {graph.nodes[group_key]['label']}: "
                f"{role_labels.get(role, role)}",
                stroke_width=2,
                x1=x1,
                y1=y1,
                x2=x2,
                y2=y2,
            )
        )
    return MemberNetwork(
        group=group,
        rows=rows,
        other_groups=sorted(other_groups.values(), key=lambda g: g.name.lower()),
        nodes=nodes,
        edges=edges,
    )


# --------------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------------


@record_permission_required("groups.group")
def site_network(request):
    size_by = request.GET.get("storlek", SIZE_BY_ESTIMATE)
    if size_by not in dict(SIZE_CHOICES):
        size_by = SIZE_BY_ESTIMATE
    sites = network_sites(request.user)
    wanted = request.GET.get("plats", "")
    site = next((s for s in sites if s.slug == wanted), sites[0] if sites else None)
    network = build_site_network(request.user, site, size_by) if site else None
    return render(
        request,
        "groups/network.html",
        {
            "network": network,
            "site": site,
            "sites": sites,
            "size_by": size_by,
            "size_choices": SIZE_CHOICES,
            "size_label": dict(SIZE_CHOICES)[size_by],
        },
    )


@record_permission_required("groups.group")
def group_network(request, pk):
    group = visible_record(request.user, Group, pk)
    return render(
        request,
        "groups/group_network.html",
        {"group": group, "network": build_member_network(request.user, group)},
    )
