from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gvi.access.decorators import record_permission_required
from gvi.access.forms import DisclosureForm
from gvi.access.models import Disclosure
from gvi.access.permissions import CHANGE, DISCLOSE
from gvi.access.selectors import access_log_for_record, read_record, visible_record
from gvi.access.services import DisclosureRequest, EditConflict, disclose, granting_membership
from gvi.groups import selectors
from gvi.groups.forms import PersonForm
from gvi.groups.models import Group, Person
from gvi.groups.services import update_person


def _page(request, queryset):
    return Paginator(queryset, 50).get_page(request.GET.get("sida"))


@record_permission_required("groups.person")
def person_list(request):
    query = request.GET.get("q", "")[:100]
    return render(
        request,
        "groups/person_list.html",
        {"page": _page(request, selectors.persons_for(request.user, query)), "q": query},
    )


@record_permission_required("groups.person")
def person_detail(request, pk):
    person = read_record(request.user, Person, pk)
    return render(
        request,
        "groups/person_detail.html",
        {
            "person": person,
            "memberships": selectors.memberships_of_person(request.user, person),
            "may_change": granting_membership(request.user, person, CHANGE) is not None,
            "may_disclose": granting_membership(request.user, person, DISCLOSE) is not None,
            "disclosures": Disclosure.objects.filter(content_type__model="person", object_id=person.pk)
            .filter(from_organisation_id=person.owner_id)
            .select_related("to_organisation"),
            "history": person.history.select_related("history_user")[:20],
            "reads": access_log_for_record(person)
            if granting_membership(request.user, person, DISCLOSE)
            else [],
        },
    )


@record_permission_required("groups.person", CHANGE)
def person_edit(request, pk):
    person = visible_record(request.user, Person, pk, CHANGE)
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        changes = {field: form.cleaned_data[field] for field in form.Meta.fields}
        try:
            with transaction.atomic():
                update_person(request.user, person, changes, form.cleaned_data["version"])
        except EditConflict as conflict:
            current = Person.objects.get(pk=person.pk)
            return render(
                request,
                "groups/person_edit.html",
                {"form": form, "person": current, "conflict": conflict, "current": current},
                status=409,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Ändringarna är sparade."))
            return redirect("groups:person_detail", pk=person.pk)
    return render(request, "groups/person_edit.html", {"form": form, "person": person})


@record_permission_required("groups.person", DISCLOSE)
def person_disclose(request, pk):
    person = visible_record(request.user, Person, pk, DISCLOSE)
    form = DisclosureForm(request.POST or None, owner_id=person.owner_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        disclose(
            request.user,
            person,
            DisclosureRequest(
                to_organisation_id=data["to_organisation"].pk,
                legal_ground=data["legal_ground"],
                legal_ground_text=data["legal_ground_text"],
                purpose=data["purpose"],
                expires_at=data["expires_at"],
            ),
        )
        messages.success(request, _("Utlämnandet är registrerat."))
        return redirect("groups:person_detail", pk=person.pk)
    return render(request, "groups/person_disclose.html", {"form": form, "person": person})


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
        {"page": _page(request, groups), "q": query, "status": status, "statuses": Group.Status.choices},
    )


@record_permission_required("groups.group")
def group_detail(request, pk):
    group = read_record(request.user, Group, pk)
    return render(
        request,
        "groups/group_detail.html",
        {
            "group": group,
            "memberships": selectors.memberships_of_group(request.user, group),
            "relations": selectors.relations_of_group(request.user, group),
        },
    )
