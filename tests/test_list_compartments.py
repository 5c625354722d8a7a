"""What lists and exports show: no row of another organisation (owner-only records) or another site (issue 19).

The access matrix (tests/test_access_matrix.py) checks status codes; this module checks content. The test
world (tests.factories.build_world) names every organisation's records at both sites with a marker
(`marker(kind, site, org type)`, e.g. MRK-PERSON-A-POLICE) in the field lists show.

Which routes are lists or exports, by rule: every route of the matrix without a record (no `kind`, no URL
arguments) answered with a GET that some person worker (coordinator, analyst, caseworker, probation
officer) gets 200 for, plus the export routes named in EXPORTS (downloads by POST, or of one record).
Every such route must be declared in LISTS (its content is checked) or in NOT_LISTS (with the reason it
shows no records); `test_every_list_is_declared` fails for a new one that is neither.

For every declared route and every role that gets 200 in the matrix, the body (HTML, JSON, CSV, iCalendar;
XLSX read with openpyxl; PDF text through pdfminer) must hold none of the markers the role may not see:
- owner-only kinds (persons, support cases; memberships, notifications and invitations show the person's
  alias): every marker but the role's own organisation's at its own site;
- site-wide kinds (groups, incidents, call-ins): every marker of the other site;
- a role without a site (national analyst, administrator, data-protection officer): every marker.
To prove the check can fail, the role's own marker of each kind the route declares (`shows`) must be in
the body for the roles that see it.
"""

import html
import io
import json
from dataclasses import dataclass, field

import pytest
from django.test import Client

from gvi.partnership.models import SITELESS_ROLES, Role
from tests.factories import ROLE_ORG_TYPE, SITE_TYPES, marker, verified_login
from tests.test_access_matrix import ALL_ROLES, MATRIX, PERSON_WORKERS, _request

C, A, CW, P = Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER
CP, S, N, AD = Role.COMMUNITY_PARTNER, Role.STEERING_MEMBER, Role.NATIONAL_ANALYST, Role.ADMINISTRATOR
DPO = Role.DATA_PROTECTION_OFFICER

OWNER_ONLY_KINDS = ("person", "supportcase")
SITE_WIDE_KINDS = ("group", "incident", "callin")
MARKED_KINDS = OWNER_ONLY_KINDS + SITE_WIDE_KINDS
SITES = ("a", "b")


@dataclass
class Check:
    shows: dict = field(default_factory=dict)  # kind -> roles whose own marker of that kind must be shown
    requests: list | None = None  # [(method, data)]; None: the matrix's own request
    kind: str | None = None  # for an export of one record: its kind (the role's own record is asked for)


def all_markers():
    return {
        (kind, slug, org_type): marker(kind, slug, org_type)
        for kind in MARKED_KINDS
        for slug in SITES
        for org_type in SITE_TYPES
    }


def forbidden_markers(role) -> set[str]:
    own_type = ROLE_ORG_TYPE[role]
    forbidden = set()
    for (kind, slug, org_type), text in all_markers().items():
        if role in SITELESS_ROLES or own_type not in SITE_TYPES or slug != "a":
            forbidden.add(text)
        elif kind in OWNER_ONLY_KINDS and org_type != own_type:
            forbidden.add(text)
    return forbidden


def own_marker(kind, role) -> str:
    return marker(kind, "a", ROLE_ORG_TYPE[role])


