"""Pages of direct communication. Views parse, call a service or selector, and render.

Person contacts (invitations, notifications) are read through `visible_to`; every page that shows one
record's details logs the read (the call-in page logs each invitation it shows).
"""

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gvi.access.decorators import record_permission_required, roles_required, user_roles
from gvi.access.permissions import CHANGE, CREATE, role_may
from gvi.access.selectors import logged_list, may_create, read_record, visible_record
from gvi.access.services import EditConflict, log_access, log_reads
from gvi.analysis.charts import Bar
from gvi.communication import selectors, services
from gvi.communication.forms import (
    CallInForm,
    CallInOutcomeForm,
    ChecklistDoneForm,
    CommunicationBackForm,
    FilterForm,
    InvitationForm,
    NotificationForm,
    NotificationOutcomeForm,
    callin_sections,
    part_formsets,
    parts_from,
)
from gvi.communication.models import CallIn, CallInInvitation, CommunicationBack, Notification
from gvi.communication.reach import REACH_ROLES, reach_for
from gvi.communication.selectors import CALL_IN, COMMUNICATION_BACK, INVITATION, NOTIFICATION
from gvi.groups.forms import ConfirmVersionForm
from gvi.groups.models import Group, Person
from gvi.groups.services import creating_membership
from gvi.incidents.models import Incident
from gvi.web.forms import add_errors, conflict_page, save_form
from gvi.web.paging import page_of


def _nav(user) -> dict:
    return {
        "callins": selectors.may(user, CALL_IN),
        "notifications": selectors.may(user, NOTIFICATION),
        "suggestions": selectors.may(user, NOTIFICATION, CREATE),
        "back": selectors.may(user, COMMUNICATION_BACK),
        "reach": bool(user_roles(user) & set(REACH_ROLES)),
    }


def _render(request, template: str, context: dict, status: int = 200):
    return render(request, template, {"comm_nav": _nav(request.user), **context}, status=status)


def _read_for_change(user, model, pk):
    """A person-contact record the user may change; showing it in a form is a logged read."""
    record = visible_record(user, model, pk, CHANGE)
    if record.logs_reads:
        log_access(user, record)
    return record


def _site_groups(user, site_id):
    return Group.objects.visible_to(user).filter(site_id=site_id).exclude(status=Group.Status.DISSOLVED)


# ----- call-ins -----


@record_permission_required(CALL_IN)
def callin_list(request):
    when = request.GET.get("visa", "")
    when = when if when in ("kommande", "tidigare") else ""
    status = request.GET.get("status", "")
    status = status if status in CallIn.Status.values else ""
    return _render(
        request,
        "communication/callin_list.html",
        {
            "page": page_of(request, selectors.call_ins_for(request.user, status, when)),
            "visa": when,
            "status": status,
            "statuses": CallIn.Status.choices,
            "may_create": may_create(request.user, CallIn),
            "my_items": selectors.my_checklist_items(request.user),
            "today": timezone.localdate(),
        },
    )


def _callin_form_context(form, formsets, **extra) -> dict:
    return {"form": form, "formsets": formsets, "sections": callin_sections(form, formsets), **extra}


def _formsets_valid(formsets) -> bool:
    return all([formset.is_valid() for formset in formsets.values()])


@record_permission_required(CALL_IN, CREATE)
def callin_create(request):
    site = creating_membership(request.user, CallIn).site
    start = (timezone.localtime() + timedelta(days=21)).replace(hour=17, minute=0, second=0, microsecond=0)
    form = CallInForm(
        request.POST or None,
        groups=_site_groups(request.user, site.pk),
        initial={"starts_at": start, "status": CallIn.Status.PLANNED},
    )
    defaults = {
        "checklist": [{"text": text} for text in services.DEFAULT_CHECKLIST],
        "message_points": [{"text": text} for text in services.DEFAULT_MESSAGE_POINTS],
    }
    formsets = part_formsets(request.POST or None, site=site, defaults=defaults)
    context = _callin_form_context(form, formsets, creating=True)
    if request.method == "POST" and form.is_valid() and _formsets_valid(formsets):
        return save_form(
            request,
            form,
            lambda: services.plan_call_in(
                request.user, form.changes(), form.cleaned_data["target_groups"], parts_from(formsets)
            ),
            "communication/callin_form.html",
            context,
            lambda call_in: reverse("communication:callin_detail", args=[call_in.pk]),
            render=_render,
        )
    return _render(request, "communication/callin_form.html", context)


