"""The kinds of notice: who may get each (by role), who gets it unless they opt out, and its fixed text.

A message is built from its kind alone plus a link: it never carries a name, a group, an incident or
any case detail (the text is the same for every notice of a kind). Swedish first; the English catalogue
translates it for a user who prefers English later, but messages are sent in Swedish.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from gvi.partnership.models import Role

C, A, CW, P = Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER
CP, S = Role.COMMUNITY_PARTNER, Role.STEERING_MEMBER
TASK_HOLDERS = frozenset({C, A, CW, P, CP, S})
REVIEWERS = frozenset({A, CW, P})
PERSON_WORKERS = frozenset({C, A, CW, P})


@dataclass(frozen=True)
class Kind:
    code: str
    label: str  # the settings page
    roles: frozenset  # roles that may receive it
    default_roles: frozenset  # roles that receive it unless they switch it off
    subject: str
    text: str  # the one sentence of the message; the link follows it


TASK_ASSIGNED = Kind(
    "task_assigned",
    _("En uppgift har tilldelats mig"),
    TASK_HOLDERS,
    TASK_HOLDERS,
    _("GVI: ny uppgift"),
    _("Du har en ny uppgift i GVI."),
)
TASK_DUE_TOMORROW = Kind(
    "task_due_tomorrow",
    _("Min uppgift ska vara klar i morgon"),
    TASK_HOLDERS,
    TASK_HOLDERS,
    _("GVI: uppgift ska vara klar i morgon"),
    _("En av dina uppgifter i GVI ska vara klar i morgon."),
)
TASK_OVERDUE = Kind(
    "task_overdue",
    _("Min uppgift är försenad"),
    TASK_HOLDERS,
    TASK_HOLDERS,
    _("GVI: försenad uppgift"),
    _("En av dina uppgifter i GVI har passerat sitt slutdatum."),
)
SANCTION_PROPOSED = Kind(
    "sanction_proposed",
    _("Ett föreslaget sanktionsärende väntar på beslut"),
    frozenset({C, A}),
    frozenset({C}),
    _("GVI: sanktionsärende väntar på beslut"),
    _("Ett föreslaget sanktionsärende i GVI väntar på beslut."),
)
SANCTION_DEADLINE = Kind(
    "sanction_deadline",
    _("Beslutstiden för ett föreslaget sanktionsärende går ut om 12 timmar"),
    frozenset({C, A}),
    frozenset({C}),
    _("GVI: beslutstiden för ett sanktionsärende går snart ut"),
    _("Beslutstiden för ett föreslaget sanktionsärende i GVI går ut inom 12 timmar."),
)
REVIEWS_DUE = Kind(
    "reviews_due",
    _("Poster som min organisation äger ska omprövas (en gång i veckan)"),
    REVIEWERS,
    REVIEWERS,
    _("GVI: poster ska omprövas"),
    _("Det finns poster i GVI som din organisation äger och som ska omprövas inom två veckor."),
)
DISCLOSURE_RECEIVED = Kind(
    "disclosure_received",
    _("Något har lämnats ut till min organisation"),
    PERSON_WORKERS,
    REVIEWERS,
    _("GVI: nytt utlämnande till din organisation"),
    _("En uppgift har lämnats ut till din organisation i GVI."),
)
DISCLOSURE_EXPIRING = Kind(
    "disclosure_expiring",
    _("Ett utlämnande upphör inom tre dagar"),
    PERSON_WORKERS,
    REVIEWERS,
    _("GVI: ett utlämnande upphör snart"),
    _("Ett utlämnande som rör din organisation i GVI upphör inom tre dagar."),
)
HELP_REQUEST = Kind(
    "help_request",
    _("En begäran om hjälp har kommit till socialtjänsten"),
    frozenset({CW}),
    frozenset({CW}),
    _("GVI: ny begäran om hjälp"),
    _("En ny begäran om hjälp har kommit till socialtjänsten i GVI."),
)

KINDS = [
    TASK_ASSIGNED,
    TASK_DUE_TOMORROW,
    TASK_OVERDUE,
    SANCTION_PROPOSED,
    SANCTION_DEADLINE,
    REVIEWS_DUE,
    DISCLOSURE_RECEIVED,
    DISCLOSURE_EXPIRING,
    HELP_REQUEST,
]
BY_CODE = {kind.code: kind for kind in KINDS}
CHOICES = [(kind.code, kind.label) for kind in KINDS]