def body_text(response) -> str:
    content_type = response.get("Content-Type", "")
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(raw), read_only=True)
        return "\n".join(
            " ".join("" if cell is None else str(cell) for cell in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if "pdf" in content_type:
        from pdfminer.high_level import extract_text

        return extract_text(io.BytesIO(raw))
    text = raw.decode("utf-8-sig")
    if "json" in content_type:
        return json.dumps(json.loads(text), ensure_ascii=False)
    return html.unescape(text)


def _p(kind, roles):
    return {kind: list(roles)}


PW = list(PERSON_WORKERS)

# ----- lists of the matrix (the rule above): what each shows of the role's own records -----
LISTS = {
    # pages
    "access:approvals": Check(),  # memberships waiting for approval: accounts, no person data
    "access:disclosures": Check(),  # the disclosures' metadata; the world's disclose unmarked persons
    "access:dpia": Check(),  # configuration and counts
    "access:own_password": Check(),
    "access:own_tokens": Check(),
    "access:unlock_request": Check(),
    "audit_io:export": Check(),  # the form (the downloads: EXPORTS)
    "audit_io:import_upload": Check(),  # the upload form
    "audit_io:assistant_upload": Check(),  # the import assistant's upload form
    "communication:callin_create": Check(_p("group", PW)),  # target groups to choose from
    "communication:callin_list": Check({"callin": [C, A, CW, P, CP], "group": [C, A, CW, P, CP]}),
    "communication:communicationback_create": Check({"group": [C, A], "callin": [C, A]}),
    "communication:communicationback_list": Check(_p("group", [C, A, CW, P, CP])),
    "communication:notification_create": Check(_p("person", PW)),  # persons to choose from
    "communication:notification_list": Check(_p("person", PW)),
    "communication:notification_suggestions": Check(),  # the world has no suggestion
    "communication:reach": Check(_p("group", PW)),
    "dataprotection:request_list": Check(),  # the world's requests name no marked person
    "evaluation:report": Check(),  # aggregate PDF
    "evaluation:research_export": Check(),  # aggregate CSV
    "evaluation:settings": Check(),
    "evaluation:site_statistics": Check(),
    "groups:audit": Check(),  # the review rounds
    "groups:audit_as_of": Check(_p("group", PW)),
    "groups:audit_round_create": Check(),
    "groups:entry_queue": Check(),  # the world's entries are approved
    "groups:group_create": Check(),
    "groups:group_list": Check(_p("group", PW)),
    "groups:membership_create": Check({"group": [A, CW, P], "person": [A, CW, P]}),
    "groups:person_create": Check(),
    "groups:person_list": Check(_p("person", PW)),
    "groups:relation_create": Check(_p("group", [A])),
    "incidents:incident_create": Check(),
    "incidents:incident_list": Check(_p("group", PW)),  # the involved groups
    "incidents:map": Check(_p("group", PW)),
    # the coding form's search pickers, searched for the markers' common prefix (every marker matches)
    "incidents:pick_person": Check(_p("person", PW), requests=[("get", {"q": "MRK"})]),
    "incidents:pick_group": Check(_p("group", PW), requests=[("get", {"q": "MRK"})]),
    "incidents:pick_relation": Check(_p("group", PW), requests=[("get", {"q": "MRK"})]),
    "incidents:timeline": Check(_p("group", PW)),
    "meetings:meeting_create": Check(),
    "meetings:meeting_list": Check(),
    "meetings:task_list": Check(),
    "network:site_network": Check(),  # the graph's data is fetched by the page's script
    "notices:settings": Check(),
    "partnership:area_list": Check(),
    "partnership:health": Check(),
    "partnership:home": Check(_p("callin", [C, A, CW, P, CP])),  # coming call-ins
    "risk:overview": Check(),
    "sanctions:episode_create": Check(_p("group", [C, A])),
    "sanctions:episode_list": Check(_p("group", PW)),
    "sanctions:metrics": Check(_p("group", PW)),
    "sanctions:rule_create": Check(_p("group", [C])),
    "sanctions:rule_list": Check(),
    "support:case_create": Check(_p("person", [CW])),
    "support:case_export": Check(),  # the form (the download: EXPORTS)
    "support:case_list": Check(_p("supportcase", [C, CW])),
    "support:facts_received": Check(),  # the world's facts are about unmarked persons
    "support:statistics": Check(),
    # API (JSON; the ids are checked too, API_KINDS)
    "api:communication_reach": Check(),
    "api:list_announced_rules": Check(),
    "api:list_call_ins": Check(_p("callin", [C, A, CW, P, CP])),
    "api:list_communications_back": Check(),
    "api:list_groups": Check(_p("group", PW)),
    "api:list_incidents": Check(),
    "api:list_invitations": Check(),
    "api:list_memberships": Check(),
    "api:list_notifications": Check(),
    "api:list_persons": Check(_p("person", PW)),
    "api:list_relations": Check(),
    "api:list_sanction_actions": Check(),
    "api:list_sanction_episodes": Check(),
    "api:list_support_cases": Check(_p("supportcase", [C, CW])),
    "api:list_support_facts": Check(),
    "api:me": Check(),
    "api:openapi-json": Check(),
    "api:sanction_metrics": Check(),
}


def _export(kind, fmt):
    return ("post", {"kind": kind, "format": fmt, "purpose": "Kontroll av listornas avgränsning"})


# ----- exports outside the rule: downloads by POST, or of one record (the role's own) -----
EXPORTS = {
    "audit_io:export@persons": Check(
        {"person": [C, A]}, requests=[_export("personer", "csv"), _export("personer", "xlsx")]
    ),
    "audit_io:export@groups": Check(
        {"group": [C, A]}, requests=[_export("grupper", "csv"), _export("grupper", "xlsx")]
    ),
    "audit_io:export@memberships": Check(
        {"person": [C, A], "group": [C, A]},
        requests=[_export("medlemskap", "csv"), _export("medlemskap", "xlsx")],
    ),
    "support:case_export@download": Check(
        _p("supportcase", [CW]), requests=[("post", {"purpose": "Kontroll av listornas avgränsning"})]
    ),
    "dataprotection:extract": Check(_p("person", [A, CW, P]), kind="person"),
    "meetings:minutes_pdf": Check(kind="meeting"),
    "notices:meeting_ics": Check(kind="meeting"),
    "logreview:round_csv": Check(kind="followupround"),
    "logreview:round_pdf": Check(kind="followupround"),
}

# Lists and exports not checked here, and why.
NOT_CHECKED = {
    # opens by a calendar's secret, never the matrix's wrong one; tests/notices/test_calendar.py reads a
    # real feed, which lists only the user's own meetings and tasks
    "notices:calendar_feed": "secret link",
}


def list_routes() -> set[str]:
    """The rule: no record, no URL arguments, a GET, and 200 for some person worker."""
    return {
        name
        for name, route in MATRIX.items()
        if route.kind is None
        and not route.kwargs
        and route.method == "get"
        and any(route.expect[role] == 200 for role in PERSON_WORKERS)
    }


def test_every_list_is_declared():
    undeclared = sorted(list_routes() - set(LISTS))
    assert not undeclared, f"List routes without a row in LISTS: {undeclared}"
    stale = sorted(set(LISTS) - list_routes())
    assert not stale, f"LISTS rows that are no list route by the rule: {stale}"
    exports = {name.split("@")[0] for name in EXPORTS} | set(NOT_CHECKED)
    assert exports <= set(MATRIX), sorted(exports - set(MATRIX))


def _roles_with_200(route):
    """The roles that get 200 (for a route of one record: for their own organisation's record)."""
    for role in ALL_ROLES:
        expected = route.expect[role]
        if (expected[0] if isinstance(expected, tuple) else expected) == 200:
            yield role


def _responses(world, name, check, role):
    route_name = name.split("@")[0]
    route = MATRIX[route_name]
    record = world.record(check.kind, role, "own") if check.kind else None
    for method, data in check.requests or [(route.method, route.data)]:
        client = verified_login(Client(), world.users[role])
        variant = type(route)(**{**route.__dict__, "method": method, "data": data})
        yield _request(client, variant, route_name, record, world, role)


def _check(world, name, check):
    route = MATRIX[name.split("@")[0]]
    failures = []
    roles = list(_roles_with_200(route))  # for a download by POST: the roles that reach its form
    assert roles, f"{name}: no role gets 200"
    for role in roles:
        for response in _responses(world, name, check, role):
            if response.status_code != 200:
                failures.append(f"{role}: status {response.status_code}")
                continue
            text = body_text(response)
            shown = sorted(text_marker for text_marker in forbidden_markers(role) if text_marker in text)
            if shown:
                failures.append(f"{role} sees {shown}")
            for kind, seeing in check.shows.items():
                if role in seeing and own_marker(kind, role) not in text:
                    failures.append(f"{role} does not see its own {own_marker(kind, role)}")
    return failures


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(LISTS))
def test_list_shows_no_other_compartment(name, world):
    failures = _check(world, name, LISTS[name])
    assert not failures, f"{name}: " + "; ".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_export_shows_no_other_compartment(name, world):
    failures = _check(world, name, EXPORTS[name])
    assert not failures, f"{name}: " + "; ".join(failures)


# ----- the API lists: the ids returned agree with the detail route's row of the matrix -----
# For every world record of the list's kind (own organisation at the own site / another organisation at
# the site / another site, as the matrix's targets), the list holds its id exactly when the detail route
# answers 200 for that target. (The facts disclosed to the caller have no detail route; their markers are
# checked above.)
API_DETAIL = {
    "api:list_persons": ("person", "api:get_person"),
    "api:list_groups": ("group", "api:get_group"),
    "api:list_memberships": ("membership", "api:get_membership"),
    "api:list_relations": ("relation", "api:get_relation"),
    "api:list_incidents": ("incident", "api:get_incident"),
    "api:list_call_ins": ("callin", "api:get_call_in"),
    "api:list_invitations": ("invitation", "api:get_invitation"),
    "api:list_notifications": ("notification", "api:get_notification"),
    "api:list_communications_back": ("communicationback", "api:get_communication_back"),
    "api:list_sanction_episodes": ("sanctionepisode", "api:get_sanction_episode"),
    "api:list_sanction_actions": ("sanctionaction", "api:get_sanction_action"),
    "api:list_announced_rules": ("announcedrule", "api:get_announced_rule"),
    "api:list_support_cases": ("supportcase", "api:get_support_case"),
}
TARGETS = ("own", "other_org", "other_site")


def _target(role, slug, org_type) -> str:
    own_type = ROLE_ORG_TYPE[role] if ROLE_ORG_TYPE[role] in SITE_TYPES else SITE_TYPES[0]
    if slug != "a":
        return "other_site"
    return "own" if org_type == own_type else "other_org"


def test_every_api_list_is_compared_with_its_detail_route():
    api_lists = {name for name in LISTS if name.startswith("api:list_")}
    assert api_lists - set(API_DETAIL) == {"api:list_support_facts"}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(API_DETAIL))
