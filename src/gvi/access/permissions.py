"""The role x record-type table: what each role may do with each kind of record, and over which rows.

Scope OWN means rows owned by the member's own organisation at the member's site; SITE means every row
at the member's site (used for group-level records the partnership works on together). Rows disclosed to
the member's organisation become visible whenever the role may view that record type at all.
The administrator and the national analyst hold no grant here: they never see compartmented rows.
"""

from dataclasses import dataclass

from gvi.partnership.models import Role

VIEW = "view"
CREATE = "create"
CHANGE = "change"
DISCLOSE = "disclose"
EXPORT = "export"
REVEAL = "reveal"  # show a protected field (the personal identity number); each reveal is logged
ACTIONS = (VIEW, CREATE, CHANGE, DISCLOSE, EXPORT, REVEAL)

OWN = "own"
SITE = "site"


@dataclass(frozen=True)
class Grant:
    scope: str
    actions: frozenset[str]


def grant(scope: str, *actions: str) -> Grant:
    return Grant(scope, frozenset(actions))


ALL = ACTIONS
READ = (VIEW,)

PERSON_WORKERS = {
    Role.ANALYST: grant(OWN, *ALL),
    Role.COORDINATOR: grant(OWN, VIEW, EXPORT),
    Role.CASEWORKER: grant(OWN, VIEW, CREATE, CHANGE, DISCLOSE, REVEAL),
    Role.PROBATION_OFFICER: grant(OWN, VIEW, CREATE, CHANGE, DISCLOSE, REVEAL),
}

GROUP_LEVEL = {
    Role.ANALYST: grant(SITE, *ALL),
    Role.COORDINATOR: grant(SITE, VIEW, EXPORT),
    Role.CASEWORKER: grant(SITE, VIEW),
    Role.PROBATION_OFFICER: grant(SITE, VIEW),
}

INCIDENT_LEVEL = {
    Role.ANALYST: grant(SITE, *ALL),
    Role.COORDINATOR: grant(SITE, VIEW, EXPORT),
    Role.CASEWORKER: grant(SITE, VIEW),
    Role.PROBATION_OFFICER: grant(SITE, VIEW),
}

# Offer of help lives under social-services secrecy (26 kap. OSL): only the owning organisation's
# caseworkers (and a coordinator employed by that organisation) see a case. Others see nothing of it;
# a caseworker may disclose a single fact to a named organisation (gvi.support), never the case.
SOCIAL_SERVICES_ONLY = {
    Role.CASEWORKER: grant(OWN, VIEW, CREATE, CHANGE, EXPORT),
    Role.COORDINATOR: grant(OWN, VIEW),
}

# Call-in logistics: the whole partnership at the site, community partners included (no person data).
CALL_IN_LOGISTICS = {
    Role.ANALYST: grant(SITE, VIEW, CREATE, CHANGE, EXPORT),
    Role.COORDINATOR: grant(SITE, VIEW, CREATE, CHANGE, EXPORT),
    Role.CASEWORKER: grant(SITE, VIEW, CREATE, CHANGE),
    Role.PROBATION_OFFICER: grant(SITE, VIEW, CREATE, CHANGE),
    Role.COMMUNITY_PARTNER: grant(SITE, VIEW),
}

# Communicating back is addressed to groups, not persons: visible across the partnership at the site.
GROUP_MESSAGES = {
    Role.ANALYST: grant(SITE, VIEW, CREATE, CHANGE),
    Role.COORDINATOR: grant(SITE, VIEW, CREATE, CHANGE, EXPORT),
    Role.CASEWORKER: grant(SITE, VIEW),
    Role.PROBATION_OFFICER: grant(SITE, VIEW),
    Role.COMMUNITY_PARTNER: grant(SITE, VIEW),
}

