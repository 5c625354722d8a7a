"""The access matrix: every route x every role x own / other-organisation / other-site records.

A route missing here fails `test_every_route_is_in_the_matrix`. Expected answers:
- an int applies to all three targets; a tuple is (own organisation, other organisation, other site);
- ANON is the answer for a visitor who is not logged in.
"""

import json
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from gvi.partnership.models import Role
from tests.factories import ROLE_ORG_TYPE, PersonFactory, verified_login
from tests.sanctions.factories import ORG_LEVER
from tests.support.factories import support_case_payload, support_close_payload, support_contact_payload

C, A, CW, P = Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER
CP, S, N, AD = Role.COMMUNITY_PARTNER, Role.STEERING_MEMBER, Role.NATIONAL_ANALYST, Role.ADMINISTRATOR
DPO = Role.DATA_PROTECTION_OFFICER
ALL_ROLES = [C, A, CW, P, CP, S, N, AD, DPO]
PERSON_WORKERS = [C, A, CW, P]
MEETING_VIEWERS, RUNNERS, TASK_HOLDERS = [C, A, CW, P], [C, A], [C, A, CW, P, CP, S]
RUN_POST = (302, 302, 404)
OWNER_ONLY = (200, 404, 404)  # compartment: own organisation at own site
SITE_WIDE = (200, 200, 404)  # group-level records: any organisation at the user's site


@dataclass
class Route:
    expect: dict  # role -> int | (own, other_org, other_site)
    anon: int
    kind: str | None = None  # record kind for <pk>
    method: str = "get"
    data: object = None  # form data, or for JSON calls a function (world, role) -> payload
    kwargs: dict | None = None  # further URL arguments
    json: bool = False


def only(roles, answer, default):
    return {role: (answer if role in roles else default) for role in ALL_ROLES}


TASK_EDIT = {
    **only(RUNNERS, (200, 200, 404), 403),
    CW: (200, 403, 404),
    P: (200, 403, 404),
    CP: (200, 404, 404),
    S: (200, 404, 404),
}
TASK_STATUS = {
    **only(RUNNERS, RUN_POST, 403),
    CW: (302, 403, 404),
    P: (302, 403, 404),
    CP: (302, 404, 404),
    S: (302, 404, 404),
}

