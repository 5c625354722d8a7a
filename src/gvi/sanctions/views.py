"""Pages of sanction episodes, actions, announced rules and the swiftness / certainty follow-up.

Views parse, call a service or selector, and render. Record-level rules stay in `visible_to`: a page for
a record the user may not act on answers 404, a page the user's roles may never use answers 403.
"""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.access.decorators import record_permission_required, roles_required
from gvi.access.permissions import CHANGE, CREATE
from gvi.access.selectors import may, read_record, visible_record
from gvi.access.services import EditConflict, granting_membership
from gvi.groups.forms import ConfirmVersionForm
from gvi.groups.models import Group
from gvi.partnership.models import Role, Site
from gvi.sanctions import charts, metrics, selectors, services
from gvi.sanctions.forms import (
    ActionForm,
    CloseForm,
    DecisionForm,
    EpisodeCreateForm,
    EpisodeEditForm,
    RuleForm,
)
from gvi.sanctions.levers import CATALOGUE, CATALOGUE_LABELS, lever_label
from gvi.sanctions.models import AnnouncedRule, SanctionAction, SanctionEpisode
from gvi.web.forms import save_form
from gvi.web.paging import page_of

EPISODE = "sanctions.sanctionepisode"
ACTION = "sanctions.sanctionaction"
RULE = "sanctions.announcedrule"
METRICS_ROLES = (
    Role.COORDINATOR,
    Role.ANALYST,
    Role.CASEWORKER,
    Role.PROBATION_OFFICER,
    Role.STEERING_MEMBER,
)


def _may(user, record, action) -> bool:
    return granting_membership(user, record, action) is not None


def _communications(user, episode):
    """Communications back the user may link: at the episode's site, from a month before it was proposed
    (and those already linked)."""
    model = SanctionEpisode.communications.field.related_model
    since = timezone.localtime(episode.proposed_at).date() - timedelta(days=30)
    linked = episode.communications.values("pk")
    return (
        model.objects.visible_to(user)
        .filter(site_id=episode.site_id)
        .filter(Q(date__gte=since) | Q(pk__in=linked))
        .order_by("-date", "-pk")
    )


def _episode_url(episode) -> str:
    return reverse("sanctions:episode_detail", args=[episode.pk])


# ----- episodes -----


@record_permission_required(EPISODE)
def episode_list(request):
    show = request.GET.get("visa", "")
    if show not in selectors.EPISODE_FILTERS:
        show = ""
    try:
        group_id = int(request.GET.get("grupp") or 0)
    except ValueError:
        group_id = 0
    episodes = selectors.episodes_for(request.user, show, group_id or None)
    return render(
        request,
        "sanctions/episode_list.html",
        {
            "page": page_of(request, episodes),
            "show": show,
            "filters": [(key, label) for key, (label, _q) in selectors.EPISODE_FILTERS.items()],
            "groups": Group.objects.visible_to(request.user).order_by("name"),
            "group_id": group_id,
            "may_create": may(request.user, SanctionEpisode, CREATE),
            "overdue_count": selectors.overdue_proposals(request.user).count(),
            "now": timezone.now(),
        },
    )


@record_permission_required(EPISODE, CREATE)
def episode_create(request):
    groups = Group.objects.visible_to(request.user).exclude(status=Group.Status.DISSOLVED).order_by("name")
    form = EpisodeCreateForm(
        request.POST or None,
        initial={"group": request.GET.get("grupp"), "trigger_incidents": request.GET.getlist("incident")},
        groups=groups,
        incidents=selectors.trigger_choices(request.user),
    )
    context = {"form": form, "creating": True}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        return save_form(
            request,
            form,
            lambda: services.create_episode(
                request.user, data["group"], data["trigger_incidents"], data["decision_note"]
            ),
            "sanctions/episode_form.html",
            context,
            _episode_url,
        )
    return render(request, "sanctions/episode_form.html", context)


@record_permission_required(EPISODE)
def episode_detail(request, pk):
    user = request.user
    episode = read_record(user, SanctionEpisode, pk)
    triggers = list(selectors.trigger_incidents_of(episode))
    all_actions = list(episode.actions.all())
    sees_all = selectors.sees_all_actions(user, episode)
    match = selectors.rule_match(episode, all_actions)
    rule = episode.announced_rule or (selectors.applicable_rule(episode) if episode.is_active else None)
    facts = metrics.episode_facts(episode)
    communications = selectors.episode_communications(episode)
    return render(
        request,
        "sanctions/episode_detail.html",
        {
            "episode": episode,
            "triggers": triggers,
            "grouped_actions": selectors.actions_by_organisation(user, episode),
            "sees_all_actions": sees_all,
            "action_count": len(all_actions),
            "rule": rule,
            "match": match,
            "match_label": selectors.OUTCOME_LABELS[match.outcome],
            "promised": [
                {"label": lever_label(code), "applied": code in match.applied}
                for code in sorted(match.promised)
            ],
            "days": {
                "decision": facts.days_to(facts.decided_at),
                "first_action": facts.days_to(facts.first_action_on),
                "communication": facts.days_to(facts.communicated_on),
            },
            "communications": communications,
            "may_communicate": may(user, SanctionEpisode.communications.field.related_model, CREATE),
            "may_change": _may(user, episode, CHANGE),
            "may_lead": services.may_lead(user, episode),
            "changeable_ids": set(
                SanctionAction.objects.visible_to(user, CHANGE)
                .filter(episode=episode)
                .values_list("pk", flat=True)
            ),
            "action_organisations": selectors.action_creating_organisations(user, episode)
            if episode.is_active
            else [],
            "history": episode.history.select_related("history_user")[:15],
            "now": timezone.now(),
        },
    )


