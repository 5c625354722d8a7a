"""Pages of the governance cycle: meetings, agenda, decisions, tasks, meeting mode and minutes.

Views parse, call a service or selector, and render. Meetings are found only through
`selectors.meetings_visible_to` and tasks through `selectors.tasks_visible_to`: a record outside them
is a 404; a visible record the user may not change is a 403.
"""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gvi.access.decorators import roles_required
from gvi.access.redirects import safe_next
from gvi.access.selectors import parse_id
from gvi.access.services import EditConflict
from gvi.partnership import selectors, services
from gvi.partnership.forms import (
    AgendaItemForm,
    DecisionForm,
    MeetingForm,
    StatusForm,
    TaskEditForm,
    TaskForm,
)
from gvi.partnership.minutes_pdf import build_minutes_pdf
from gvi.partnership.models import Decision, Meeting, Task
from gvi.web.forms import conflict_page, save_form

meeting_page = roles_required(*(selectors.MEETING_ROLES | selectors.STEERING_ROLES))
runner_page = roles_required(*selectors.RUNNER_ROLES)
task_page = roles_required(*selectors.TASK_ROLES)

PAGE_SIZE = 20


# ----- helpers -----


def _meeting(user, pk) -> Meeting:
    try:
        return selectors.meetings_visible_to(user).get(pk=parse_id(pk))
    except Meeting.DoesNotExist:
        raise Http404 from None


def _run_meeting(user, pk) -> Meeting:
    """A visible meeting the user runs (coordinator or analyst at its site), else 404 / 403."""
    meeting = _meeting(user, pk)
    if not selectors.may_run(user, meeting.site_id):
        raise PermissionDenied
    return meeting


def _task(user, pk, change: bool = False) -> Task:
    try:
        task = selectors.tasks_visible_to(user).get(pk=parse_id(pk))
    except Task.DoesNotExist:
        raise Http404 from None
    if change and not selectors.may_change_task(user, task):
        raise PermissionDenied
    return task


def _safe_next(request, fallback: str) -> str:
    return safe_next(request, fallback)


def _default_start():
    """Next weekday at 09:00 local time: the usual slot of a weekly review."""
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


# ----- meetings -----


@meeting_page
def meeting_list(request):
    user = request.user
    past = Paginator(selectors.past_meetings(user), PAGE_SIZE).get_page(request.GET.get("sida"))
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "upcoming": selectors.upcoming_meetings(user)[:50],
            "page": past,
            "may_create": bool(selectors.runner_site_ids(user)),
            "now": timezone.now(),
        },
    )


@runner_page
def meeting_create(request):
    sites = list(selectors.runner_sites(request.user))
    if not sites:
        raise PermissionDenied
    chosen = request.POST.get("plats") or request.GET.get("plats")
    site = next((s for s in sites if str(s.pk) == chosen), sites[0])
    initial = {
        "starts_at": _default_start(),
        "chair": request.user.pk,
        "participants": list(selectors.organisations_at(site).values_list("pk", flat=True)),
    }
    form = MeetingForm(request.POST or None, site=site, initial=initial)
    context = {"form": form, "creating": True, "site": site, "sites": sites}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.create_meeting(
                request.user, site, form.changes(), form.cleaned_data["participants"]
            ),
            "meetings/meeting_form.html",
            context,
            lambda meeting: reverse("meetings:meeting_detail", args=[meeting.pk]),
        )
    return render(request, "meetings/meeting_form.html", context)


@runner_page
def meeting_edit(request, pk):
    meeting = _run_meeting(request.user, pk)
    if meeting.is_closed:
        messages.error(request, _("Mötet är avslutat och kan inte längre ändras."))
        return redirect("meetings:meeting_detail", pk=meeting.pk)
    form = MeetingForm(request.POST or None, instance=meeting, site=meeting.site)
    context = {"form": form, "meeting": meeting, "site": meeting.site}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_meeting(
                request.user,
                meeting,
                form.changes(),
                form.cleaned_data["version"],
                form.cleaned_data["participants"],
            ),
            "meetings/meeting_form.html",
            context,
            reverse("meetings:meeting_detail", args=[meeting.pk]),
        )
    return render(request, "meetings/meeting_form.html", context)