MATRIX = {
    "partnership:home": Route(only(ALL_ROLES, 200, 0), anon=302),
    "partnership:health": Route(only(ALL_ROLES, 200, 0), anon=200),
    # Ready only with a worker's recent heartbeat, which the test world has none of: 503 for everyone.
    "partnership:readiness": Route(only(ALL_ROLES, 503, 0), anon=503),
    "access:login": Route(only(ALL_ROLES, 302, 0), anon=200),
    "access:logout": Route(only(ALL_ROLES, 302, 0), anon=302, method="post"),
    "access:second_factor": Route(only(ALL_ROLES, 302, 0), anon=302),
    "access:enrol_second_factor": Route(only(ALL_ROLES, 302, 0), anon=302),
    "access:disclosures": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "access:disclosure_revoke": Route(
        only(PERSON_WORKERS, (302, 404, 404), 403), anon=302, kind="disclosure", method="post"
    ),
    "access:access_log": Route(only([AD], 200, 403), anon=302),
    "access:audit_verify": Route(only([AD], 200, 403), anon=302),
    # The impact assessment's factual part (configuration and counts, no person data): the coordinator.
    "access:dpia": Route(only([C, DPO], 200, 403), anon=302),
    # The one-time link: unknown tokens are 404 for everyone, signed in or not.
    "access:set_password": Route(only(ALL_ROLES, 404, 0), anon=404, kwargs={"token": "okand"}),
    "access:unlock_request": Route(only(ALL_ROLES, 200, 0), anon=200),
    "access:unlock_link": Route(only(ALL_ROLES, 404, 0), anon=404, kwargs={"token": "okand"}),
    "access:own_password": Route(only(ALL_ROLES, 200, 0), anon=302),
    "access:account_list": Route(only([AD], 200, 403), anon=302),
    "access:account_create": Route(only([AD], 200, 403), anon=302),
    "access:account_detail": Route(only([AD], 404, 403), anon=302, kwargs={"pk": 999999}),
    "access:account_action": Route(
        only([AD], 404, 403), anon=302, method="post", kwargs={"pk": 999999, "action": "las-upp"}
    ),
    "access:membership_end": Route(only([AD], 404, 403), anon=302, method="post", kwargs={"pk": 999999}),
    # API keys: everyone issues and lists their own; the administrator lists everyone's. An unknown key's
    # revocation is 404 for all (another user's key is 404 too, except for the administrator).
    "access:own_tokens": Route(only(ALL_ROLES, 200, 0), anon=302),
    "access:token_revoke": Route(only(ALL_ROLES, 404, 0), anon=302, kwargs={"pk": 999999}),
    "access:token_admin_list": Route(only([AD], 200, 403), anon=302),
    # Approvers: the coordinator of the organisation (or its data-protection role).
    "access:approvals": Route(only([C], 200, 403), anon=302),
    "access:approval_decide": Route(
        only(ALL_ROLES, 404, 0), anon=302, method="post", kwargs={"pk": 999999, "decision": "godkann"}
    ),
    "groups:person_list": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "groups:person_detail": Route(only(PERSON_WORKERS, OWNER_ONLY, 403), anon=302, kind="person"),
    "groups:person_edit": Route(only([A, CW, P], OWNER_ONLY, 403), anon=302, kind="person"),
    "groups:person_disclose": Route(only([A, CW, P], OWNER_ONLY, 403), anon=302, kind="person"),
    "groups:group_list": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "groups:group_detail": Route(only(PERSON_WORKERS, SITE_WIDE, 403), anon=302, kind="group"),
    "groups:group_members": Route(only(PERSON_WORKERS, SITE_WIDE, 403), anon=302, kind="group"),
    "groups:group_relations": Route(only(PERSON_WORKERS, SITE_WIDE, 403), anon=302, kind="group"),
    "incidents:incident_list": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "incidents:incident_detail": Route(only(PERSON_WORKERS, SITE_WIDE, 403), anon=302, kind="incident"),
    "groups:person_create": Route(only([A, CW, P], 200, 403), anon=302),
    "groups:person_reveal": Route(only([A, CW, P], OWNER_ONLY, 403), anon=302, kind="person"),
    "groups:group_create": Route(only([A], 200, 403), anon=302),
    "groups:group_edit": Route(only([A], SITE_WIDE, 403), anon=302, kind="group"),
    "groups:membership_create": Route(only([A, CW, P], 200, 403), anon=302),
    "groups:membership_edit": Route(only([A, CW, P], OWNER_ONLY, 403), anon=302, kind="membership"),
    "groups:relation_create": Route(only([A], 200, 403), anon=302),
    "groups:relation_edit": Route(only([A], SITE_WIDE, 403), anon=302, kind="relation"),
    "groups:audit": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "groups:audit_round_create": Route(only([A], 200, 403), anon=302),
    "groups:audit_as_of": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "groups:record_remove": Route(
        {**only([A, CW, P], OWNER_ONLY, 403), C: 404}, anon=302, kind="person", kwargs={"kind": "person"}
    ),
    "groups:record_reviewed": Route(
        {**only([A, CW, P], (302, 404, 404), 403), C: 404},
        anon=302,
        kind="person",
        kwargs={"kind": "person"},
        method="post",
        data=lambda world, role, record: {"version": record.version},
    ),
    # Four eyes: every person-record role reaches the queue (empty unless it approves entries); a decision
    # on an entry that is not in the user's queue (the world's entries are approved) is 404. The approver's
    # own answers (200/302, never for the proposer) are in tests/groups/test_four_eyes.py.
    "groups:entry_queue": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "groups:entry_decide": Route(
        only(PERSON_WORKERS, 404, 403),
        anon=302,
        kind="person",
        kwargs={"kind": "person"},
        method="post",
        data=lambda world, role, record: {"version": record.version, "beslut": "godkann"},
    ),
    "audit_io:import_upload": Route(only([A, CW, P], 200, 403), anon=302),
    "audit_io:import_confirm": Route(only([A, CW, P], 302, 403), anon=302, method="post"),
    # A job is the uploader's own: an importing role gets 404 for anyone else's, the others 403.
    "audit_io:import_job": Route(
        only([A, CW, P], 404, 403), anon=302, kwargs={"job": "8a4f8a57-2f3c-4d43-9a59-3d1b8f0d6c11"}
    ),
    "audit_io:export": Route(only([C, A], 200, 403), anon=302),
    "network:site_network": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "network:group_network": Route(only(PERSON_WORKERS, SITE_WIDE, 403), anon=302, kind="group"),
    "incidents:incident_create": Route(only([A], 200, 403), anon=302),
    "incidents:incident_edit": Route(only([A], SITE_WIDE, 403), anon=302, kind="incident"),
    "incidents:involvement_create": Route(only([A, CW, P], SITE_WIDE, 403), anon=302, kind="incident"),
    "incidents:involvement_edit": Route(only([A, CW, P], OWNER_ONLY, 403), anon=302, kind="involvement"),
    "incidents:involvement_remove": Route(only([A, CW, P], OWNER_ONLY, 403), anon=302, kind="involvement"),
    "risk:overview": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "incidents:timeline": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "incidents:map": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "meetings:meeting_list": Route(only(MEETING_VIEWERS + [S], 200, 403), anon=302),
    "meetings:meeting_create": Route(only(RUNNERS, 200, 403), anon=302),
    "meetings:meeting_detail": Route(
        {**only(MEETING_VIEWERS, SITE_WIDE, 403), S: 404}, anon=302, kind="meeting"
    ),
    "meetings:meeting_edit": Route(only(RUNNERS, SITE_WIDE, 403), anon=302, kind="meeting"),
    "meetings:agenda_refresh": Route(only(RUNNERS, RUN_POST, 403), anon=302, kind="meeting", method="post"),
    "meetings:agenda_item_create": Route(
        only(RUNNERS, RUN_POST, 403), anon=302, kind="meeting", method="post", data={"title": "Övrigt"}
    ),
    "meetings:meeting_status": Route(
        only(RUNNERS, RUN_POST, 403),
        anon=302,
        kind="meeting",
        method="post",
        data=lambda world, role, record: {"status": "closed", "version": record.version},
    ),
    "meetings:decision_create": Route(only(RUNNERS, SITE_WIDE, 403), anon=302, kind="meeting"),
    "meetings:meeting_mode": Route(
        {**only(MEETING_VIEWERS, SITE_WIDE, 403), S: 404}, anon=302, kind="meeting"
    ),
    "meetings:minutes_pdf": Route(
        {**only(MEETING_VIEWERS, SITE_WIDE, 403), S: 404}, anon=302, kind="meeting"
    ),
    "meetings:task_create": Route(only(RUNNERS, SITE_WIDE, 403), anon=302, kind="decision"),
    "meetings:task_list": Route(only(TASK_HOLDERS, 200, 403), anon=302),
    "meetings:task_edit": Route(TASK_EDIT, anon=302, kind="task"),
    "meetings:task_status": Route(
        TASK_STATUS,
        anon=302,
        kind="task",
        method="post",
        data=lambda world, role, record: {"status": "in_progress", "version": record.version},
    ),
    "evaluation:site_statistics": Route(only([C, S, A], 200, 403), anon=302),
    "evaluation:national": Route(only([N], 200, 403), anon=302),
    "evaluation:national_monthly": Route(only([N], 200, 403), anon=302),
    "evaluation:national_import": Route(only([N], 200, 403), anon=302),
    "evaluation:settings": Route(only([C], 200, 403), anon=302),
    # The site's list of areas: kept by its coordinator; another site's area is not found.
    "partnership:area_list": Route(only([C], 200, 403), anon=302),
    "partnership:area_edit": Route(only([C], (200, 200, 404), 403), anon=302, kind="area"),
    # An import job is seen only by the user who uploaded it; none of the matrix users has one.
    "evaluation:import_job": Route(
        only(ALL_ROLES, 404, 0), anon=302, kwargs={"job": "8a4f8a57-2f3c-4d43-9a59-3d1b8f0d6c11"}
    ),
    "evaluation:research_export": Route(only([C, S, A], 200, 403), anon=302),
    "evaluation:report": Route(only([C, S, A], 200, 403), anon=302),
    "set_language": Route(only(ALL_ROLES, 302, 0), anon=302, method="post", data={"language": "en"}),
    "admin:index": Route(only([AD], 200, 302), anon=302),
    "api:openapi-json": Route(only(ALL_ROLES, 200, 0), anon=200),
    "api:api-root": Route(only(ALL_ROLES, 404, 0), anon=404),
    "api:me": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:list_persons": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_person": Route(only(PERSON_WORKERS, OWNER_ONLY, 404), anon=401, kind="person"),
    "api:patch_person": Route(
        {**only([A, CW, P], OWNER_ONLY, 404), C: (403, 404, 404)}, anon=401, kind="person", method="patch"
    ),
    "api:create_person": Route(
        only([A, CW, P], 201, 403),
        anon=401,
        method="post",
        json=True,
        data=lambda w, r, x: {"alias": "Ny", "is_victim": True},
    ),
    "api:delete_person": Route(
        only([A, CW, P], (204, 404, 404), 404),
        anon=401,
        kind="person",
        method="delete",
        data=lambda w, r, x: {},
    ),
    "api:list_groups": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:create_group": Route(
        only([A], 201, 403),
        anon=401,
        method="post",
        json=True,
        data=lambda w, r, x: {"name": "Ny grupp", "next_review": "2030-01-01"},
    ),
    "api:patch_group": Route(
        {**only([A], SITE_WIDE, 404), C: (403, 403, 404), CW: (403, 403, 404), P: (403, 403, 404)},
        anon=401,
        kind="group",
        method="patch",
    ),
    "api:list_memberships": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_membership": Route(only(PERSON_WORKERS, OWNER_ONLY, 404), anon=401, kind="membership"),
    "api:create_membership": Route(
        only([A, CW, P], 201, 404),
        anon=401,
        method="post",
        json=True,
        data=lambda w, r, x: {
            "person_id": w.record("person", r, "own").pk,
            "group_id": w.record("group", r, "own").pk,
            "role": "core",
            "valid_from": "2026-01-01",
            "criteria": ["self_admission"],
            "evidence_note": "Samtal",
            "confidence": "high",
        },
    ),
    "api:patch_membership": Route(
        {**only([A, CW, P], OWNER_ONLY, 404), C: (403, 404, 404)}, anon=401, kind="membership", method="patch"
    ),
    "api:delete_membership": Route(
        only([A, CW, P], (204, 404, 404), 404),
        anon=401,
        kind="membership",
        method="delete",
        data=lambda w, r, x: {},
    ),
    "api:list_relations": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_relation": Route(only(PERSON_WORKERS, SITE_WIDE, 404), anon=401, kind="relation"),
    "api:create_relation": Route(
        {**only([A], 201, 404), C: 403, CW: 403, P: 403},
        anon=401,
        method="post",
        json=True,
        data=lambda w, r, x: {
            "group_a_id": w.record("group", r, "own").pk,
            "group_b_id": w.record("group", r, "other_org").pk,
            "type": "conflict",
            "confidence": "low",
            "basis": "Skottlossning",
        },
    ),
    "api:patch_relation": Route(
        {**only([A], SITE_WIDE, 404), C: (403, 403, 404), CW: (403, 403, 404), P: (403, 403, 404)},
        anon=401,
        kind="relation",
        method="patch",
    ),
    "api:get_group": Route(only(PERSON_WORKERS, SITE_WIDE, 404), anon=401, kind="group"),
    "api:list_incidents": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_incident": Route(only(PERSON_WORKERS, SITE_WIDE, 404), anon=401, kind="incident"),
    "api:push_incident": Route(
        only([A], 201, 403),
        anon=401,
        method="post",
        json=True,
        data=lambda w, r, x: {
            "type": "shooting",
            "occurred_at": "2026-01-05T21:10:00+01:00",
            "area": "Centrum",
        },
    ),
    "api:patch_incident": Route(
        {**only([A], SITE_WIDE, 404), C: (403, 403, 404), CW: (403, 403, 404), P: (403, 403, 404)},
        anon=401,
        kind="incident",
        method="patch",
    ),
}