@record_permission_required(EPISODE, CHANGE)
def episode_edit(request, pk):
    user = request.user
    episode = visible_record(user, SanctionEpisode, pk, CHANGE)
    form = EpisodeEditForm(
        request.POST or None,
        instance=episode,
        incidents=selectors.trigger_choices(user, episode.site_id, episode),
        rules=selectors.rules_for(user).filter(site_id=episode.site_id),
        communications=_communications(user, episode),
    )
    context = {"form": form, "episode": episode}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_episode(
                user,
                episode,
                form.changes(),
                form.cleaned_data["version"],
                trigger_incidents=form.cleaned_data["trigger_incidents"],
                communications=form.cleaned_data.get("communications"),
            ),
            "sanctions/episode_form.html",
            context,
            _episode_url,
        )
    return render(request, "sanctions/episode_form.html", context)


@record_permission_required(EPISODE, CHANGE)
def episode_decide(request, pk):
    user = request.user
    episode = visible_record(user, SanctionEpisode, pk, CHANGE)
    if not services.may_lead(user, episode):
        raise PermissionDenied(
            _("Beslut om och avslut av episoden fattas av samordnaren eller den organisation som äger den.")
        )
    suggested = selectors.applicable_rule(episode)
    form = DecisionForm(
        request.POST or None,
        initial={
            "version": episode.version,
            "decision": DecisionForm.RUN,
            "start_date": timezone.localdate(),
            "announced_rule": suggested.pk if suggested else None,
        },
        rules=selectors.rules_for(user).filter(site_id=episode.site_id),
    )
    context = {"form": form, "episode": episode, "suggested": suggested, "now": timezone.now()}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        return save_form(
            request,
            form,
            lambda: services.decide_episode(
                user,
                episode,
                data["version"],
                run=data["decision"] == DecisionForm.RUN,
                start_date=data["start_date"],
                planned_end_date=data["planned_end_date"],
                announced_rule=data["announced_rule"],
                note=data["note"],
            ),
            "sanctions/episode_decide.html",
            context,
            _episode_url,
        )
    return render(request, "sanctions/episode_decide.html", context)


