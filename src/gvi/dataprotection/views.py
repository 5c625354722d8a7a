"""Pages of the register extract and of requests for rectification, erasure or restriction."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gvi.access.decorators import record_permission_required, roles_required
from gvi.access.permissions import CHANGE, CREATE
from gvi.access.selectors import logged_list, read_record, visible_record
from gvi.access.services import EditConflict, log_access
from gvi.dataprotection import selectors, services
from gvi.dataprotection.forms import DecisionForm, DoneForm, ExtractForm, RequestForm
from gvi.dataprotection.models import DataSubjectRequest
from gvi.groups.models import Person
from gvi.paging import capped_page

REQUESTS = "dataprotection.datasubjectrequest"


def _owned_person(request, pk) -> Person:
    """The person if the user answers for it (its owner's staff); 404 if unseen, 403 if seen otherwise."""
    person = visible_record(request.user, Person, pk)
    if selectors.extract_membership(request.user, person) is None:
        raise PermissionDenied
    return person


@roles_required(*selectors.EXTRACT_ROLES)
def extract(request, pk):
    person = _owned_person(request, pk)
    content = selectors.extract_content(request.user, person)
    form = ExtractForm(request.POST or None, content=content)
    if request.method == "POST" and form.is_valid():
        try:
            produced, pdf = services.produce_extract(
                request.user,
                person,
                reason=form.cleaned_data["reason"],
                reference=form.cleaned_data["reference"],
                withheld=form.withheld(),
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            response = HttpResponse(pdf, content_type="application/pdf")
            # The file name carries the extract's number, never the person's alias.
            response["Content-Disposition"] = f'attachment; filename="registerutdrag-{produced.pk}.pdf"'
            return response
    if request.method == "GET":
        log_access(request.user, person, purpose=_("Registerutdrag: förberedelse"))
    sections = [
        (section, [(item, form.bound_for(item.key)) for item in section.items])
        for section in content.sections
    ]
    return render(
        request,
        "dataprotection/extract.html",
        {
            "person": person,
            "form": form,
            "sections": sections,
            "reads": content.reads,
            "reads_fields": form.bound_for("accesslog:all"),
            "earlier": selectors.extracts_of(person)[:20],
        },
    )


@record_permission_required(REQUESTS, CREATE)
def request_create(request, pk):
    person = _owned_person(request, pk)
    form = RequestForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            created = services.record_request(request.user, person, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Begäran är registrerad."))
            return redirect("dataprotection:request_detail", pk=created.pk)
    return render(request, "dataprotection/request_form.html", {"person": person, "form": form})


@record_permission_required(REQUESTS)
def request_list(request):
    show_all = request.GET.get("visa") == "alla"
    page = capped_page(request, selectors.requests_for(request.user, show_all), 50)
    page.object_list = logged_list(request.user, page.object_list)
    today = timezone.localdate()
    rows = []
    for item in page.object_list:
        left = item.days_left(today)
        rows.append((item, left, -left if left < 0 else 0))
    return render(
        request, "dataprotection/request_list.html", {"page": page, "rows": rows, "show_all": show_all}
    )


def _detail(request, item, decision_form=None, done_form=None, status=200):
    return render(
        request,
        "dataprotection/request_detail.html",
        {
            "item": item,
            "days_left": item.days_left(),
            "decision_form": decision_form or DecisionForm(initial={"version": item.version}),
            "done_form": done_form or DoneForm(initial={"version": item.version}),
            "history": item.history.select_related("history_user")[:20],
        },
        status=status,
    )


@record_permission_required(REQUESTS)
def request_detail(request, pk):
    return _detail(request, read_record(request.user, DataSubjectRequest, pk))


def _apply(request, item, form, action, form_key):
    try:
        action()
    except EditConflict:
        form.add_error(None, _("Någon annan har ändrat begäran sedan du öppnade sidan. Ladda om sidan."))
        return _detail(request, item, status=409, **{form_key: form})
    except ValidationError as error:
        form.add_error(None, error.messages)
        return _detail(request, item, **{form_key: form})
    messages.success(request, _("Ändringarna är sparade."))
    return redirect("dataprotection:request_detail", pk=item.pk)


@require_POST
@record_permission_required(REQUESTS, CHANGE)
def request_decide(request, pk):
    item = visible_record(request.user, DataSubjectRequest, pk, CHANGE)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, item, decision_form=form)
    data = form.cleaned_data
    return _apply(
        request,
        item,
        form,
        lambda: services.decide_request(
            request.user,
            item,
            decision=data["decision"],
            reasoning=data["reasoning"],
            expected_version=data["version"],
        ),
        "decision_form",
    )


@require_POST
@record_permission_required(REQUESTS, CHANGE)
def request_done(request, pk):
    item = visible_record(request.user, DataSubjectRequest, pk, CHANGE)
    form = DoneForm(request.POST)
    if not form.is_valid():
        return _detail(request, item, done_form=form)
    data = form.cleaned_data
    return _apply(
        request,
        item,
        form,
        lambda: services.complete_request(
            request.user,
            item,
            done_text=data["done_text"],
            records_changed=data["records_changed"],
            expected_version=data["version"],
        ),
        "done_form",
    )