# ----- offer of help (gvi.support) -----
SOCIAL = [C, CW]  # the owning social-services organisation: its caseworker and coordinator
RECIPIENTS = [C, A, CW, P]  # who may read a fact disclosed to their organisation
PARTNERSHIP = [C, S, A, CW, P]  # aggregate statistics at the site

SUPPORT_MATRIX = {
    "support:case_list": Route(only(SOCIAL, 200, 403), anon=302),
    "support:case_create": Route(only([CW], 200, 403), anon=302),
    "support:case_export": Route(only([CW], 200, 403), anon=302),
    "support:statistics": Route(only(PARTNERSHIP, 200, 403), anon=302),
    "support:facts_received": Route(only(RECIPIENTS, 200, 403), anon=302),
    "support:case_detail": Route(only(SOCIAL, OWNER_ONLY, 403), anon=302, kind="supportcase"),
    "support:case_edit": Route(only([CW], OWNER_ONLY, 403), anon=302, kind="supportcase"),
    "support:case_close": Route(only([CW], OWNER_ONLY, 403), anon=302, kind="supportcase"),
    "support:needs_edit": Route(only([CW], OWNER_ONLY, 403), anon=302, kind="supportcase"),
    "support:plan_item_create": Route(only([CW], OWNER_ONLY, 403), anon=302, kind="supportcase"),
    "support:contact_create": Route(only([CW], OWNER_ONLY, 403), anon=302, kind="supportcase"),
    "support:fact_create": Route(only([CW], OWNER_ONLY, 403), anon=302, kind="supportcase"),
    "support:plan_item_edit": Route(only([CW], OWNER_ONLY, 403), anon=302, kind="planitem"),
    "support:fact_revoke": Route(
        only([CW], (302, 404, 404), 403), anon=302, kind="supportfact", method="post"
    ),
    "api:list_support_cases": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:list_support_facts": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_support_case": Route(only(SOCIAL, OWNER_ONLY, 404), anon=401, kind="supportcase"),
    "api:create_support_case": Route(
        only([CW], 201, 403), anon=401, method="post", json=True, data=support_case_payload
    ),
    "api:patch_support_case": Route(
        {**only([CW], OWNER_ONLY, 404), C: (403, 404, 404)}, anon=401, kind="supportcase", method="patch"
    ),
    "api:close_support_case": Route(
        {**only([CW], OWNER_ONLY, 404), C: (403, 404, 404)},
        anon=401,
        kind="supportcase",
        method="post",
        json=True,
        data=support_close_payload,
    ),
    "api:add_support_contact": Route(
        {**only([CW], (201, 404, 404), 404), C: (403, 404, 404)},
        anon=401,
        kind="supportcase",
        method="post",
        json=True,
        data=support_contact_payload,
    ),
}

