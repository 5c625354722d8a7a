"""Reads of incidents, always starting from `visible_to(user)`."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from gvi.groups.models import Group, GroupRelation, Person
from gvi.incidents.models import Incident, Involvement


def incidents_for(user, filters: dict | None = None):
    filters = filters or {}
    incidents = Incident.objects.visible_to(user).select_related("site", "area")
    # Days as ranges of moments (Stockholm's midnights), so the (site, -occurred_at) index serves them.
    if filters.get("fran"):
        incidents = incidents.filter(occurred_at__gte=start_of_day(filters["fran"]))
    if filters.get("till"):
        incidents = incidents.filter(occurred_at__lt=start_of_day(filters["till"] + timedelta(days=1)))
    if filters.get("typ"):
        incidents = incidents.filter(type=filters["typ"])
    if filters.get("omrade"):
        incidents = incidents.filter(area__name__icontains=filters["omrade"])
    if filters.get("grupp"):
        involved = Involvement.unscoped_all_sites.filter(group_id=filters["grupp"]).values("incident_id")
        incidents = incidents.filter(pk__in=involved)
    return incidents.order_by("-occurred_at", "-pk")


def involvements_of_person(user, person):
    """The person's involvements in incidents the user may see, newest first (for the person page)."""
    return (
        Involvement.objects.visible_to(user)
        .filter(person=person)
        .select_related("incident", "group")
        .order_by("-incident__occurred_at")
    )


def incidents_of_group(user, group):
    """The incidents the user may see in which the group was involved, newest first (for the group page)."""
    incident_ids = Involvement.unscoped_all_sites.filter(group=group).values("incident_id")
    return (
        Incident.objects.visible_to(user)
        .filter(pk__in=incident_ids)
        .select_related("area")
        .order_by("-occurred_at")
    )


def retaliation_risk_for(user, group) -> list:
    """The group's retaliation-risk alerts for its page (group-level only; never a person)."""
    from gvi.incidents.risk import group_risk

    found = group_risk(user, group)
    return found.alerts if found else []


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def involvements_of(user, incident):
    return (
        Involvement.objects.visible_to(user)
        .filter(incident=incident)
        .select_related("person", "group", "relation__group_a", "relation__group_b")
    )


def coding_choices(user, incident) -> dict:
    """What an involvement at this incident may point to: visible records at the incident's site."""
    return {f"{kind}s": picker_rows(user, kind, incident.site_id) for kind in PICKER_KINDS}


def picker_rows(user, kind: str, site_id=None):
    """The rows an involvement's `kind` field may name: visible, in use (not deactivated), at the site."""
    if kind == "person":
        rows = Person.objects.visible_to(user).filter(deactivated_at__isnull=True)
    elif kind == "group":
        rows = Group.objects.visible_to(user)
    else:
        rows = (
            GroupRelation.objects.visible_to(user)
            .filter(deactivated_at__isnull=True)
            .select_related("group_a", "group_b")
        )
    return rows if site_id is None else rows.filter(site_id=site_id)


PICKER_KINDS = ("person", "group", "relation")


def picker_matches(kind: str, queryset, query: str) -> tuple[list, bool]:
    """At most `pickers.LIMIT` rows of `queryset` (already scoped by `visible_to`) matching the search
    text, and whether there were more. Persons by alias (never by personal number), groups by name or
    other names and conflicts by either group's name, both compared by `name_key` (case and white space
    aside, å, ä and ö alike on every database); names that begin with the text first. Nothing is asked
    of the database for a text shorter than `pickers.MIN_LENGTH`."""
    from gvi.importing.text import name_key, normalise_name
    from gvi.pickers import LIMIT, MIN_LENGTH

    query = normalise_name(query)
    if len(query) < MIN_LENGTH:
        return [], False
    if kind == "person":
        found = list(queryset.filter(alias__icontains=query).order_by("alias", "pk")[: LIMIT + 1])
        return found[:LIMIT], len(found) > LIMIT
    key = name_key(query)
    if kind == "group":
        names = queryset.values_list("pk", "name", "aliases")
    else:
        names = queryset.values_list("pk", "group_a__name", "group_b__name")
    ranked = []
    for pk, *texts in names:
        keys = [name_key(text) for text in texts if text]
        if any(key in text for text in keys):
            ranked.append((not any(text.startswith(key) for text in keys), keys[0] if keys else "", pk))
    ranked.sort()
    ids = [pk for _starts, _name, pk in ranked[:LIMIT]]
    by_pk = queryset.in_bulk(ids)
    return [by_pk[pk] for pk in ids if pk in by_pk], len(ranked) > LIMIT


def groups_for_filter(user):
    return Group.objects.visible_to(user).order_by("name")


TIMELINE_LANES = 30  # groups drawn in lanes of their own; the rest share one
OTHER_GROUPS = "…"


def timeline_events(user, incidents, max_lanes: int = TIMELINE_LANES) -> list[tuple]:
    """(incident, when, lane, kind) per involved group; incidents without a visible group get their own lane.

    At most `max_lanes` groups get a lane of their own (those with the most incidents in the window); the
    incidents of the others are drawn once in a shared lane, so the drawing stays bounded."""
    incidents = list(incidents)
    lanes: dict[int, set[str]] = {}
    for involvement in (
        Involvement.objects.visible_to(user)
        .filter(incident__in=incidents, group__isnull=False)
        .select_related("group")
        .only("incident_id", "group__name")
    ):
        lanes.setdefault(involvement.incident_id, set()).add(involvement.group.name)
    frequency: dict[str, int] = {}
    for names in lanes.values():
        for name in names:
            frequency[name] = frequency.get(name, 0) + 1
    own_lane = set(sorted(frequency, key=lambda name: (-frequency[name], name))[:max_lanes])
    events = []
    for incident in incidents:
        names = lanes.get(incident.pk, set())
        shown = sorted(names & own_lane) + ([OTHER_GROUPS] if names - own_lane else [])
        for lane in shown or ["–"]:
            events.append((incident, incident.occurred_at, lane, incident.type))
    return events


def located(incidents) -> list:
    return [i for i in incidents if i.latitude is not None and i.longitude is not None]


def map_areas(user, incidents: list, located: list) -> list[tuple]:
    """(area, corners) for the map: the active areas of the shown incidents' sites (or the user's sites),
    and any area a shown incident refers to. An area with an outline is drawn by it; one without is named
    at the mean position of its located incidents (or left off when it has none)."""
    from gvi.partnership.models import Area, Membership

    site_ids = {incident.site_id for incident in incidents} or set(
        Membership.objects.active().filter(user=user).exclude(site=None).values_list("site_id", flat=True)
    )
    used = {incident.area_id for incident in incidents if incident.area_id}
    areas = Area.objects.filter(Q(site_id__in=site_ids, is_active=True) | Q(pk__in=used)).order_by("name")
    positions: dict[int, list[tuple[float, float]]] = {}
    for incident in located:
        if incident.area_id:
            positions.setdefault(incident.area_id, []).append(
                (float(incident.latitude), float(incident.longitude))
            )
    shapes = []
    for area in areas:
        if area.outline:
            shapes.append((area, [(float(lat), float(lon)) for lat, lon in area.outline]))
        elif area.pk in positions:
            spots = positions[area.pk]
            mean = (sum(lat for lat, _ in spots) / len(spots), sum(lon for _, lon in spots) / len(spots))
            shapes.append((area, [mean]))
    return shapes
