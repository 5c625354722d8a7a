"""Writes of gvi.dataprotection: produce a register extract, record, decide and complete a request."""

from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gvi.access.models import AccessLog
from gvi.access.permissions import CHANGE
from gvi.access.services import granting_membership, log_access, save_versioned
from gvi.dataprotection.extract_pdf import build_extract_pdf
from gvi.dataprotection.models import DataSubjectRequest, RegisterExtract, WithholdingGround
from gvi.dataprotection.selectors import extract_content, extract_membership


@dataclass(frozen=True)
class Withholding:
    ground: str
    text: str = ""

    def label(self) -> str:
        label = str(WithholdingGround(self.ground).label)
        if self.ground == WithholdingGround.OTHER:
            return self.text
        return f"{label} ({self.text})" if self.text else label


@transaction.atomic
def produce_extract(
    user,
    person,
    *,
    reason: str,
    reference: str = "",
    withheld: dict[str, Withholding] | None = None,
    compress=True,
) -> tuple[RegisterExtract, bytes]:
    """The extract as PDF bytes; stores what was produced (counts, not content) and logs an EXPORT."""
    membership = extract_membership(user, person)
    if membership is None:
        raise PermissionDenied(_("Registerutdrag tas fram av den organisation som äger personposten."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Ange skälet till registerutdraget.")})
    withheld = dict(withheld or {})
    with translation.override("sv"):  # the extract is in Swedish whatever the producer's language
        return _produce(user, person, membership, reason, reference, withheld, compress)


def _produce(user, person, membership, reason, reference, withheld, compress):
    content = extract_content(user, person)
    unknown = set(withheld) - content.keys
    if unknown:
        raise ValidationError(_("Utdraget har ändrats sedan sidan visades. Ladda om sidan och välj igen."))
    for item in withheld.values():
        if item.ground not in WithholdingGround.values:
            raise ValidationError(_("Okänd grund för undantag."))
        if item.ground == WithholdingGround.OTHER and not item.text.strip():
            raise ValidationError(_("Beskriv grunden för undantaget."))
    now = timezone.now()
    extract = RegisterExtract.objects.create(
        site_id=person.site_id,
        owner_id=person.owner_id,
        person=person,
        person_ref=person.pk,
        produced_by=user,
        produced_at=now,
        reason=reason[:500],
        reference=(reference or "").strip()[:80],
        counts=content.counts(),
        withheld_count=len(withheld),
        withheld_grounds=dict(Counter(item.ground for item in withheld.values())),
    )
    pdf = build_extract_pdf(
        content,
        extract=extract,
        organisation=membership.organisation,
        withheld={key: item.label() for key, item in withheld.items()},
        compress=compress,
    )
    log_access(
        user,
        person,
        action=AccessLog.Action.EXPORT,
        purpose=_("Registerutdrag: %(reason)s") % {"reason": reason},
        membership=membership,
    )
    return extract, pdf


def _require(user, record, action):
    membership = granting_membership(user, record, action)
    if membership is None:
        raise PermissionDenied(_("Du får inte ändra den här posten."))
    return membership


@transaction.atomic
def record_request(
    user, person, *, kind: str, received_on, request_text: str, case_number: str = ""
) -> DataSubjectRequest:
    if extract_membership(user, person) is None:
        raise PermissionDenied(_("Begäran registreras av den organisation som äger personposten."))
    request = DataSubjectRequest(
        site_id=person.site_id,
        owner_id=person.owner_id,
        person=person,
        kind=kind,
        received_on=received_on,
        request_text=request_text.strip(),
        case_number=case_number.strip(),
    )
    request._history_user = user
    request.full_clean()
    request.save()
    return request


@transaction.atomic
def decide_request(
    user, request: DataSubjectRequest, *, decision: str, reasoning: str, expected_version: int
):
    _require(user, request, CHANGE)
    if request.decision:
        raise ValidationError({"decision": _("Begäran är redan beslutad.")})
    request.decision = decision
    request.decision_reasoning = reasoning.strip()
    request.decided_by = user
    request.decided_at = timezone.now()
    return save_versioned(request, expected_version, user)


@transaction.atomic
def complete_request(
    user, request: DataSubjectRequest, *, done_text: str, records_changed: int, expected_version: int
):
    _require(user, request, CHANGE)
    if request.done_at:
        raise ValidationError({"done_text": _("Begäran är redan markerad som utförd.")})
    if not done_text.strip():
        raise ValidationError({"done_text": _("Beskriv vad som gjordes.")})
    request.done_at = timezone.now()
    request.done_text = done_text.strip()
    request.records_changed = records_changed
    return save_versioned(request, expected_version, user)


FREE_TEXTS = ("request_text", "decision_reasoning", "done_text", "case_number")


def forget_persons_in_requests(person_ids: list[int]) -> None:
    """The person entries go (the retention purge): their requests keep kind, dates, outcome and counts,
    and lose every free text and the link, in their history too. Extracts keep their counts only."""
    rows = DataSubjectRequest._base_manager.filter(person_id__in=person_ids)
    ids = list(rows.values_list("pk", flat=True))
    if ids:
        blank = dict.fromkeys(FREE_TEXTS, "")
        rows.update(**blank, person=None, person_forgotten_at=timezone.now())
        DataSubjectRequest.history.model.objects.filter(id__in=ids).update(**blank, person=None)
    RegisterExtract.objects.filter(person_id__in=person_ids).update(person=None, reason="", reference="")