MATRIX.update(SUPPORT_MATRIX)

# ----- direct communication (gvi.communication) -----
CALL_IN_ROLES = [C, A, CW, P, CP]
REACH_ROLES = [C, A, CW, P, CP, S]


def _tick(world, role, record):
    return {"version": record.version, "done": [item.pk for item in record.checklist.all()]}


def _new_invitation(world, role, record):
    own_person = world.record("person", role, "own")
    return {
        "call_in_id": world.record("callin", role, "own").pk,
        "person_id": PersonFactory(site=own_person.site, owner=own_person.owner).pk,
        "channel": "letter",
    }


COMMUNICATION_MATRIX = {
    "communication:callin_list": Route(only(CALL_IN_ROLES, 200, 403), anon=302),
    "communication:callin_create": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "communication:callin_detail": Route(only(CALL_IN_ROLES, SITE_WIDE, 403), anon=302, kind="callin"),
    "communication:callin_edit": Route(only(PERSON_WORKERS, SITE_WIDE, 403), anon=302, kind="callin"),
    "communication:callin_checklist": Route(
        only(CALL_IN_ROLES, (302, 302, 404), 403), anon=302, kind="callin", method="post", data=_tick
    ),
    "communication:callin_outcome": Route(only(PERSON_WORKERS, SITE_WIDE, 403), anon=302, kind="callin"),
    "communication:callin_remove": Route(only(PERSON_WORKERS, SITE_WIDE, 403), anon=302, kind="callin"),
    "communication:invitation_create": Route(only(PERSON_WORKERS, SITE_WIDE, 403), anon=302, kind="callin"),
    "communication:invitation_edit": Route(
        only(PERSON_WORKERS, OWNER_ONLY, 403), anon=302, kind="invitation"
    ),
    "communication:invitation_remove": Route(
        only(PERSON_WORKERS, OWNER_ONLY, 403), anon=302, kind="invitation"
    ),
    "communication:notification_list": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "communication:notification_create": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "communication:notification_suggestions": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    "communication:notification_detail": Route(
        only(PERSON_WORKERS, OWNER_ONLY, 403), anon=302, kind="notification"
    ),
    "communication:notification_edit": Route(
        only(PERSON_WORKERS, OWNER_ONLY, 403), anon=302, kind="notification"
    ),
    "communication:notification_outcome": Route(
        only(PERSON_WORKERS, OWNER_ONLY, 403), anon=302, kind="notification"
    ),
    "communication:notification_remove": Route(
        only(PERSON_WORKERS, OWNER_ONLY, 403), anon=302, kind="notification"
    ),
    "communication:communicationback_list": Route(only(CALL_IN_ROLES, 200, 403), anon=302),
    "communication:communicationback_create": Route(only([C, A], 200, 403), anon=302),
    "communication:communicationback_edit": Route(
        only([C, A], SITE_WIDE, 403), anon=302, kind="communicationback"
    ),
    "communication:reach": Route(only(REACH_ROLES, 200, 403), anon=302),
    "api:list_call_ins": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_call_in": Route(only(CALL_IN_ROLES, SITE_WIDE, 404), anon=401, kind="callin"),
    "api:create_call_in": Route(
        only(PERSON_WORKERS, 201, 403),
        anon=401,
        method="post",
        json=True,
        data=lambda w, r, x: {
            "title": "Vårens stormöte",
            "starts_at": "2030-03-12T17:00:00+01:00",
            "place": "Aulan",
        },
    ),
    "api:patch_call_in": Route(
        {**only(PERSON_WORKERS, SITE_WIDE, 404), CP: (403, 403, 404)}, anon=401, kind="callin", method="patch"
    ),
    "api:list_invitations": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_invitation": Route(only(PERSON_WORKERS, OWNER_ONLY, 404), anon=401, kind="invitation"),
    "api:create_invitation": Route(
        only(PERSON_WORKERS, 201, 404), anon=401, method="post", json=True, data=_new_invitation
    ),
    "api:patch_invitation": Route(
        only(PERSON_WORKERS, OWNER_ONLY, 404), anon=401, kind="invitation", method="patch"
    ),
    "api:list_notifications": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_notification": Route(only(PERSON_WORKERS, OWNER_ONLY, 404), anon=401, kind="notification"),
    "api:create_notification": Route(
        only(PERSON_WORKERS, 201, 404),
        anon=401,
        method="post",
        json=True,
        data=lambda w, r, x: {
            "person_id": w.record("person", r, "own").pk,
            "date": "2026-01-10",
            "delivered_by": "polis + socialsekreterare",
        },
    ),
    "api:patch_notification": Route(
        only(PERSON_WORKERS, OWNER_ONLY, 404), anon=401, kind="notification", method="patch"
    ),
    "api:list_communications_back": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_communication_back": Route(
        only(CALL_IN_ROLES, SITE_WIDE, 404), anon=401, kind="communicationback"
    ),
    "api:create_communication_back": Route(
        {**only([C, A], 201, 404), CW: 403, P: 403},
        anon=401,
        method="post",
        json=True,
        data=lambda w, r, x: {
            "date": "2026-01-12",
            "message": "Skjutningen fick konsekvenser för hela gruppen.",
            "channel": "public_statement",
            "audience_group_ids": [w.record("group", r, "own").pk],
        },
    ),
    "api:patch_communication_back": Route(
        {**only([C, A], SITE_WIDE, 404), CW: (403, 403, 404), P: (403, 403, 404), CP: (403, 403, 404)},
        anon=401,
        kind="communicationback",
        method="patch",
    ),
    "api:communication_reach": Route(only(ALL_ROLES, 200, 0), anon=401),
}
MATRIX.update(COMMUNICATION_MATRIX)

