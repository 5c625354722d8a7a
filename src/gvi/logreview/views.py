"""The data-protection officer's log follow-up pages (thin: parse, call, render)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gvi.access.decorators import roles_required
from gvi.access.models import AccessLog
from gvi.access.selectors import parse_id
from gvi.logreview import exports, services
from gvi.logreview.flags import KIND_LABELS
from gvi.logreview.forms import LogSearchForm, PersonSearchForm, RoundForm, SignOffForm
from gvi.logreview.models import FollowUpRound
from gvi.logreview.selectors import (
    dpo_memberships,
    dpo_organisation_ids,
    last_month,
    organisation_persons,
    person_aliases,
    search_log,
)
from gvi.paging import capped_page
from gvi.partnership.models import Role

DPO = Role.DATA_PROTECTION_OFFICER


def _with_aliases(org_ids, rows) -> list:
    """The rows, each with `alias`: the code name of a person of the organisation, else ""."""
    rows = list(rows)
    aliases = person_aliases(org_ids, rows)
    for row in rows:
        row.alias = aliases.get(row.record_id, "") if row.record_type == "groups.person" else ""
    return rows


@roles_required(DPO)
def log_search(request):
    org_ids = dpo_organisation_ids(request.user)
    form = LogSearchForm(request.GET or None, persons=organisation_persons(org_ids))
    criteria = form.cleaned_data if form.is_valid() else {}
    rows = search_log(org_ids, criteria) if (form.is_valid() or not request.GET) else AccessLog.objects.none()
    person = criteria.get("person")
    if person is not None and request.GET.get("sida", "1") == "1":
        services.log_person_lookup(request.user, person)
    page = capped_page(request, rows, 100)
    return render(
        request,
        "logreview/search.html",
        {"form": form, "page": page, "rows": _with_aliases(org_ids, page.object_list), "person": person},
    )


@roles_required(DPO)
def person_search(request):
    org_ids = dpo_organisation_ids(request.user)
    form = PersonSearchForm(request.GET or None)
    persons = None
    if form.is_valid():
        text = form.cleaned_data["q"].strip()
        query = Q(alias__icontains=text)
        if text.isdigit():
            query |= Q(pk=int(text))
        persons = capped_page(
            request, organisation_persons(org_ids).filter(query).order_by("alias", "pk"), 50
        )
    return render(request, "logreview/persons.html", {"form": form, "page": persons})


def _organisations(user):
    return [membership.organisation for membership in dpo_memberships(user).order_by("organisation__name")]


def _round_or_404(user, pk) -> FollowUpRound:
    return get_object_or_404(
        FollowUpRound.objects.select_related("organisation", "created_by", "signed_by"),
        pk=parse_id(pk),
        organisation_id__in=dpo_organisation_ids(user),
    )


@roles_required(DPO)
def round_list(request):
    rounds = FollowUpRound.objects.filter(
        organisation_id__in=dpo_organisation_ids(request.user)
    ).select_related("organisation", "created_by", "signed_by")
    return render(request, "logreview/round_list.html", {"page": capped_page(request, rounds, 50)})


@roles_required(DPO)
def round_create(request):
    organisations = _organisations(request.user)
    start, end = last_month(timezone.localdate())
    form = RoundForm(
        request.POST or None, organisations=organisations, initial={"period_start": start, "period_end": end}
    )
    if request.method == "POST" and form.is_valid():
        try:
            followup = services.begin_round(
                request.user,
                form.cleaned_data["organisation"],
                form.cleaned_data["period_start"],
                form.cleaned_data["period_end"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Uppföljningsomgången är påbörjad."))
            return redirect("logreview:round_detail", followup.pk)
    return render(request, "logreview/round_form.html", {"form": form})


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _flag_rows(followup):
    return [{**flag, "label": KIND_LABELS.get(flag["kind"], flag["kind"])} for flag in followup.flags]


@roles_required(DPO)
def round_detail(request, pk):
    followup = _round_or_404(request.user, pk)
    sample = list(AccessLog.objects.filter(seq__in=followup.sample_seqs).order_by("seq"))
    return render(
        request,
        "logreview/round_detail.html",
        {
            "round": followup,
            "sample": _with_aliases([followup.organisation_id], sample),
            "flags": _flag_rows(followup),
            "form": SignOffForm() if not followup.is_signed else None,
        },
    )


@require_POST
@roles_required(DPO)
def round_signoff(request, pk):
    followup = _round_or_404(request.user, pk)
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            services.sign_off(request.user, followup, form.cleaned_data["note"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Omgången är signerad och sparad."))
            return redirect("logreview:round_detail", followup.pk)
    sample = list(AccessLog.objects.filter(seq__in=followup.sample_seqs).order_by("seq"))
    return render(
        request,
        "logreview/round_detail.html",
        {
            "round": followup,
            "sample": _with_aliases([followup.organisation_id], sample),
            "flags": _flag_rows(followup),
            "form": form if not followup.is_signed else None,
        },
    )


@roles_required(DPO)
def round_csv(request, pk):
    followup = _round_or_404(request.user, pk)
    body = exports.round_csv(request.user, followup)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="logguppfoljning-{followup.pk}.csv"'
    return response


@roles_required(DPO)
def round_pdf(request, pk):
    followup = _round_or_404(request.user, pk)
    response = HttpResponse(exports.round_pdf(request.user, followup), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="logguppfoljning-{followup.pk}.pdf"'
    return response