@record_permission_required(CALL_IN)
def callin_detail(request, pk):
    user = request.user
    call_in = read_record(user, CallIn, pk)
    sees_contacts = selectors.sees_person_contacts(user)
    invitations = list(selectors.invitations_of(user, call_in)) if sees_contacts else []
    log_reads(user, invitations)
    items = list(call_in.checklist.select_related("responsible"))
    tickable = [item for item in items if services.may_tick(user, item)]
    may_change = selectors.may_change(user, call_in)
    may_invite = sees_contacts and any(
        m.site_id == call_in.site_id
        for m in user.memberships.active()
        if role_may(m.role, INVITATION, CREATE)
    )
    return _render(
        request,
        "communication/callin_detail.html",
        {
            "call_in": call_in,
            "groups": call_in.target_groups.all(),
            "speakers": call_in.speakers.all(),
            "items": items,
            "tickable_ids": {item.pk for item in tickable},
            "checklist_form": ChecklistDoneForm(
                initial={"version": call_in.version, "done": [i.pk for i in tickable if i.done]},
                items=tickable,
            )
            if tickable
            else None,
            "points": call_in.message_points.all(),
            "sees_contacts": sees_contacts,
            "invitations": invitations,
            "changeable_ids": selectors.changeable_ids(user, CallInInvitation, invitations),
            "counts": selectors.invitation_counts(call_in) if sees_contacts else None,
            "may_change": may_change,
            "may_invite": may_invite,
            "communications_back": selectors.communications_back_for(user).filter(call_in=call_in),
            "today": timezone.localdate(),
        },
    )


@record_permission_required(CALL_IN, CHANGE)
def callin_edit(request, pk):
    call_in = visible_record(request.user, CallIn, pk, CHANGE)
    form = CallInForm(
        request.POST or None, instance=call_in, groups=_site_groups(request.user, call_in.site_id)
    )
    formsets = part_formsets(request.POST or None, call_in=call_in, site=call_in.site)
    context = _callin_form_context(form, formsets, call_in=call_in)
    if request.method == "POST" and form.is_valid() and _formsets_valid(formsets):
        return save_form(
            request,
            form,
            lambda: services.update_call_in(
                request.user,
                call_in,
                form.changes(),
                form.cleaned_data["version"],
                form.cleaned_data["target_groups"],
                parts_from(formsets),
            ),
            "communication/callin_form.html",
            context,
            lambda saved: reverse("communication:callin_detail", args=[saved.pk]),
            render=_render,
        )
    return _render(request, "communication/callin_form.html", context)


@require_POST
@record_permission_required(CALL_IN)
def callin_checklist(request, pk):
    """Tick preparations: whoever may change the call-in, and the organisation responsible for an item."""
    call_in = visible_record(request.user, CallIn, pk)
    items = [item for item in call_in.checklist.all() if services.may_tick(request.user, item)]
    if not items:
        raise PermissionDenied
    form = ChecklistDoneForm(request.POST, items=items)
    back = reverse("communication:callin_detail", args=[call_in.pk])
    if not form.is_valid():
        messages.error(request, _("Checklistan kunde inte sparas. Ladda om sidan och försök igen."))
        return redirect(back)
    try:
        services.set_checklist_done(
            request.user, call_in, set(form.cleaned_data["done"]), form.cleaned_data["version"]
        )
    except EditConflict as conflict:
        return conflict_page(request, conflict, back, render=_render)
    messages.success(request, _("Checklistan är sparad."))
    return redirect(back)