# ----- sanctions (gvi.sanctions) -----
EPISODE_VIEWERS = [C, A, CW, P]
EPISODE_RUNNERS = [C, A]
ACTION_OWNERS = [A, CW, P]
RULE_VIEWERS = [C, A, CW, P, CP]
METRICS_VIEWERS = [C, A, CW, P, S]
VIEW_NOT_CHANGE = (403, 403, 404)  # found (site-wide view), but the role may not change it
# Deciding on and closing an episode: the coordinator, or the owning organisation's analysts.
LEAD = {C: SITE_WIDE, A: (200, 403, 404)}
LEAD_API = {C: (422, 422, 404), A: (422, 403, 404)}

SANCTIONS_MATRIX = {
    # pages
    "sanctions:episode_list": Route(only(EPISODE_VIEWERS, 200, 403), anon=302),
    "sanctions:episode_create": Route(only(EPISODE_RUNNERS, 200, 403), anon=302),
    "sanctions:episode_detail": Route(
        only(EPISODE_VIEWERS, SITE_WIDE, 403), anon=302, kind="sanctionepisode"
    ),
    "sanctions:episode_edit": Route(only(EPISODE_RUNNERS, SITE_WIDE, 403), anon=302, kind="sanctionepisode"),
    "sanctions:episode_decide": Route(
        {**only(EPISODE_RUNNERS, SITE_WIDE, 403), **LEAD}, anon=302, kind="sanctionepisode"
    ),
    "sanctions:episode_close": Route(
        {**only(EPISODE_RUNNERS, SITE_WIDE, 403), **LEAD}, anon=302, kind="sanctionepisode"
    ),
    "sanctions:action_create": Route(only(ACTION_OWNERS, SITE_WIDE, 403), anon=302, kind="sanctionepisode"),
    "sanctions:action_edit": Route(only(ACTION_OWNERS, OWNER_ONLY, 403), anon=302, kind="sanctionaction"),
    "sanctions:action_remove": Route(only(ACTION_OWNERS, OWNER_ONLY, 403), anon=302, kind="sanctionaction"),
    "sanctions:rule_list": Route(only(RULE_VIEWERS, 200, 403), anon=302),
    "sanctions:rule_create": Route(only([C], 200, 403), anon=302),
    "sanctions:rule_edit": Route(only([C], SITE_WIDE, 403), anon=302, kind="announcedrule"),
    "sanctions:metrics": Route(only(METRICS_VIEWERS, 200, 403), anon=302),
    # API
    "api:list_sanction_episodes": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_sanction_episode": Route(
        only(EPISODE_VIEWERS, SITE_WIDE, 404), anon=401, kind="sanctionepisode"
    ),
    "api:create_sanction_episode": Route(
        {**only(EPISODE_RUNNERS, 201, 404), CW: 403, P: 403},
        anon=401,
        method="post",
        json=True,
        data=lambda w, r, x: {
            "group_id": w.record("relation", r, "own").group_b_id,
            "trigger_incident_ids": [w.record("incident", r, "own").pk],
        },
    ),
    "api:patch_sanction_episode": Route(
        {**only(EPISODE_RUNNERS, SITE_WIDE, 404), CW: VIEW_NOT_CHANGE, P: VIEW_NOT_CHANGE},
        anon=401,
        kind="sanctionepisode",
        method="patch",
    ),
    "api:decide_sanction_episode": Route(
        {**only(EPISODE_RUNNERS, (422, 422, 404), 404), **LEAD_API, CW: VIEW_NOT_CHANGE, P: VIEW_NOT_CHANGE},
        anon=401,
        kind="sanctionepisode",
        method="post",
        json=True,
        data=lambda w, r, x: {"version": x.version, "run": True},
    ),
    "api:close_sanction_episode": Route(
        {**only(EPISODE_RUNNERS, (422, 422, 404), 404), **LEAD_API, CW: VIEW_NOT_CHANGE, P: VIEW_NOT_CHANGE},
        anon=401,
        kind="sanctionepisode",
        method="post",
        json=True,
        data=lambda w, r, x: {"version": x.version, "end_reason": "other"},
    ),
    "api:list_sanction_actions": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_sanction_action": Route(
        {**only(ACTION_OWNERS, OWNER_ONLY, 404), C: SITE_WIDE}, anon=401, kind="sanctionaction"
    ),
    "api:create_sanction_action": Route(
        {**only(ACTION_OWNERS, 201, 404), C: 403},
        anon=401,
        method="post",
        json=True,
        data=lambda w, r, x: {
            "episode_id": w.record("sanctionepisode", r, "own").pk,
            "lever": ORG_LEVER.get(ROLE_ORG_TYPE[r], "other"),
            "description": "Kontroller",
        },
    ),
    "api:patch_sanction_action": Route(
        {**only(ACTION_OWNERS, OWNER_ONLY, 404), C: VIEW_NOT_CHANGE},
        anon=401,
        kind="sanctionaction",
        method="patch",
    ),
    "api:list_announced_rules": Route(only(ALL_ROLES, 200, 0), anon=401),
    "api:get_announced_rule": Route(only(RULE_VIEWERS, SITE_WIDE, 404), anon=401, kind="announcedrule"),
    "api:create_announced_rule": Route(
        only([C], 201, 403),
        anon=401,
        method="post",
        json=True,
        data=lambda w, r, x: {
            "title": "Nästa skjutning",
            "message": "Nästa skjutning leder till ökat fokus mot hela gruppen.",
            "announced_on": "2026-01-01",
            "levers": ["targeted_controls"],
        },
    ),
    "api:patch_announced_rule": Route(
        {**only(RULE_VIEWERS, VIEW_NOT_CHANGE, 404), C: SITE_WIDE},
        anon=401,
        kind="announcedrule",
        method="patch",
    ),
    "api:sanction_metrics": Route(only(METRICS_VIEWERS, 200, 403), anon=401),
}

