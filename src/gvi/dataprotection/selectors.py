"""What the owning organisation holds about one person, for a register extract; and the lists of requests.

Every read starts from `visible_to(user)` and is narrowed to the person's owning organisation at the
person's site: an extract is that controller's answer. Records other organisations own are theirs to
answer for and are never listed here, not even as a count.
"""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gvi.access.models import AccessLog, Disclosure
from gvi.communication.models import CallInInvitation, Notification
from gvi.dataprotection.models import DataSubjectRequest, RegisterExtract
from gvi.groups.models import GroupMembership, Person
from gvi.incidents.models import Involvement
from gvi.partnership.models import Organisation, Role
from gvi.partnership.selectors import display_name
from gvi.support.models import Contact, NeedAssessment, PlanItem, SupportCase, SupportFactDisclosure

# The roles that answer for their organisation's person entries (the controller's staff who work with
# them). A data-protection role, when there is one, belongs here too.
EXTRACT_ROLES = (Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER)

ACCESS_LOG_KEY = "accesslog:all"


@dataclass
class Item:
    key: str  # "<kind>:<pk>": what the withholding form refers to
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Section:
    kind: str
    title: str
    items: list[Item] = field(default_factory=list)


@dataclass
class ExtractContent:
    person: Person
    sections: list[Section]
    reads: list[AccessLog]
    organisation_names: dict[int, str]

    @property
    def keys(self) -> set[str]:
        return {item.key for section in self.sections for item in section.items} | {ACCESS_LOG_KEY}

    def counts(self) -> dict[str, int]:
        found = {section.kind: len(section.items) for section in self.sections if section.items}
        if self.reads:
            found["accesslog"] = len(self.reads)
        return found