@record_permission_required(CALL_IN, CHANGE)
def callin_outcome(request, pk):
    """After the call-in: who came (the invitations the user's organisation owns), which message points
    were delivered, notes. Saving marks the call-in as held."""
    user = request.user
    call_in = visible_record(user, CallIn, pk, CHANGE)
    invitations = list(
        CallInInvitation.objects.visible_to(user, CHANGE)
        .filter(call_in=call_in)
        .select_related("person")
        .order_by("person__alias")
    )
    log_reads(user, invitations)
    form = CallInOutcomeForm(
        request.POST or None,
        points=call_in.message_points.all(),
        invitations=invitations,
        initial={"version": call_in.version, "notes": call_in.notes},
    )
    context = {
        "form": form,
        "call_in": call_in,
        "others": selectors.invitation_counts(call_in).invited - len(invitations),
    }
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.record_call_in_outcome(
                user,
                call_in,
                form.cleaned_data["version"],
                form.delivered(),
                form.attendance(),
                form.cleaned_data["notes"],
            ),
            "communication/callin_outcome.html",
            context,
            lambda saved: reverse("communication:callin_detail", args=[saved.pk]),
            render=_render,
        )
    return _render(request, "communication/callin_outcome.html", context)


@record_permission_required(CALL_IN, CHANGE)
def callin_remove(request, pk):
    call_in = visible_record(request.user, CallIn, pk, CHANGE)
    form = ConfirmVersionForm(request.POST or None, initial={"version": call_in.version})
    back = reverse("communication:callin_detail", args=[call_in.pk])
    context = {"form": form, "record": call_in, "back": back}
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_call_in(request.user, call_in, form.cleaned_data["version"])
        except EditConflict as conflict:
            return _render(
                request, "communication/remove.html", {**context, "conflict": conflict}, status=409
            )
        except ValidationError as error:
            add_errors(form, error)
            return _render(request, "communication/remove.html", context)
        messages.success(request, _("Stormötet är borttaget."))
        return redirect("communication:callin_list")
    return _render(request, "communication/remove.html", context)


# ----- invitations -----


@record_permission_required(INVITATION, CREATE)
def invitation_create(request, pk):
    user = request.user
    call_in = visible_record(user, CallIn, pk)
    creating_membership(user, CallInInvitation, call_in.site_id)  # 403 without a role at its site
    persons = selectors.persons_to_invite(user, call_in)
    form = InvitationForm(request.POST or None, persons=persons)
    context = {
        "form": form,
        "call_in": call_in,
        "creating": True,
        "empty_picker": selectors.empty_picker(user, persons, call_in.site_id, call_in=call_in),
    }
    if request.method == "POST" and form.is_valid():
        data = {key: value for key, value in form.changes().items() if key != "person"}
        return save_form(
            request,
            form,
            lambda: services.invite(user, call_in, form.cleaned_data["person"], data),
            "communication/invitation_form.html",
            context,
            lambda invitation: reverse("communication:callin_detail", args=[call_in.pk]) + "#inbjudna",
            render=_render,
        )
    return _render(request, "communication/invitation_form.html", context)


@record_permission_required(INVITATION, CHANGE)
def invitation_edit(request, pk):
    invitation = _read_for_change(request.user, CallInInvitation, pk)
    form = InvitationForm(request.POST or None, instance=invitation)
    context = {"form": form, "call_in": invitation.call_in, "invitation": invitation}
    if request.method == "POST" and form.is_valid():
        changes = {key: value for key, value in form.changes().items() if key != "person"}
        return save_form(
            request,
            form,
            lambda: services.update_invitation(
                request.user, invitation, changes, form.cleaned_data["version"]
            ),
            "communication/invitation_form.html",
            context,
            lambda saved: reverse("communication:callin_detail", args=[saved.call_in_id]) + "#inbjudna",
            render=_render,
        )
    return _render(request, "communication/invitation_form.html", context)