MATRIX.update(SANCTIONS_MATRIX)

# Notices and calendars (gvi.notices): every signed-in user has their own settings page and calendar link.
# The feed opens by its secret alone (a calendar program cannot sign in): a wrong secret is 404 for
# everyone (tests/notices/test_calendar.py covers a real one, renewal and deactivation).
MATRIX.update(
    {
        "notices:settings": Route(only(ALL_ROLES, 200, 0), anon=302),
        "notices:calendar_renew": Route(only(ALL_ROLES, 200, 0), anon=302, method="post"),
        "notices:calendar_remove": Route(only(ALL_ROLES, 302, 0), anon=302, method="post"),
        "notices:calendar_feed": Route(only(ALL_ROLES, 404, 0), anon=404, kwargs={"secret": "fel-hemlighet"}),
        # Sign-in through an IdP: none is configured in the test settings, so an IdP key is 404 for everyone
        # (tests/signin/test_oidc.py runs the flow against a real provider); signing out ends any session.
        "signin:oidc_start": Route(only(ALL_ROLES, 404, 0), anon=404, kwargs={"provider": "okand"}),
        "signin:oidc_callback": Route(only(ALL_ROLES, 404, 0), anon=404, kwargs={"provider": "okand"}),
        "signin:oidc_logout": Route(only(ALL_ROLES, 302, 0), anon=302, method="post"),
        # SAML IdPs likewise (tests/signin/test_saml.py against a real IdP): unknown keys are 404.
        "signin:saml_start": Route(only(ALL_ROLES, 404, 0), anon=404, kwargs={"provider": "okand"}),
        "signin:saml_acs": Route(
            only(ALL_ROLES, 404, 0), anon=404, method="post", kwargs={"provider": "okand"}
        ),
        "signin:saml_sls": Route(only(ALL_ROLES, 404, 0), anon=404, kwargs={"provider": "okand"}),
        "signin:saml_metadata": Route(only(ALL_ROLES, 404, 0), anon=404, kwargs={"provider": "okand"}),
        "notices:meeting_ics": Route(
            {**only(MEETING_VIEWERS, SITE_WIDE, 403), S: 404}, anon=302, kind="meeting"
        ),
    }
)