# Who is invited to or attended a call-in, and custom notifications, are person data of the owner.
PERSON_CONTACTS = {
    Role.ANALYST: grant(OWN, VIEW, CREATE, CHANGE, DISCLOSE, EXPORT),
    Role.COORDINATOR: grant(OWN, VIEW, CREATE, CHANGE, EXPORT),
    Role.CASEWORKER: grant(OWN, VIEW, CREATE, CHANGE, DISCLOSE),
    Role.PROBATION_OFFICER: grant(OWN, VIEW, CREATE, CHANGE, DISCLOSE),
}

# Sanction episodes target groups and are the partnership's shared business; the coordinator leads them.
SANCTION_EPISODES = {
    Role.COORDINATOR: grant(SITE, VIEW, CREATE, CHANGE, EXPORT),
    Role.ANALYST: grant(SITE, VIEW, CREATE, CHANGE, EXPORT),
    Role.CASEWORKER: grant(SITE, VIEW),
    Role.PROBATION_OFFICER: grant(SITE, VIEW),
}

# Each organisation sees and updates its own actions (levers); the coordinator sees the whole episode.
SANCTION_ACTIONS = {
    Role.COORDINATOR: grant(SITE, VIEW, EXPORT),
    Role.ANALYST: grant(OWN, VIEW, CREATE, CHANGE),
    Role.CASEWORKER: grant(OWN, VIEW, CREATE, CHANGE),
    Role.PROBATION_OFFICER: grant(OWN, VIEW, CREATE, CHANGE),
}

# What the partnership has told the groups will happen: public to the partnership at the site.
ANNOUNCED_RULES = {
    Role.COORDINATOR: grant(SITE, VIEW, CREATE, CHANGE),
    Role.ANALYST: grant(SITE, VIEW),
    Role.CASEWORKER: grant(SITE, VIEW),
    Role.PROBATION_OFFICER: grant(SITE, VIEW),
    Role.COMMUNITY_PARTNER: grant(SITE, VIEW),
}

# Requests for rectification, erasure or restriction (gvi.dataprotection): recorded and decided by the
# owning organisation's staff who work with its person entries.
DATA_SUBJECT_REQUESTS = {
    Role.ANALYST: grant(OWN, VIEW, CREATE, CHANGE),
    Role.CASEWORKER: grant(OWN, VIEW, CREATE, CHANGE),
    Role.PROBATION_OFFICER: grant(OWN, VIEW, CREATE, CHANGE),
}

# record type (app_label.model_name) -> role -> grant
PERMISSIONS: dict[str, dict[str, Grant]] = {
    "groups.person": PERSON_WORKERS,
    "groups.groupmembership": PERSON_WORKERS,
    "groups.group": GROUP_LEVEL,
    "groups.grouprelation": GROUP_LEVEL,
    "groups.auditround": GROUP_LEVEL,
    "incidents.incident": INCIDENT_LEVEL,
    "incidents.involvement": PERSON_WORKERS,
    "support.supportcase": SOCIAL_SERVICES_ONLY,
    "support.needassessment": SOCIAL_SERVICES_ONLY,
    "support.planitem": SOCIAL_SERVICES_ONLY,
    "support.contact": SOCIAL_SERVICES_ONLY,
    "communication.callin": CALL_IN_LOGISTICS,
    "communication.callininvitation": PERSON_CONTACTS,
    "communication.notification": PERSON_CONTACTS,
    "communication.communicationback": GROUP_MESSAGES,
    "sanctions.sanctionepisode": SANCTION_EPISODES,
    "sanctions.sanctionaction": SANCTION_ACTIONS,
    "sanctions.announcedrule": ANNOUNCED_RULES,
    "dataprotection.datasubjectrequest": DATA_SUBJECT_REQUESTS,
}


def grant_for(role: str, record_type: str) -> Grant | None:
    return PERMISSIONS.get(record_type, {}).get(role)


def role_may(role: str, record_type: str, action: str) -> bool:
    found = grant_for(role, record_type)
    return found is not None and action in found.actions