@record_permission_required(INVITATION, CHANGE)
def invitation_remove(request, pk):
    invitation = _read_for_change(request.user, CallInInvitation, pk)
    back = reverse("communication:callin_detail", args=[invitation.call_in_id])
    form = ConfirmVersionForm(request.POST or None, initial={"version": invitation.version})
    context = {"form": form, "record": invitation, "back": back}
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_invitation(request.user, invitation, form.cleaned_data["version"])
        except EditConflict as conflict:
            return _render(
                request, "communication/remove.html", {**context, "conflict": conflict}, status=409
            )
        messages.success(request, _("Inbjudan är borttagen."))
        return redirect(back)
    return _render(request, "communication/remove.html", context)


# ----- notifications -----


@record_permission_required(NOTIFICATION)
def notification_list(request):
    filters = FilterForm(request.GET or None)
    values = filters.values() if request.GET else {}
    notifications = selectors.notifications_for(
        request.user, values.get("utfall") or "", values.get("q") or "", values.get("grupp")
    )
    page = page_of(request, notifications)
    page.object_list = logged_list(request.user, page.object_list)
    return _render(
        request,
        "communication/notification_list.html",
        {
            "page": page,
            "filter_form": filters,
            "may_create": may_create(request.user, Notification),
        },
    )


def _int_param(request, name):
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return None
    return value if 0 < value < 2**62 else None


@record_permission_required(NOTIFICATION, CREATE)
def notification_create(request):
    user = request.user
    site = creating_membership(user, Notification).site
    group_id = _int_param(request, "grupp")
    group = _site_groups(user, site.pk).filter(pk=group_id).first() if group_id else None
    persons = selectors.persons_for_notification(user, group.pk if group else None).filter(site=site)
    initial = {
        "date": timezone.localdate(),
        "delivered_by": _("polis + socialsekreterare"),
        "person": _int_param(request, "person"),
    }
    form = NotificationForm(request.POST or None, persons=persons, site=site, initial=initial)
    context = {
        "form": form,
        "creating": True,
        "group": group,
        "empty_picker": selectors.empty_picker(user, persons, site.pk, group=group),
    }
    if request.method == "POST" and form.is_valid():
        data = {key: value for key, value in form.changes().items() if key != "person"}
        return save_form(
            request,
            form,
            lambda: services.plan_notification(
                user, form.cleaned_data["person"], data, form.cleaned_data["delivering_organisations"]
            ),
            "communication/notification_form.html",
            context,
            lambda notification: reverse("communication:notification_detail", args=[notification.pk]),
            render=_render,
        )
    return _render(request, "communication/notification_form.html", context)


@record_permission_required(NOTIFICATION)
def notification_detail(request, pk):
    notification = read_record(request.user, Notification, pk)
    return _render(
        request,
        "communication/notification_detail.html",
        {
            "notification": notification,
            "organisations": notification.delivering_organisations.all(),
            "repeat_of": selectors.visible_repeat_of(request.user, notification),
            "may_change": selectors.may_change(request.user, notification),
            "person_visible": Person.objects.visible_to(request.user)
            .filter(pk=notification.person_id)
            .exists(),
            "disclosed_to_us": not request.user.memberships.active()
            .filter(organisation_id=notification.owner_id, site_id=notification.site_id)
            .exists(),
        },
    )


@record_permission_required(NOTIFICATION, CHANGE)
def notification_edit(request, pk):
    notification = _read_for_change(request.user, Notification, pk)
    form = NotificationForm(request.POST or None, instance=notification, site=notification.site)
    context = {"form": form, "notification": notification}
    if request.method == "POST" and form.is_valid():
        changes = {key: value for key, value in form.changes().items() if key != "person"}
        return save_form(
            request,
            form,
            lambda: services.update_notification(
                request.user,
                notification,
                changes,
                form.cleaned_data["version"],
                form.cleaned_data["delivering_organisations"],
            ),
            "communication/notification_form.html",
            context,
            lambda saved: reverse("communication:notification_detail", args=[saved.pk]),
            render=_render,
        )
    return _render(request, "communication/notification_form.html", context)