def _detail_context(user, meeting: Meeting, item_form=None) -> dict:
    tasks = list(selectors.tasks_of_meeting(meeting))
    may_run = selectors.may_run(user, meeting.site_id)
    return {
        "meeting": meeting,
        "participants": meeting.participants.order_by("name"),
        "items": list(selectors.agenda_of(meeting)),
        "own_items": selectors.organisation_agenda(user, meeting),
        "decisions": list(selectors.decisions_of(meeting)),
        "tasks": tasks,
        "visible_groups": selectors.visible_group_ids(user, [t.group_id for t in tasks]),
        # Only tasks the user may open are linked (a task's page is for those who may change it).
        "changeable_tasks": {t.pk for t in tasks if selectors.may_change_task(user, t)},
        "may_run": may_run,
        "may_generate": may_run and meeting.is_planned and meeting.type in selectors.GENERATED_AGENDA_TYPES,
        "may_decide": may_run and meeting.status == Meeting.Status.HELD,
        "item_form": item_form or (AgendaItemForm() if may_run and not meeting.is_closed else None),
        "statuses": Meeting.Status,
        "today": timezone.localdate(),
    }


@meeting_page
def meeting_detail(request, pk):
    meeting = _meeting(request.user, pk)
    return render(request, "meetings/meeting_detail.html", _detail_context(request.user, meeting))


@require_POST
@runner_page
def agenda_refresh(request, pk):
    meeting = _run_meeting(request.user, pk)
    try:
        items = services.refresh_agenda(request.user, meeting)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Dagordningen är uppdaterad: %(n)s punkter skapades.") % {"n": len(items)}
        )
    return redirect("meetings:meeting_detail", pk=meeting.pk)


@require_POST
@runner_page
def agenda_item_create(request, pk):
    meeting = _run_meeting(request.user, pk)
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        try:
            services.add_agenda_item(
                request.user, meeting, form.cleaned_data["title"], form.cleaned_data["summary"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Punkten är tillagd."))
        return redirect(reverse("meetings:meeting_detail", args=[meeting.pk]) + "#dagordning")
    return render(
        request, "meetings/meeting_detail.html", _detail_context(request.user, meeting, item_form=form)
    )


@require_POST
@runner_page
def meeting_status(request, pk):
    meeting = _run_meeting(request.user, pk)
    form = StatusForm(request.POST)
    detail_url = reverse("meetings:meeting_detail", args=[meeting.pk])
    if not form.is_valid():
        messages.error(request, _("Formuläret var ofullständigt. Ladda om sidan och försök igen."))
        return redirect(detail_url)
    status = form.cleaned_data["status"]
    try:
        services.change_meeting_status(request.user, meeting, status, form.cleaned_data["version"])
    except EditConflict as conflict:
        return conflict_page(request, conflict, detail_url)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(detail_url)
    if status == Meeting.Status.HELD:
        messages.success(request, _("Mötet är öppnat. Dagordningen är nu fastställd."))
    else:
        messages.success(request, _("Mötet är avslutat. Protokollet kan inte längre ändras."))
    return redirect(detail_url)


@runner_page
def decision_create(request, pk):
    meeting = _run_meeting(request.user, pk)
    if meeting.status != Meeting.Status.HELD:
        messages.error(request, _("Beslut registreras när mötet har öppnats och innan det avslutas."))
        return redirect("meetings:meeting_detail", pk=meeting.pk)
    initial = {}
    raw_item = request.GET.get("punkt", "")
    if raw_item.isdigit() and selectors.agenda_of(meeting).filter(pk=int(raw_item)).exists():
        initial["agenda_item"] = int(raw_item)
    form = DecisionForm(request.POST or None, meeting=meeting, initial=initial)
    context = {"form": form, "meeting": meeting}

    def after(decision: Decision) -> str:
        if "och_uppgift" in request.POST:
            return reverse("meetings:task_create", args=[decision.pk])
        return reverse("meetings:meeting_detail", args=[meeting.pk]) + f"#beslut-{decision.pk}"

    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.record_decision(
                request.user, meeting, form.cleaned_data["text"], form.cleaned_data["agenda_item"]
            ),
            "meetings/decision_form.html",
            context,
            after,
        )
    return render(request, "meetings/decision_form.html", context)


@runner_page
def task_create(request, pk):
    meetings = selectors.meetings_visible_to(request.user)
    try:
        decision = Decision.objects.select_related("meeting__site", "agenda_item").get(
            pk=parse_id(pk), meeting__in=meetings
        )
    except Decision.DoesNotExist:
        raise Http404 from None
    meeting = decision.meeting
    if not selectors.may_run(request.user, meeting.site_id):
        raise PermissionDenied
    if meeting.is_closed:
        messages.error(request, _("Mötet är avslutat och kan inte längre ändras."))
        return redirect("meetings:meeting_detail", pk=meeting.pk)
    groups = selectors.groups_for_tasks(request.user, meeting.site)
    initial = {"due_date": timezone.localdate() + timedelta(days=7)}
    item = decision.agenda_item
    if item and item.content_type_id and item.reference_label == "groups.group":
        initial["group"] = item.object_id
    form = TaskForm(
        request.POST or None,
        site=meeting.site,
        groups=groups,
        instance=Task(site=meeting.site, decision=decision),
        initial=initial,
    )
    context = {"form": form, "creating": True, "decision": decision, "meeting": meeting}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.create_task(request.user, decision, form.changes()),
            "meetings/task_form.html",
            context,
            reverse("meetings:meeting_detail", args=[meeting.pk]) + f"#beslut-{decision.pk}",
        )
    return render(request, "meetings/task_form.html", context)