@record_permission_required(EPISODE, CHANGE)
def episode_close(request, pk):
    user = request.user
    episode = visible_record(user, SanctionEpisode, pk, CHANGE)
    if not services.may_lead(user, episode):
        raise PermissionDenied(
            _("Beslut om och avslut av episoden fattas av samordnaren eller den organisation som äger den.")
        )
    communications = _communications(user, episode)
    form = CloseForm(
        request.POST or None,
        initial={"version": episode.version, "end_date": timezone.localdate()},
        communications=communications,
    )
    context = {
        "form": form,
        "episode": episode,
        "may_communicate": may(user, communications.model, CREATE),
        "first_trigger": selectors.first_trigger(episode),
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        return save_form(
            request,
            form,
            lambda: services.close_episode(
                user,
                episode,
                data["version"],
                end_date=data["end_date"],
                end_reason=data["end_reason"],
                end_note=data["end_note"],
                communications=data.get("communications"),
            ),
            "sanctions/episode_close.html",
            context,
            _episode_url,
        )
    return render(request, "sanctions/episode_close.html", context)


# ----- actions -----


def _members(site_id, organisation_id):
    return (
        get_user_model()
        .objects.filter(
            memberships__site_id=site_id,
            memberships__organisation_id=organisation_id,
            memberships__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@record_permission_required(ACTION, CREATE)
def action_create(request, pk):
    user = request.user
    episode = visible_record(user, SanctionEpisode, pk)
    organisations = selectors.action_creating_organisations(user, episode)
    if not organisations:
        raise PermissionDenied
    organisation = organisations[0]
    form = ActionForm(
        request.POST or None,
        initial={"responsible": user.pk},
        organisation=organisation,
        members=_members(episode.site_id, organisation.pk),
    )
    context = {"form": form, "episode": episode, "organisation": organisation, "creating": True}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.create_action(user, episode, form.changes()),
            "sanctions/action_form.html",
            context,
            lambda action: _episode_url(episode),
        )
    return render(request, "sanctions/action_form.html", context)


@record_permission_required(ACTION, CHANGE)
def action_edit(request, pk):
    user = request.user
    action = visible_record(user, SanctionAction, pk, CHANGE)
    form = ActionForm(
        request.POST or None, instance=action, members=_members(action.site_id, action.owner_id)
    )
    context = {"form": form, "episode": action.episode, "organisation": action.owner, "action": action}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_action(user, action, form.changes(), form.cleaned_data["version"]),
            "sanctions/action_form.html",
            context,
            lambda saved: _episode_url(saved.episode),
        )
    return render(request, "sanctions/action_form.html", context)


@record_permission_required(ACTION, CHANGE)
def action_remove(request, pk):
    user = request.user
    action = visible_record(user, SanctionAction, pk, CHANGE)
    form = ConfirmVersionForm(request.POST or None, initial={"version": action.version})
    context = {"form": form, "action": action, "episode": action.episode}
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_action(user, action, form.cleaned_data["version"])
        except EditConflict as conflict:
            return render(
                request, "sanctions/action_remove.html", {**context, "conflict": conflict}, status=409
            )
        messages.success(request, _("Åtgärden är borttagen. Ändringen finns kvar i historiken."))
        return redirect(_episode_url(action.episode))
    return render(request, "sanctions/action_remove.html", context)


# ----- announced rules -----


@record_permission_required(RULE)
def rule_list(request):
    rules = selectors.rules_for(request.user).annotate(episode_count=Count("episodes"))
    return render(
        request,
        "sanctions/rule_list.html",
        {
            "page": page_of(request, rules),
            "may_create": may(request.user, AnnouncedRule, CREATE),
            "today": timezone.localdate(),
            "catalogue": [
                (CATALOGUE_LABELS[key], [lever_label(code) for code in codes])
                for key, codes in CATALOGUE.items()
                if codes and key != "other_authority"
            ],
        },
    )


def _rule_groups(user):
    return Group.objects.visible_to(user).order_by("name")


@record_permission_required(RULE, CREATE)
def rule_create(request):
    user = request.user
    form = RuleForm(
        request.POST or None, initial={"announced_on": timezone.localdate()}, groups=_rule_groups(user)
    )
    context = {"form": form, "creating": True}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.create_rule(user, form.changes(), form.cleaned_data["groups"]),
            "sanctions/rule_form.html",
            context,
            lambda rule: reverse("sanctions:rule_list"),
        )
    return render(request, "sanctions/rule_form.html", context)


@record_permission_required(RULE, CHANGE)
def rule_edit(request, pk):
    user = request.user
    rule = visible_record(user, AnnouncedRule, pk, CHANGE)
    form = RuleForm(
        request.POST or None, instance=rule, groups=_rule_groups(user).filter(site_id=rule.site_id)
    )
    context = {"form": form, "rule": rule}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_rule(
                user, rule, form.changes(), form.cleaned_data["version"], form.cleaned_data["groups"]
            ),
            "sanctions/rule_form.html",
            context,
            lambda saved: reverse("sanctions:rule_list"),
        )
    return render(request, "sanctions/rule_form.html", context)


# ----- follow-up: do we respond every time, and fast enough? -----


def _parse_day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _default_start(site_ids) -> date:
    """From the GVI start, as the statistics page counts (one window, one figure: "13 av 104" here and
    "13 / 159" there came from two windows); without a start date, the last quarters."""
    starts = Site.objects.filter(pk__in=site_ids, gvi_start_date__isnull=False).values_list(
        "gvi_start_date", flat=True
    )
    return min(starts, default=None) or charts.default_start(timezone.localdate())


@roles_required(*METRICS_ROLES)
def metrics_page(request):
    """Aggregate figures for the user's sites; per-group rows only for groups the user may see."""
    user = request.user
    site_ids = sorted(
        set(
            user.memberships.active()
            .filter(role__in=METRICS_ROLES, site__isnull=False)
            .values_list("site_id", flat=True)
        )
    )
    start = _parse_day(request.GET.get("fran", "")[:10])
    end = _parse_day(request.GET.get("till", "")[:10])
    if start is None and not request.GET.get("fran"):
        start = _default_start(site_ids)
    group_ids = list(Group.objects.visible_to(user).filter(site_id__in=site_ids).values_list("pk", flat=True))
    report = metrics.deterrence_report(site_ids, start, end, group_ids=group_ids)
    return render(
        request,
        "sanctions/metrics.html",
        {
            "report": report,
            "site": report.site,
            "start": start,
            "end": end,
            "deadline_days": round(services.decision_hours() / 24, 1),
            "decision_chart": charts.quarter_chart(
                report.quarters,
                lambda f: f.to_decision.median,
                reference=services.decision_hours() / 24,
                unit=_("dagar"),
            ),
            "action_chart": charts.quarter_chart(
                report.quarters, lambda f: f.to_first_action.median, unit=_("dagar")
            ),
            "certainty_chart": charts.quarter_chart(
                report.quarters, lambda f: f.certainty.percent, maximum=100, unit="%"
            ),
            "may_see_episodes": may(user, SanctionEpisode, "view"),
        },
    )