def extract_membership(user, person: Person):
    """The user's membership that may answer for `person`: its owning organisation, its site, a role in
    EXTRACT_ROLES. None for everyone else, a recipient of a disclosure included."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return (
        user.memberships.active()
        .filter(organisation_id=person.owner_id, site_id=person.site_id, role__in=list(EXTRACT_ROLES))
        .order_by("pk")
        .first()
    )


def _day(value) -> str:
    return date_format(value, "Y-m-d") if value else "–"


def _when(value) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value else "–"


def _value(record, name: str) -> str:
    """A field as read in the extract: choices by label, dates in Swedish ISO form, booleans Ja/Nej."""
    model_field = record._meta.get_field(name)
    value = getattr(record, name)
    if model_field.choices:
        return str(getattr(record, f"get_{name}_display")()) or "–"
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if value is None or value == "":
        return "–"
    if hasattr(value, "hour"):
        return _when(value)
    if hasattr(value, "isoformat"):
        return _day(value)
    return str(value)


def _rows(record, names) -> list[tuple[str, str]]:
    return [
        (str(record._meta.get_field(name).verbose_name).capitalize(), _value(record, name)) for name in names
    ]


def _owned(queryset, user, person):
    return queryset.visible_to(user).filter(owner_id=person.owner_id, site_id=person.site_id)


def _person_item(person) -> Item:
    rows = _rows(
        person,
        [
            "alias",
            "birth_year",
            "age_band",
            "is_minor",
            "is_suspected_perpetrator",
            "is_victim",
            "is_at_risk",
        ],
    )
    rows.append(
        (_("Personnummer"), _("registrerat") if person.personal_number_encrypted else _("inte registrerat"))
    )
    rows += _rows(person, ["notes", "review_date", "deactivated_at", "created_at", "updated_at"])
    return Item(f"person:{person.pk}", str(person._meta.verbose_name).capitalize(), rows)


def _membership_item(membership) -> Item:
    rows = [(_("Grupp"), membership.group.name)]
    rows += _rows(membership, ["role", "valid_from", "valid_to"])
    rows.append(
        (
            str(membership._meta.get_field("criteria").verbose_name).capitalize(),
            ", ".join(membership.criteria_labels()) or "–",
        )
    )
    rows += _rows(
        membership, ["evidence_note", "confidence", "source_organisation", "review_date", "created_at"]
    )
    return Item(f"membership:{membership.pk}", membership.group.name, rows)


def _involvement_item(involvement) -> Item:
    incident = involvement.incident
    title = f"{incident.get_type_display()} {_day(timezone.localtime(incident.occurred_at).date())}"
    rows = [
        (_("Incident"), incident.get_type_display()),
        (_("Tidpunkt"), _when(incident.occurred_at)),
        (_("Område"), incident.area_name or "–"),
        (_("Grupp"), involvement.group.name if involvement.group_id else "–"),
    ]
    rows += _rows(involvement, ["role", "member_status", "confidence", "created_at"])
    return Item(f"involvement:{involvement.pk}", title, rows)


def _invitation_item(invitation) -> Item:
    call_in = invitation.call_in
    rows = [(_("Stormöte"), call_in.title), (_("Datum och tid"), _when(call_in.starts_at))]
    rows += _rows(
        invitation,
        [
            "channel",
            "attended",
            "asked_for_help",
            "follow_up",
            "follow_up_done",
            "attendee_tasks",
            "created_at",
        ],
    )
    return Item(f"invitation:{invitation.pk}", call_in.title, rows)


def _notification_item(notification) -> Item:
    rows = _rows(
        notification,
        [
            "date",
            "place",
            "delivered_by",
            "family_present",
            "message_version",
            "legal_risk_statement",
            "help_offered",
            "outcome",
            "asked_for_help",
            "follow_up",
            "notes",
        ],
    )
    orgs = ", ".join(org.name for org in notification.delivering_organisations.all())
    rows.insert(
        3,
        (
            str(Notification._meta.get_field("delivering_organisations").verbose_name).capitalize(),
            orgs or "–",
        ),
    )
    return Item(f"notification:{notification.pk}", _day(notification.date), rows)


def _case_item(user, case) -> Item:
    rows = _rows(
        case,
        [
            "pseudonym",
            "intake_route",
            "referred_by",
            "requested_at",
            "first_contact_date",
            "consent_status",
            "consent_scope",
            "consent_date",
            "threat_assessment",
            "protected_identity",
            "relocation",
            "is_minor",
            "guardian_contacted",
            "guardian_contacted_on",
            "guardian_note",
            "mentor_name",
            "follow_up_date",
            "help_offered",
            "agreed_follow_up",
            "notes",
            "status",
            "closed_on",
            "closing_reason",
        ],
    )
    rows.insert(
        15, (str(case._meta.get_field("mentor").verbose_name).capitalize(), display_name(case.mentor) or "–")
    )
    for need in _owned(NeedAssessment.objects, user, case.person).filter(case=case):
        rows.append(
            (
                str(NeedAssessment._meta.verbose_name).capitalize(),
                f"{need}{' – ' + need.note if need.note else ''} ({_day(need.assessed_on)})",
            )
        )
    for plan in _owned(PlanItem.objects, user, case.person).filter(case=case):
        rows.append(
            (
                str(PlanItem._meta.verbose_name).capitalize(),
                f"{plan.goal}: {plan.intervention} ({plan.get_status_display()}, {_day(plan.start)}–{_day(plan.end)})",
            )
        )
    for contact in _owned(Contact.objects, user, case.person).filter(case=case):
        note = f": {contact.note}" if contact.note else ""
        rows.append((str(Contact._meta.verbose_name).capitalize(), f"{contact}{note}"))
    return Item(f"supportcase:{case.pk}", case.pseudonym, rows)


def _disclosure_item(disclosure) -> Item:
    record_type = str(disclosure.content_type.model_class()._meta.verbose_name).capitalize()
    rows = [
        (_("Uppgift"), record_type),
        (_("Mottagare"), disclosure.to_organisation.name),
        (_("Rättslig grund"), disclosure.get_legal_ground_display()),
        (_("Ändamål"), disclosure.purpose),
        (_("Beslutad"), _when(disclosure.decided_at)),
        (_("Upphör"), _when(disclosure.expires_at)),
        (_("Återkallad"), _when(disclosure.revoked_at)),
    ]
    return Item(f"disclosure:{disclosure.pk}", f"{record_type} → {disclosure.to_organisation.name}", rows)


def _fact_item(fact) -> Item:
    rows = [
        (_("Uppgift"), fact.statement),
        (_("Mottagare"), fact.to_organisation.name),
        (_("Rättslig grund"), fact.get_legal_ground_display()),
        (_("Ändamål"), fact.purpose),
        (_("Beslutad"), _when(fact.decided_at)),
        (_("Upphör"), _when(fact.expires_at)),
        (_("Återkallad"), _when(fact.revoked_at)),
    ]
    return Item(f"supportfact:{fact.pk}", f"{fact.get_fact_display()} → {fact.to_organisation.name}", rows)


def _request_item(request) -> Item:
    rows = _rows(
        request,
        [
            "kind",
            "case_number",
            "received_on",
            "request_text",
            "decision",
            "decision_reasoning",
            "decided_at",
            "done_at",
            "done_text",
        ],
    )
    return Item(f"dprequest:{request.pk}", f"{request.get_kind_display()} {_day(request.received_on)}", rows)


def extract_content(user, person: Person) -> ExtractContent:
    """Everything `person`'s owning organisation holds about them that `user` may read, grouped by kind."""
    memberships = list(
        _owned(GroupMembership.objects, user, person)
        .filter(person=person)
        .select_related("group", "source_organisation")
    )
    involvements = list(
        _owned(Involvement.objects, user, person)
        .filter(person=person)
        .select_related("incident", "incident__area", "group")
        .order_by("incident__occurred_at", "pk")
    )
    invitations = list(
        _owned(CallInInvitation.objects, user, person).filter(person=person).select_related("call_in")
    )
    notifications = list(
        _owned(Notification.objects, user, person)
        .filter(person=person)
        .prefetch_related("delivering_organisations")
        .order_by("date", "pk")
    )
    cases = list(
        _owned(SupportCase.objects, user, person)
        .filter(person=person)
        .select_related("mentor", "person")
        .order_by("requested_at", "pk")
    )
    facts = list(
        _owned(SupportFactDisclosure.objects, user, person)
        .filter(case__in=cases)
        .select_related("to_organisation")
        .order_by("decided_at", "pk")
    )
    requests = list(_owned(DataSubjectRequest.objects, user, person).filter(person=person))

    disclosed = Q(pk__in=[])
    for model, rows in (
        (Person, [person]),
        (GroupMembership, memberships),
        (Involvement, involvements),
        (CallInInvitation, invitations),
        (Notification, notifications),
    ):
        if rows:
            disclosed |= Q(
                content_type=ContentType.objects.get_for_model(model), object_id__in=[row.pk for row in rows]
            )
    disclosures = list(
        Disclosure.objects.filter(disclosed, from_organisation_id=person.owner_id)
        .select_related("to_organisation", "content_type")
        .order_by("decided_at", "pk")
    )

    sections = [
        Section("person", _("Personpost"), [_person_item(person)]),
        Section(
            "membership",
            _("Gruppmedlemskap och grund för registrering"),
            [_membership_item(m) for m in memberships],
        ),
        Section("involvement", _("Inblandning i incidenter"), [_involvement_item(i) for i in involvements]),
        Section("invitation", _("Inbjudningar till stormöten"), [_invitation_item(i) for i in invitations]),
        Section(
            "notification", _("Enskilda samtal och hembesök"), [_notification_item(n) for n in notifications]
        ),
        Section("supportcase", _("Stödärenden"), [_case_item(user, c) for c in cases]),
        Section(
            "disclosure",
            _("Utlämnanden av uppgifter om personen"),
            [_disclosure_item(d) for d in disclosures] + [_fact_item(f) for f in facts],
        ),
        Section(
            "dprequest",
            _("Begäranden om rättelse, radering eller begränsning"),
            [_request_item(r) for r in requests],
        ),
    ]

    logged = [(Person, [person]), (GroupMembership, memberships), (Involvement, involvements)]
    logged += [(CallInInvitation, invitations), (Notification, notifications), (SupportCase, cases)]
    logged += [(SupportFactDisclosure, facts), (DataSubjectRequest, requests)]
    read_q = Q(pk__in=[])
    for model, rows in logged:
        if rows:
            read_q |= Q(record_type=model._meta.label_lower, record_id__in=[str(row.pk) for row in rows])
    reads = list(
        AccessLog.objects.filter(read_q)
        .filter(
            action__in=[
                AccessLog.Action.VIEW,
                AccessLog.Action.EXPORT,
                AccessLog.Action.API,
                AccessLog.Action.REVEAL,
            ]
        )
        .order_by("seq")
    )
    org_ids = {row.organisation_id_logged for row in reads if row.organisation_id_logged}
    names = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "name"))
    return ExtractContent(person, sections, reads, names)


def extracts_of(person: Person):
    """Earlier extracts of this person by its owner (metadata only)."""
    return RegisterExtract.objects.filter(person=person, owner_id=person.owner_id).select_related(
        "produced_by"
    )


def requests_for(user, show_all: bool = False):
    """The data-subject requests of the user's organisations, open ones first by due date."""
    requests = DataSubjectRequest.objects.visible_to(user).select_related("owner", "site", "person")
    if not show_all:
        requests = requests.filter(done_at__isnull=True).exclude(
            decision=DataSubjectRequest.Decision.REJECTED
        )
    return requests.order_by("received_on", "pk")