# Register extracts and requests for rectification, erasure or restriction (gvi.dataprotection): the
# staff of the organisation that owns the person entry; a coordinator and the roles without person data
# are refused the pages, another organisation's or site's records are not found.
EXTRACTORS = [A, CW, P]
MATRIX.update(
    {
        "dataprotection:extract": Route(only(EXTRACTORS, OWNER_ONLY, 403), anon=302, kind="person"),
        "dataprotection:request_create": Route(only(EXTRACTORS, OWNER_ONLY, 403), anon=302, kind="person"),
        "dataprotection:request_list": Route(only(EXTRACTORS, 200, 403), anon=302),
        "dataprotection:request_detail": Route(only(EXTRACTORS, OWNER_ONLY, 403), anon=302, kind="dprequest"),
        # An empty form re-renders the request page with its errors (200) for the owner.
        "dataprotection:request_decide": Route(
            only(EXTRACTORS, OWNER_ONLY, 403), anon=302, kind="dprequest", method="post"
        ),
        "dataprotection:request_done": Route(
            only(EXTRACTORS, OWNER_ONLY, 403), anon=302, kind="dprequest", method="post"
        ),
    }
)

# Log follow-up (gvi.logreview): the data-protection officer of the police organisation at site A (siteless);
# a round of another organisation (same site or the other site's police) is not found.
MATRIX.update(
    {
        "logreview:search": Route(only([DPO], 200, 403), anon=302),
        "logreview:persons": Route(only([DPO], 200, 403), anon=302),
        "logreview:round_list": Route(only([DPO], 200, 403), anon=302),
        "logreview:round_create": Route(only([DPO], 200, 403), anon=302),
        "logreview:round_detail": Route(only([DPO], OWNER_ONLY, 403), anon=302, kind="followupround"),
        "logreview:round_signoff": Route(
            only([DPO], (302, 404, 404), 403),
            anon=302,
            kind="followupround",
            method="post",
            data={"note": "Stickprovet granskat utan anmärkning."},
        ),
        "logreview:round_csv": Route(only([DPO], OWNER_ONLY, 403), anon=302, kind="followupround"),
        "logreview:round_pdf": Route(only([DPO], OWNER_ONLY, 403), anon=302, kind="followupround"),
    }
)

