"""Pages of the offer of help. Views parse, call a service or selector, and render.

Case pages are closed to everyone but the owning social-services organisation: the decorators keep the
pages of roles without a grant closed (403), and `visible_record` answers 404 for cases of another
organisation or site. Facts disclosed to an organisation are shown on their own page, each one logged.
"""

import csv
import io

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gvi.access.decorators import record_permission_required, roles_required
from gvi.access.models import AccessLog
from gvi.access.permissions import CHANGE, CREATE, EXPORT
from gvi.access.selectors import (
    access_log_for_record,
    logged_list,
    may_create,
    parse_id,
    read_record,
    visible_record,
)
from gvi.access.services import granting_membership, log_access
from gvi.groups.exports import neutralise
from gvi.groups.models import Person
from gvi.groups.services import creating_membership
from gvi.partnership.models import Membership, Role
from gvi.support import selectors, services
from gvi.support.forms import (
    INTAKE_CHOICES,
    CaseForm,
    CloseForm,
    ContactForm,
    ExportForm,
    FactForm,
    NeedsForm,
    PlanItemForm,
)
from gvi.support.models import (
    RECIPIENT_ROLES,
    CaseStatus,
    NeedStatus,
    PlanItem,
    SupportCase,
    SupportFactDisclosure,
)
from gvi.support.statistics import STATISTICS_ROLES
from gvi.web.forms import save_form
from gvi.web.paging import page_of

CASE = "support.supportcase"
STATUS_CHOICES = [
    ("", _("Alla")),
    ("oppna", _("Öppna ärenden")),
    ("avslutade", _("Avslutade ärenden")),
    *CaseStatus.choices,
]


def _case_url(record) -> str:
    case_id = record.case_id if hasattr(record, "case_id") else record.pk
    return reverse("support:case_detail", args=[case_id])


def _editable(request, model, pk):
    """The record if the user may change it (else 404); showing its current content in a form is a read,
    so a GET is logged like a detail page."""
    record = visible_record(request.user, model, pk, CHANGE)
    if request.method == "GET":
        log_access(request.user, record, membership=granting_membership(request.user, record, CHANGE))
    return record


def _mentors(site_id, owner_id):
    user_ids = (
        Membership.objects.active()
        .filter(site_id=site_id, organisation_id=owner_id, role=Role.CASEWORKER)
        .values("user_id")
    )
    return get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("first_name", "username")


def _case_form(request, case=None, site_id=None, owner_id=None):
    persons = selectors.linkable_persons(request.user, case)
    visible = set(Person.objects.visible_to(request.user).values_list("pk", flat=True))
    return CaseForm(
        request.POST or None,
        instance=case,
        persons=persons,
        visible_person_ids=visible,
        mentors=_mentors(site_id or case.site_id, owner_id or case.owner_id),
    )


# ----- cases -----


@record_permission_required(CASE)
def case_list(request):
    status = request.GET.get("status", "oppna")
    if status not in dict(STATUS_CHOICES):
        status = "oppna"
    route = request.GET.get("vag", "")
    if route not in dict(INTAKE_CHOICES):
        route = ""
    overdue = request.GET.get("forsenad") == "1"
    query = request.GET.get("q", "")[:80]
    show = "inaktiverade" if request.GET.get("visa") == "inaktiverade" else ""
    cases = selectors.cases_for(request.user, status, route, overdue, query, show)
    page = page_of(request, cases)
    page.object_list = logged_list(request.user, page.object_list)
    return render(
        request,
        "support/case_list.html",
        {
            "page": page,
            "status": status,
            "route": route,
            "overdue": overdue,
            "q": query,
            "visa": show,
            "status_choices": STATUS_CHOICES,
            "route_choices": INTAKE_CHOICES,
            "may_create": may_create(request.user, SupportCase),
            "may_export": selectors.exportable_cases(request.user).exists(),
            "summary": selectors.case_summary(request.user),
            "today": timezone.localdate(),
        },
    )


