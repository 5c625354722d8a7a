"""Pages of the group audit. Views parse, call a service or selector, and render.

The person and group pages are assembled here from the selectors of the apps whose records they show
(incidents, communication): the groups app's models, services and selectors import neither (see the
import contracts in pyproject.toml and docs/architecture.md)."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gvi.access.decorators import record_permission_required
from gvi.access.forms import DisclosureForm
from gvi.access.models import Disclosure
from gvi.access.permissions import CHANGE, CREATE, DISCLOSE, REVEAL
from gvi.access.redirects import safe_next
from gvi.access.selectors import (
    access_log_for_record,
    logged_list,
    may_create,
    read_record,
    visible_record,
)
from gvi.access.services import (
    DisclosureRequest,
    EditConflict,
    disclose,
    granting_membership,
    log_reads,
    remove_record,
)
from gvi.communication import selectors as communication_selectors
from gvi.communication.models import Notification
from gvi.groups import selectors, services
from gvi.groups.forms import (
    AuditRoundForm,
    ConfirmVersionForm,
    EntryRejectForm,
    GroupForm,
    MembershipForm,
    PersonForm,
    RelationForm,
    RevealForm,
)
from gvi.groups.models import AuditRound, Group, GroupMembership, GroupRelation, Person
from gvi.incidents import selectors as incident_selectors
from gvi.web.forms import save_form
from gvi.web.paging import page_of


def _may(user, record, action) -> bool:
    return granting_membership(user, record, action) is not None


# ----- persons -----


@record_permission_required("groups.person")
def person_list(request):
    query = request.GET.get("q", "")[:100]
    show = request.GET.get("visa", "")
    persons = selectors.persons_for(request.user, query, show)
    page = page_of(request, persons)
    page.object_list = logged_list(request.user, page.object_list)
    context = {
        "page": page,
        "q": query,
        "visa": show,
        "may_create": may_create(request.user, Person),  # no link that ends in "Ingen behörighet"
    }
    return render(request, "groups/person_list.html", context)


@record_permission_required("groups.person", CREATE)
def person_create(request):
    form = PersonForm(request.POST or None)
    context = {"form": form, "creating": True}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.create_person(request.user, form.changes(), form.personal_number_change()),
            "groups/person_edit.html",
            context,
            lambda record: f"/personer/{record.pk}/",
        )
    return render(request, "groups/person_edit.html", context)


@record_permission_required("groups.person")
def person_detail(request, pk):
    person = read_record(request.user, Person, pk)
    may_disclose = _may(request.user, person, DISCLOSE)
    return render(
        request,
        "groups/person_detail.html",
        {
            "person": person,
            "memberships": selectors.memberships_of_person(request.user, person),
            "involvements": incident_selectors.involvements_of_person(request.user, person),
            "may_change": _may(request.user, person, CHANGE),
            "may_disclose": may_disclose,
            "may_reveal": _may(request.user, person, REVEAL) and bool(person.personal_number_encrypted),
            "disclosures": Disclosure.objects.filter(content_type__model="person", object_id=person.pk)
            .filter(from_organisation_id=person.owner_id)
            .select_related("to_organisation", "to_site"),
            "history": person.history.select_related("history_user")[:20] if may_disclose else [],
            "reads": access_log_for_record(person) if may_disclose else [],
            "today": timezone.localdate(),
            "approvers": selectors.approvers_of(person),
            # The communication module's contacts with the person (invitations, notifications).
            "contacts": communication_selectors.contacts_of_person(request.user, person),
            "may_plan_notification": may_create(request.user, Notification),
        },
    )


@record_permission_required("groups.person", CHANGE)
def person_edit(request, pk):
    person = visible_record(request.user, Person, pk, CHANGE)
    form = PersonForm(request.POST or None, instance=person)
    context = {"form": form, "person": person}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_person(
                request.user,
                person,
                form.changes(),
                form.cleaned_data["version"],
                form.personal_number_change(),
            ),
            "groups/person_edit.html",
            context,
            lambda record: f"/personer/{record.pk}/",
        )
    return render(request, "groups/person_edit.html", context)


@record_permission_required("groups.person", REVEAL)
def person_reveal(request, pk):
    person = visible_record(request.user, Person, pk, REVEAL)
    form = RevealForm(request.POST or None)
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = services.reveal_personal_number(request.user, person, form.cleaned_data["purpose"])
        except ValidationError as error:
            form.add_error(None, error)
    return render(
        request, "groups/person_reveal.html", {"form": form, "person": person, "revealed": revealed}
    )


@record_permission_required("groups.person", DISCLOSE)
def person_disclose(request, pk):
    person = visible_record(request.user, Person, pk, DISCLOSE)
    other_site = request.GET.get("annan-plats") == "1"  # the explicit choice of another site
    form = DisclosureForm(request.POST or None, record=person, other_site=other_site)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            disclose(
                request.user,
                person,
                DisclosureRequest(
                    to_organisation_id=data["to_organisation"].pk,
                    legal_ground=data["legal_ground"],
                    legal_ground_text=data["legal_ground_text"],
                    purpose=data["purpose"],
                    expires_at=data["expires_at"],
                    to_site_id=data["to_site"].pk if other_site else None,
                    consent_given_on=data["consent_given_on"],
                    consent_method=data["consent_method"],
                ),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Utlämnandet är registrerat."))
            return redirect("groups:person_detail", pk=person.pk)
    return render(
        request, "groups/person_disclose.html", {"form": form, "person": person, "other_site": other_site}
    )


# ----- groups -----


@record_permission_required("groups.group")
def group_list(request):
    query = request.GET.get("q", "")[:100]
    status = request.GET.get("status", "")
    if status not in Group.Status.values:
        status = ""
    groups = selectors.groups_for(request.user, query, status)
    return render(
        request,
        "groups/group_list.html",
        {
            "page": page_of(request, groups),
            "q": query,
            "status": status,
            "statuses": Group.Status.choices,
            "may_create": may_create(request.user, Group),
        },
    )


@record_permission_required("groups.group", CREATE)
def group_create(request):
    form = GroupForm(request.POST or None)
    context = {"form": form, "creating": True, "kind": _("grupp"), "kind_slug": "grupp"}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.create_group(request.user, form.changes()),
            "groups/record_form.html",
            context,
            lambda record: f"/grupper/{record.pk}/",
        )
    return render(request, "groups/record_form.html", context)


# The group page shows a summary and the first members and relations; the full lists have pages of their own.
GROUP_PAGE_LIST = 25


@record_permission_required("groups.group")
def group_detail(request, pk):
    group = read_record(request.user, Group, pk)
    memberships = selectors.memberships_of_group(request.user, group)
    counts = selectors.member_counts(memberships)
    relations = selectors.relations_of_group(request.user, group)
    return render(
        request,
        "groups/group_detail.html",
        {
            "group": group,
            "core": list(memberships.filter(role=GroupMembership.Role.CORE)[:GROUP_PAGE_LIST]),
            "associates": list(memberships.filter(role=GroupMembership.Role.ASSOCIATE)[:GROUP_PAGE_LIST]),
            "core_count": counts.get(GroupMembership.Role.CORE, 0),
            "associate_count": counts.get(GroupMembership.Role.ASSOCIATE, 0),
            "relations": list(relations.order_by("-intensity", "pk")[:GROUP_PAGE_LIST]),
            "relation_count": relations.count(),
            "shown": GROUP_PAGE_LIST,
            "incidents": incident_selectors.incidents_of_group(request.user, group)[:20],
            "status_history": selectors.status_history(group),
            "may_change": _may(request.user, group, CHANGE),
            "may_add_member": may_create(request.user, GroupMembership),
            "metrics": selectors.network_metrics(request.user, group),
            "alerts": incident_selectors.retaliation_risk_for(request.user, group),
            "today": timezone.localdate(),
        },
    )


@record_permission_required("groups.group")
def group_members(request, pk):
    """Every member of the group the user may see, a page at a time."""
    group = read_record(request.user, Group, pk)
    memberships = selectors.memberships_of_group(request.user, group)
    page = page_of(request, memberships)
    page.object_list = logged_list(request.user, page.object_list)
    return render(
        request, "groups/group_members.html", {"group": group, "page": page, "today": timezone.localdate()}
    )


@record_permission_required("groups.group")
def group_relations(request, pk):
    """Every relation of the group the user may see, strongest first, a page at a time."""
    group = read_record(request.user, Group, pk)
    relations = selectors.relations_of_group(request.user, group).order_by("-intensity", "pk")
    return render(
        request,
        "groups/group_relations.html",
        {
            "group": group,
            "page": page_of(request, relations),
            "may_change": _may(request.user, group, CHANGE),
        },
    )


@record_permission_required("groups.group", CHANGE)
def group_edit(request, pk):
    group = visible_record(request.user, Group, pk, CHANGE)
    form = GroupForm(request.POST or None, instance=group)
    context = {"form": form, "record": group, "kind": _("grupp"), "kind_slug": "grupp"}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_group(request.user, group, form.changes(), form.cleaned_data["version"]),
            "groups/record_form.html",
            context,
            lambda record: f"/grupper/{record.pk}/",
        )
    return render(request, "groups/record_form.html", context)


# ----- memberships -----


def _membership_choices(user):
    return {
        "persons": selectors.persons_for(user, action=CHANGE),
        "groups": selectors.groups_for(user),
    }


@record_permission_required("groups.groupmembership", CREATE)
def membership_create(request):
    initial = {
        "person": request.GET.get("person"),
        "group": request.GET.get("grupp"),
        "valid_from": timezone.localdate(),
    }
    form = MembershipForm(request.POST or None, initial=initial, **_membership_choices(request.user))
    context = {"form": form, "creating": True, "kind": _("medlemskap"), "kind_slug": "medlemskap"}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.create_membership(request.user, form.changes()),
            "groups/record_form.html",
            context,
            reverse("groups:group_detail", args=[form.cleaned_data["group"].pk]),
        )
    return render(request, "groups/record_form.html", context)


@record_permission_required("groups.groupmembership", CHANGE)
def membership_edit(request, pk):
    membership = visible_record(request.user, GroupMembership, pk, CHANGE)
    form = MembershipForm(request.POST or None, instance=membership, **_membership_choices(request.user))
    context = {"form": form, "record": membership, "kind": _("medlemskap"), "kind_slug": "medlemskap"}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_membership(
                request.user, membership, form.changes(), form.cleaned_data["version"]
            ),
            "groups/record_form.html",
            context,
            reverse("groups:group_detail", args=[membership.group_id]),
        )
    return render(request, "groups/record_form.html", context)


# ----- relations -----


@record_permission_required("groups.grouprelation", CREATE)
def relation_create(request):
    groups = selectors.groups_for(request.user)
    form = RelationForm(request.POST or None, initial={"group_a": request.GET.get("grupp")}, groups=groups)
    context = {"form": form, "creating": True, "kind": _("relation"), "kind_slug": "relation"}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.create_relation(request.user, form.changes()),
            "groups/record_form.html",
            context,
            reverse("groups:group_detail", args=[form.cleaned_data["group_a"].pk]),
        )
    return render(request, "groups/record_form.html", context)


@record_permission_required("groups.grouprelation", CHANGE)
def relation_edit(request, pk):
    relation = visible_record(request.user, GroupRelation, pk, CHANGE)
    form = RelationForm(request.POST or None, instance=relation, groups=selectors.groups_for(request.user))
    context = {"form": form, "record": relation, "kind": _("relation"), "kind_slug": "relation"}
    if request.method == "POST" and form.is_valid():
        return save_form(
            request,
            form,
            lambda: services.update_relation(
                request.user, relation, form.changes(), form.cleaned_data["version"]
            ),
            "groups/record_form.html",
            context,
            reverse("groups:group_detail", args=[relation.group_a_id]),
        )
    return render(request, "groups/record_form.html", context)


# ----- removal and review, shared by all audit records -----

REMOVABLE = {
    "person": (Person, "groups.person", "groups:person_list"),
    "grupp": (Group, "groups.group", "groups:group_list"),
    "medlemskap": (GroupMembership, "groups.groupmembership", "groups:audit"),
    "relation": (GroupRelation, "groups.grouprelation", "groups:audit"),
}


def _removable(kind):
    from django.http import Http404

    if kind not in REMOVABLE:
        raise Http404
    return REMOVABLE[kind]


@record_permission_required("groups.group")
def record_remove(request, kind, pk):
    model, _record_type, after = _removable(kind)
    record = visible_record(request.user, model, pk, CHANGE)
    form = ConfirmVersionForm(request.POST or None, initial={"version": record.version})
    if request.method == "POST" and form.is_valid():
        try:
            remove_record(request.user, record, form.cleaned_data["version"])
        except EditConflict as conflict:
            return render(
                request,
                "groups/remove.html",
                {"form": form, "record": record, "conflict": conflict},
                status=409,
            )
        messages.success(
            request, _("Posten är borttagen. Ändringen finns kvar i historiken tills den gallras.")
        )
        return redirect(after)
    return render(request, "groups/remove.html", {"form": form, "record": record, "kind": kind})


@require_POST
@record_permission_required("groups.group")
def record_reviewed(request, kind, pk):
    model, _record_type, _after = _removable(kind)
    if model is Group:
        from django.http import Http404

        raise Http404
    record = visible_record(request.user, model, pk, CHANGE)
    form = ConfirmVersionForm(request.POST)
    if form.is_valid():
        try:
            services.confirm_review(request.user, record, form.cleaned_data["version"])
            messages.success(request, _("Omprövningen är registrerad."))
        except EditConflict as conflict:
            messages.error(request, str(conflict))
    return redirect(safe_next(request, reverse("groups:audit")))


# ----- the audit as a whole -----


@record_permission_required("groups.group")
def audit_overview(request):
    user = request.user
    return render(
        request,
        "groups/audit.html",
        {
            "rounds": AuditRound.objects.visible_to(user).prefetch_related("participants")[:20],
            "overdue": selectors.oldest_first(selectors.overdue_entries(user)),
            "deactivated": selectors.oldest_first(selectors.deactivated_entries(user)),
            "may_record_round": may_create(user, AuditRound),
            "today": timezone.localdate(),
        },
    )


@record_permission_required("groups.auditround", CREATE)
def audit_round_create(request):
    membership = services.creating_membership(request.user, AuditRound)
    form = AuditRoundForm(
        request.POST or None, site=membership.site, initial={"held_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        services.record_audit_round(
            request.user,
            form.cleaned_data["held_on"],
            [org.pk for org in form.cleaned_data["participants"]],
            form.cleaned_data["note"],
        )
        messages.success(request, _("Kartläggningsomgången är registrerad."))
        return redirect("groups:audit")
    return render(request, "groups/audit_round_form.html", {"form": form})


@record_permission_required("groups.group")
def audit_as_of(request):
    raw = request.GET.get("datum", "")
    try:
        when = date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        when = None
    context = {"when": when, "raw": raw[:20]}
    if when is not None:
        context.update(selectors.audit_as_of(request.user, when))
    return render(request, "groups/audit_as_of.html", context)


# ----- four eyes: proposed entries -----

DECIDABLE = {"person": Person, "medlemskap": GroupMembership}


@record_permission_required("groups.person")
def entry_queue(request):
    """Proposed entries the user may decide on, each with its basis in view (a logged read)."""
    entries = selectors.entries_to_approve(request.user)
    persons = page_of(request, entries["persons"])
    memberships = list(entries["memberships"][: selectors.ENTRIES_SHOWN])
    log_reads(request.user, [*persons.object_list, *memberships])
    return render(
        request,
        "groups/entry_queue.html",
        {
            "page": persons,
            "memberships": memberships,
            "memberships_total": entries["memberships"].count(),
            "limit": selectors.ENTRIES_SHOWN,
            "approves": selectors.approves_entries(request.user),
        },
    )


@require_POST
@record_permission_required("groups.person")
def entry_decide(request, kind, pk):
    from django.http import Http404

    model = DECIDABLE.get(kind)
    if model is None:
        raise Http404
    entry = (
        selectors.entries_to_approve(request.user)["persons" if model is Person else "memberships"]
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404
    form = (
        EntryRejectForm(request.POST)
        if request.POST.get("beslut") == "avsla"
        else ConfirmVersionForm(request.POST)
    )
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("groups:entry_queue")
    try:
        if isinstance(form, EntryRejectForm):
            services.reject_entry(
                request.user, entry, form.cleaned_data["reason"], form.cleaned_data["version"]
            )
            messages.success(request, _("Registreringen är avslagen. Skälet syns för den som föreslog den."))
        else:
            services.approve_entry(request.user, entry, form.cleaned_data["version"])
            messages.success(request, _("Registreringen är godkänd och räknas nu i kartläggningen."))
    except EditConflict as conflict:
        messages.error(request, str(conflict))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("groups:entry_queue")