@record_permission_required(NOTIFICATION, CHANGE)
def notification_outcome(request, pk):
    notification = _read_for_change(request.user, Notification, pk)
    initial = {}
    if notification.outcome == Notification.Outcome.PLANNED and notification.date > timezone.localdate():
        initial["date"] = timezone.localdate()
    form = NotificationOutcomeForm(request.POST or None, instance=notification, initial=initial)
    context = {"form": form, "notification": notification, "recording": True}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_notification(
                request.user, notification, form.changes(), form.cleaned_data["version"]
            ),
            "communication/notification_form.html",
            context,
            lambda saved: reverse("communication:notification_detail", args=[saved.pk]),
            render=_render,
        )
    return _render(request, "communication/notification_form.html", context)


@record_permission_required(NOTIFICATION, CHANGE)
def notification_remove(request, pk):
    notification = _read_for_change(request.user, Notification, pk)
    form = ConfirmVersionForm(request.POST or None, initial={"version": notification.version})
    context = {
        "form": form,
        "record": notification,
        "back": reverse("communication:notification_detail", args=[pk]),
    }
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_notification(request.user, notification, form.cleaned_data["version"])
        except EditConflict as conflict:
            return _render(
                request, "communication/remove.html", {**context, "conflict": conflict}, status=409
            )
        messages.success(request, _("Samtalet är borttaget."))
        return redirect("communication:notification_list")
    return _render(request, "communication/remove.html", context)


@record_permission_required(NOTIFICATION, CREATE)
def notification_suggestions(request):
    return _render(
        request,
        "communication/suggestions.html",
        {
            "suggestions": selectors.notification_suggestions(request.user),
            "incident_days": selectors.SUGGESTION_INCIDENT_DAYS,
            "quiet_days": selectors.SUGGESTION_QUIET_DAYS,
        },
    )


# ----- communicating back -----


@record_permission_required(COMMUNICATION_BACK)
def communicationback_list(request):
    group_id = _int_param(request, "grupp")
    page = page_of(request, selectors.communications_back_for(request.user, group_id))
    return _render(
        request,
        "communication/communicationback_list.html",
        {
            "page": page,
            "changeable_ids": selectors.changeable_ids(request.user, CommunicationBack, page.object_list),
            "may_create": may_create(request.user, CommunicationBack),
            "group": Group.objects.visible_to(request.user).filter(pk=group_id).first() if group_id else None,
        },
    )


def _communication_back_choices(user, site_id, keep=None) -> dict:
    since = timezone.now() - timedelta(days=365)
    incidents = Incident.objects.visible_to(user).filter(site_id=site_id)
    recent = incidents.filter(occurred_at__gte=since)
    if keep and keep.refers_to_incident_id:
        recent = recent | incidents.filter(pk=keep.refers_to_incident_id)
    return {
        "groups": _site_groups(user, site_id),
        "call_ins": CallIn.objects.visible_to(user).filter(site_id=site_id).order_by("-starts_at"),
        "incidents": recent.order_by("-occurred_at"),
    }


def _answered_episode(request, user, site_id):
    """The sanction episode the communication answers (`?episod=<pk>`, from the episode's page), if the
    user may see it at the site; the record then refers to it, so the episode shows it."""
    from gvi.sanctions.models import SanctionEpisode

    pk = _int_param(request, "episod")
    if pk is None:
        return None
    return (
        SanctionEpisode.objects.visible_to(user)
        .filter(site_id=site_id, pk=pk)
        .select_related("group")
        .first()
    )