@record_permission_required(CASE, CREATE)
def case_create(request):
    membership = creating_membership(request.user, SupportCase)
    form = _case_form(request, site_id=membership.site_id, owner_id=membership.organisation_id)
    context = {"form": form, "creating": True}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.open_case(request.user, form.changes()),
            "support/case_form.html",
            context,
            _case_url,
        )
    return render(request, "support/case_form.html", context)


@record_permission_required(CASE)
def case_detail(request, pk):
    case = read_record(request.user, SupportCase, pk)
    user = request.user
    membership = granting_membership(user, case)
    is_owner = membership is not None and membership.organisation_id == case.owner_id
    may_change = granting_membership(user, case, CHANGE) is not None
    needs = selectors.needs_of(user, case)
    return render(
        request,
        "support/case_detail.html",
        {
            "case": case,
            "person_visible": selectors.person_visible(user, case.person_id),
            "other_cases": selectors.other_cases_of_person(user, case),
            "needs": needs,
            "needs_open": sum(
                1 for n in needs if n.status in (NeedStatus.IDENTIFIED, NeedStatus.IN_PROGRESS)
            ),
            "plan": selectors.plan_of(user, case),
            "contacts": page_of(request, selectors.contacts_of(user, case), 20),
            "facts": selectors.fact_disclosures_of(user, case) if is_owner else [],
            "may_change": may_change,
            "is_owner": is_owner,
            "history": case.history.select_related("history_user")[:30] if is_owner else [],
            "reads": access_log_for_record(case) if is_owner else [],
            "today": timezone.localdate(),
            "now": timezone.now(),
        },
    )


@record_permission_required(CASE, CHANGE)
def case_edit(request, pk):
    case = _editable(request, SupportCase, pk)
    form = _case_form(request, case)
    context = {"form": form, "case": case}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_case(request.user, case, form.changes(), form.cleaned_data["version"]),
            "support/case_form.html",
            context,
            _case_url,
        )
    return render(request, "support/case_form.html", context)


@record_permission_required(CASE, CHANGE)
def case_close(request, pk):
    case = visible_record(request.user, SupportCase, pk, CHANGE)
    if case.is_closed:
        messages.info(request, _("Ärendet är redan avslutat."))
        return redirect("support:case_detail", pk=case.pk)
    form = CloseForm(
        request.POST or None, initial={"version": case.version, "closed_on": timezone.localdate()}
    )
    context = {"form": form, "case": case}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        return save_form(
            request,
            form,
            lambda: services.close_case(
                request.user,
                case,
                data["outcome"],
                data["closed_on"],
                data["closing_reason"],
                data["version"],
            ),
            "support/case_close.html",
            context,
            _case_url,
        )
    return render(request, "support/case_close.html", context)


@record_permission_required(CASE, CHANGE)
def needs_edit(request, pk):
    case = _editable(request, SupportCase, pk)
    form = NeedsForm(request.POST or None, needs=selectors.needs_of(request.user, case))
    context = {"form": form, "case": case}

    def save():
        services.assess_needs(request.user, case, form.changes())
        return case

    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            save,
            "support/needs_form.html",
            context,
            _case_url,
        )
    return render(request, "support/needs_form.html", context)


@record_permission_required(CASE, CHANGE)
def plan_item_create(request, pk):
    case = visible_record(request.user, SupportCase, pk, CHANGE)
    form = PlanItemForm(request.POST or None, initial={"start": timezone.localdate()})
    context = {"form": form, "case": case, "creating": True}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.add_plan_item(request.user, case, form.changes()),
            "support/plan_item_form.html",
            context,
            _case_url,
        )
    return render(request, "support/plan_item_form.html", context)


@record_permission_required("support.planitem", CHANGE)
def plan_item_edit(request, pk):
    item = _editable(request, PlanItem, pk)
    form = PlanItemForm(request.POST or None, instance=item)
    context = {"form": form, "case": item.case, "item": item}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_plan_item(
                request.user, item, form.changes(), form.cleaned_data["version"]
            ),
            "support/plan_item_form.html",
            context,
            _case_url,
        )
    return render(request, "support/plan_item_form.html", context)