@meeting_page
def meeting_mode(request, pk):
    """Projector view: one agenda item per screen, with previous / next and arrow keys (meeting.js). The
    room reads it, so it shows the partnership's points only, never an organisation's own."""
    meeting = _meeting(request.user, pk)
    items = list(selectors.agenda_of(meeting))
    total = len(items)
    raw = request.GET.get("punkt", "1")
    index = int(raw) if raw.isdigit() else 1
    index = min(max(index, 1), total) if total else 0
    item = items[index - 1] if total else None
    return render(
        request,
        "meetings/mode.html",
        {
            "meeting": meeting,
            "item": item,
            "index": index,
            "total": total,
            "previous": index - 1 if index > 1 else None,
            "next": index + 1 if index < total else None,
            "decisions": list(item.decisions.all()) if item else [],
        },
    )


@meeting_page
def minutes_pdf(request, pk):
    """The minutes are the partnership's record: its points only, the same for every reader."""
    meeting = _meeting(request.user, pk)
    content = build_minutes_pdf(
        meeting,
        items=selectors.agenda_of(meeting),
        decisions=selectors.decisions_of(meeting),
        tasks=selectors.tasks_of_meeting(meeting),
        participants=meeting.participants.order_by("name"),
    )
    day = timezone.localtime(meeting.starts_at).date().isoformat()
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="protokoll-{meeting.site.slug}-{day}.pdf"'
    return response


# ----- tasks -----

TASK_FILTERS = {"": None, **{value: value for value in Task.Status.values}}


@task_page
def task_list(request):
    user = request.user
    status = request.GET.get("status", "")
    if status not in TASK_FILTERS:
        status = ""
    mine = list(selectors.my_tasks(user))
    page = Paginator(selectors.open_tasks(user, status), PAGE_SIZE * 2).get_page(request.GET.get("sida"))
    group_ids = [t.group_id for t in mine] + [t.group_id for t in page.object_list]
    return render(
        request,
        "meetings/task_list.html",
        {
            "mine": mine,
            "page": page,
            "status": status,
            "statuses": Task.Status.choices,
            "visible_groups": selectors.visible_group_ids(user, group_ids),
            "changeable_tasks": {
                t.pk for t in [*mine, *page.object_list] if selectors.may_change_task(user, t)
            },
            "today": timezone.localdate(),
        },
    )


@task_page
def task_edit(request, pk):
    task = _task(request.user, pk, change=True)
    groups = selectors.groups_for_tasks(request.user, task.site, keep=task.group_id)
    if not groups.exists() or (task.group_id and not groups.filter(pk=task.group_id).exists()):
        groups = None  # the user sees no group here: the field is left out and the value kept as is
    form = TaskEditForm(request.POST or None, instance=task, site=task.site, groups=groups)
    context = {
        "form": form,
        "task": task,
        "history": selectors.task_history(task),
        "statuses": Task.Status,
        "visible_groups": selectors.visible_group_ids(request.user, [task.group_id]),
    }
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_task(request.user, task, form.changes(), form.cleaned_data["version"]),
            "meetings/task_form.html",
            context,
            reverse("meetings:task_list"),
        )
    return render(request, "meetings/task_form.html", context)


@require_POST
@task_page
def task_status(request, pk):
    task = _task(request.user, pk, change=True)
    edit_url = reverse("meetings:task_edit", args=[task.pk])
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Formuläret var ofullständigt. Ladda om sidan och försök igen."))
        return redirect(edit_url)
    try:
        services.set_task_status(
            request.user, task, form.cleaned_data["status"], form.cleaned_data["version"]
        )
    except EditConflict as conflict:
        return conflict_page(request, conflict, edit_url)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(edit_url)
    messages.success(
        request, _("Uppgiften har status %(status)s.") % {"status": Task.Status(task.status).label}
    )
    return redirect(_safe_next(request, reverse("meetings:task_list")))