def test_api_list_ids_match_detail_access(name, world):
    kind, detail = API_DETAIL[name]
    failures = []
    for role in ALL_ROLES:
        expected = MATRIX[detail].expect[role]
        expected = dict(
            zip(TARGETS, expected if isinstance(expected, tuple) else (expected,) * 3, strict=True)
        )
        client = verified_login(Client(), world.users[role])
        response = _request(client, MATRIX[name], name, None, world, role)
        assert response.status_code == 200, (name, role, response.status_code)
        payload = response.json()
        ids = {item["id"] for item in (payload["items"] if isinstance(payload, dict) else payload)}
        for (record_kind, slug, org_type), record in world.records.items():
            if record_kind != kind:
                continue
            target = _target(role, slug, org_type)
            if (record.pk in ids) != (expected[target] == 200):
                seen = "lists" if record.pk in ids else "does not list"
                failures.append(f"{role} {seen} {kind} {slug}/{org_type} ({target}: {expected[target]})")
    assert not failures, f"{name}: " + "; ".join(failures)


def test_the_forbidden_markers_follow_the_compartments():
    analyst = forbidden_markers(A)
    assert marker("person", "a", "police") not in analyst  # its own
    assert marker("person", "a", "municipality") in analyst  # another organisation's person
    assert marker("group", "a", "municipality") not in analyst  # groups are site-wide
    assert marker("group", "b", "police") in analyst  # another site's
    assert set(all_markers().values()) == forbidden_markers(N)  # no site: nothing