# The import assistant (gvi.groups.assistant_views): analysts only, the roles that import groups, persons
# and memberships alike. Without an uploaded sheet the mapping page and the confirmation send back to the
# upload (302); an unknown saved mapping is not found (tests/groups/test_assistant.py covers real ones).
MATRIX.update(
    {
        "audit_io:assistant_upload": Route(only([A], 200, 403), anon=302),
        "audit_io:assistant_map": Route(only([A], 302, 403), anon=302),
        "audit_io:assistant_confirm": Route(only([A], 302, 403), anon=302, method="post"),
        "audit_io:assistant_mapping_delete": Route(only([A], 404, 403), anon=302, kwargs={"pk": 999999}),
    }
)

# Search pickers of the incident coding form (gvi.pickers): a search in persons, groups or conflicts is for
# whoever may read them at all; the matches come from visible_to (tests/incidents/test_pickers.py).
MATRIX.update(
    {
        "incidents:pick_person": Route(only(PERSON_WORKERS, 200, 403), anon=302),
        "incidents:pick_group": Route(only(PERSON_WORKERS, 200, 403), anon=302),
        "incidents:pick_relation": Route(only(PERSON_WORKERS, 200, 403), anon=302),
    }
)

# The Django admin's own model pages are guarded by is_staff (only administrators) and list no person-data
# model; test_admin_registers_no_person_data checks the latter. Its index is in the matrix above.
ADMIN_PREFIX = "admin:"


def all_route_names():
    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = (
                    ":".join(filter(None, [namespace, pattern.namespace])) if pattern.namespace else namespace
                )
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver().url_patterns, None))


def test_every_route_is_in_the_matrix():
    names = {name for name in all_route_names() if not name.startswith(ADMIN_PREFIX) or name == "admin:index"}
    missing = sorted(names - set(MATRIX))
    assert not missing, f"Routes without a row in the access matrix: {missing}"
    stale = sorted(set(MATRIX) - names)
    assert not stale, f"Matrix rows for routes that no longer exist: {stale}"


def _current_version(record):
    return type(record)._base_manager.filter(pk=record.pk).values_list("version", flat=True).first() or 1


def _request(client, route: Route, name: str, record, world=None, role=None):
    kwargs = dict(route.kwargs or {})
    if record is not None:
        kwargs["pk"] = record.pk
        if hasattr(record, "version"):
            record.version = _current_version(record)
    url = reverse(name, kwargs=kwargs or None)
    if route.method == "patch":
        return client.patch(url, json.dumps({"version": record.version}), content_type="application/json")
    if route.method == "delete":
        return client.delete(f"{url}?version={record.version}")
    data = route.data(world, role or A, record) if callable(route.data) else (route.data or {})
    if route.json:
        return client.post(url, json.dumps(data), content_type="application/json")
    return getattr(client, route.method)(url, data)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access_matrix(name, world):
    route = MATRIX[name]
    failures = []
    targets = ["own", "other_org", "other_site"] if route.kind else [None]
    for target in targets:
        record = world.record(route.kind, A, target) if route.kind else None
        answer = _request(Client(), route, name, record, world).status_code
        if answer != route.anon:
            failures.append(f"anonymous/{target}: got {answer}, expected {route.anon}")
    for role in ALL_ROLES:
        expected = route.expect[role]
        expected = expected if isinstance(expected, tuple) else (expected,) * 3
        for index, target in enumerate(targets):
            client = verified_login(Client(), world.users[role])
            record = world.record(route.kind, role, target) if route.kind else None
            answer = _request(client, route, name, record, world, role).status_code
            if answer != expected[index]:
                failures.append(f"{role}/{target}: got {answer}, expected {expected[index]}")
    assert not failures, f"{name}: " + "; ".join(failures)


def test_admin_registers_no_person_data():
    from django.contrib import admin

    from gvi.access.models import CompartmentedRecord

    person_models = [model for model in admin.site._registry if issubclass(model, CompartmentedRecord)]
    assert person_models == []