@record_permission_required(COMMUNICATION_BACK, CREATE)
def communicationback_create(request):
    user = request.user
    site = creating_membership(user, CommunicationBack).site
    initial = {"date": timezone.localdate()}
    incident_id = _int_param(request, "incident")
    if incident_id:
        initial["refers_to_incident"] = incident_id
    episode = _answered_episode(request, user, site.pk)
    if episode is not None:
        initial["audience_groups"] = [episode.group_id] if episode.group_id else []
    form = CommunicationBackForm(
        request.POST or None, initial=initial, **_communication_back_choices(user, site.pk)
    )
    context = {"form": form, "creating": True, "episode": episode}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.create_communication_back(
                user, form.changes(), form.cleaned_data["audience_groups"], refers_to=episode
            ),
            "communication/communicationback_form.html",
            context,
            lambda record: (
                reverse("sanctions:episode_detail", args=[episode.pk])
                if episode is not None
                else reverse("communication:communicationback_list")
            ),
            render=_render,
        )
    return _render(request, "communication/communicationback_form.html", context)


@record_permission_required(COMMUNICATION_BACK, CHANGE)
def communicationback_edit(request, pk):
    user = request.user
    record = visible_record(user, CommunicationBack, pk, CHANGE)
    form = CommunicationBackForm(
        request.POST or None, instance=record, **_communication_back_choices(user, record.site_id, record)
    )
    context = {"form": form, "record": record}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_communication_back(
                user,
                record,
                form.changes(),
                form.cleaned_data["version"],
                form.cleaned_data["audience_groups"],
            ),
            "communication/communicationback_form.html",
            context,
            lambda saved: reverse("communication:communicationback_list"),
            render=_render,
        )
    return _render(request, "communication/communicationback_form.html", context)


# ----- reach -----


def _percent(value) -> int | None:
    return round(value * 100) if value is not None else None


def percent_bars(series: list[tuple[str, int | None]], width: int = 720, height: int = 200, gap: float = 8.0):
    """Bars on a fixed 0–100 % scale (a chart scaled to its largest value would make a 10 % share look
    full). A missing share (None) gets no bar."""
    slot = width / max(len(series), 1)
    bars = []
    for index, (label, value) in enumerate(series):
        bar_height = height * min(max(value or 0, 0), 100) / 100
        bars.append(
            Bar(label, value, index * slot + gap / 2, height - bar_height, max(slot - gap, 1), bar_height)
        )
    return bars


def _reach_date(request):
    """The day the figures are computed for: today, or an earlier day given as ?datum=YYYY-MM-DD."""
    today = timezone.localdate()
    try:
        chosen = date.fromisoformat(request.GET.get("datum", "")[:10])
    except ValueError:
        return today
    return min(chosen, today) if chosen.year >= 2000 else today


@roles_required(*REACH_ROLES)
def reach(request):
    day = _reach_date(request)
    reports = reach_for(request.user, day)
    charts = []
    for report in reports:
        if report.groups:
            series = [(row.group.name, _percent(row.figures.share_12)) for row in report.groups]
            title = _("Andel aktiva medlemmar nådda senaste 12 månaderna per grupp, %(site)s") % {
                "site": report.site.name
            }
            heading = _("Grupp")
        else:
            figures = report.published
            series = [
                (_("Senaste 6 månaderna"), _percent(figures.share_6)),
                (_("Senaste 12 månaderna"), _percent(figures.share_12)),
            ]
            title = _("Andel aktiva medlemmar nådda, %(site)s") % {"site": report.site.name}
            heading = _("Period")
        charts.append(
            {
                "title": title,
                "series": series,
                "bars": percent_bars(series),
                "id": report.site.pk,
                "label_heading": heading,
            }
        )
    return _render(
        request,
        "communication/reach.html",
        {
            "reports": list(zip(reports, charts, strict=True)),
            "today": day,
            "is_today": day == timezone.localdate(),
        },
    )