@record_permission_required(CASE, CHANGE)
def contact_create(request, pk):
    case = visible_record(request.user, SupportCase, pk, CHANGE)
    form = ContactForm(request.POST or None)
    context = {"form": form, "case": case}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.log_contact(request.user, case, form.cleaned_data),
            "support/contact_form.html",
            context,
            _case_url,
        )
    return render(request, "support/contact_form.html", context)


# ----- fact disclosures -----


@record_permission_required(CASE, CHANGE)
def fact_create(request, pk):
    case = visible_record(request.user, SupportCase, pk, CHANGE)
    form = FactForm(request.POST or None, organisations=selectors.recipient_organisations(case))
    context = {"form": form, "case": case}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.record_fact_disclosure(request.user, case, form.data_for_service()),
            "support/fact_form.html",
            context,
            _case_url,
        )
    return render(request, "support/fact_form.html", context)


@require_POST
@record_permission_required(CASE, CHANGE)
def fact_revoke(request, pk):
    try:
        fact = SupportFactDisclosure.objects.visible_to(request.user, CHANGE).get(pk=parse_id(pk))
    except SupportFactDisclosure.DoesNotExist:
        raise Http404 from None
    if fact.revoked_at is None:
        services.revoke_fact_disclosure(request.user, fact)
        messages.success(request, _("Uppgiften är återkallad och syns inte längre för mottagaren."))
    return redirect("support:case_detail", pk=fact.case_id)


@roles_required(*RECIPIENT_ROLES)
def facts_received(request):
    """Facts disclosed to the user's organisation: the statement only. Each fact shown is logged."""
    page = page_of(request, selectors.facts_received(request.user))
    facts = selectors.present_facts(request.user, page.object_list)
    return render(request, "support/facts_received.html", {"page": page, "facts": facts})


# ----- export and statistics -----

EXPORT_HEADERS = [
    "id",
    "arbetsnamn",
    "plats",
    "vag_in",
    "forfragan",
    "forsta_kontakt",
    "status",
    "avslutat",
    "samtycke",
    "under_18",
    "vardnadshavare_kontaktad",
    "skyddade_personuppgifter",
    "flytt",
    "hotbedomning",
    "nasta_uppfoljning",
    "omprovas",
    "behov",
]


def _export_row(case: SupportCase) -> list:
    needs = [
        n.get_domain_display()
        for n in case.needs.all()
        if n.status in (NeedStatus.IDENTIFIED, NeedStatus.IN_PROGRESS)
    ]
    return [
        case.pk,
        case.pseudonym,
        case.site.name,
        case.intake_route,
        case.requested_at.isoformat(),
        case.first_contact_date.isoformat() if case.first_contact_date else "",
        case.status,
        case.closed_on.isoformat() if case.closed_on else "",
        case.consent_status,
        "ja" if case.is_minor else "nej",
        "ja" if case.guardian_contacted else "nej",
        "ja" if case.protected_identity else "nej",
        "ja" if case.relocation else "nej",
        case.threat_assessment,
        case.follow_up_date.isoformat() if case.follow_up_date else "",
        case.review_date.isoformat(),
        "; ".join(str(n) for n in needs),
    ]


@record_permission_required(CASE, EXPORT)
def case_export(request):
    """The owner's own cases as CSV (no notes, no contacts, no person link). The download is a POST with a
    stated purpose, and every exported case is written to the access log in the same transaction."""
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        purpose = form.cleaned_data["purpose"]
        cases = selectors.exportable_cases(request.user).prefetch_related("needs")
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(EXPORT_HEADERS)
        with transaction.atomic():
            for case in cases:
                membership = granting_membership(request.user, case, EXPORT)
                log_access(
                    request.user, case, action=AccessLog.Action.EXPORT, purpose=purpose, membership=membership
                )
                writer.writerow([neutralise(value) for value in _export_row(case)])
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="stodarenden-{stamp}.csv"'
        return response
    return render(
        request,
        "support/export.html",
        {"form": form, "count": selectors.exportable_cases(request.user).count()},
    )


@roles_required(*STATISTICS_ROLES)
def statistics(request):
    """Counts only, per site; suppressed (1–4) for everyone outside the organisation owning the cases."""
    return render(request, "support/statistics.html", {"sites": selectors.statistics_for(request.user)})
