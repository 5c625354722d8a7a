"""Decisions become tasks; tasks are followed up: overdue flagged, done stamped, stale edits refused."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from gvi.access.services import EditConflict
from gvi.partnership import selectors, services
from gvi.partnership.models import Decision, Meeting, Role, Task
from tests.factories import GroupFactory, MembershipFactory, UserFactory, verified_login
from tests.partnership.factories import AgendaItemFactory, DecisionFactory, MeetingFactory, TaskFactory

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - timedelta(days=1)


def _held(world, site=None):
    return MeetingFactory(site=site or world.site_a, status=Meeting.Status.HELD)


def _org(world, kind, slug="a"):
    return world.orgs[(slug, kind)]


# ----- decisions and tasks -----


@pytest.mark.django_db
def test_decision_then_task_through_the_pages(client, world):
    meeting = _held(world)
    item = AgendaItemFactory(meeting=meeting, title="Skjutning i Centrum")
    verified_login(client, world.users[Role.COORDINATOR])
    form = client.get(reverse("meetings:decision_create", args=[meeting.pk]) + f"?punkt={item.pk}")
    assert form.context["form"].initial["agenda_item"] == item.pk
    response = client.post(
        reverse("meetings:decision_create", args=[meeting.pk]),
        {
            "agenda_item": item.pk,
            "text": "Frivården skärper villkoren för gruppens medlemmar.",
            "och_uppgift": "1",
        },
    )
    decision = Decision.objects.get(meeting=meeting)
    assert decision.agenda_item == item and decision.decided_by == world.users[Role.COORDINATOR]
    assert response["Location"] == reverse("meetings:task_create", args=[decision.pk])
    page = client.get(response["Location"]).content.decode()
    assert "<optgroup" in page  # responsible persons grouped by organisation
    group = GroupFactory(site=world.site_a, owner=_org(world, "police"))
    response = client.post(
        response["Location"],
        {
            "title": "Skärpta villkor vid nästa besök",
            "owner": _org(world, "probation").pk,
            "responsible": world.users[Role.PROBATION_OFFICER].pk,
            "due_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
            "group": group.pk,
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(decision=decision)
    assert (task.decision, task.site, task.owner, task.group) == (
        decision,
        world.site_a,
        _org(world, "probation"),
        group,
    )
    assert task.status == Task.Status.OPEN and task.version == 1 and task.history.count() == 1
    detail = client.get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()
    assert "Skärpta villkor vid nästa besök" in detail and f'id="beslut-{decision.pk}"' in detail


@pytest.mark.django_db
def test_responsible_user_must_belong_to_the_owner_organisation_at_the_site(world):
    decision = DecisionFactory(meeting=_held(world))
    coordinator = world.users[Role.COORDINATOR]
    data = {"title": "Hembesök", "owner": _org(world, "police"), "due_date": timezone.localdate()}
    # The coordinator works for the municipality, not the police.
    with pytest.raises(ValidationError) as error:
        services.create_task(coordinator, decision, {**data, "responsible": coordinator})
    assert "responsible" in error.value.message_dict
    assert "aktiv medlem i den ansvariga organisationen" in error.value.message_dict["responsible"][0]
    # A police officer at the other site is not a member at this site.
    elsewhere = UserFactory()
    MembershipFactory(
        user=elsewhere, organisation=_org(world, "police"), site=world.site_b, role=Role.ANALYST
    )
    with pytest.raises(ValidationError):
        services.create_task(coordinator, decision, {**data, "responsible": elsewhere})
    # An inactive membership does not count.
    leaver = UserFactory()
    MembershipFactory(
        user=leaver, organisation=_org(world, "police"), site=world.site_a, role=Role.ANALYST, is_active=False
    )
    with pytest.raises(ValidationError):
        services.create_task(coordinator, decision, {**data, "responsible": leaver})
    with pytest.raises(ValidationError) as error:
        services.create_task(coordinator, decision, {**data, "responsible": None})
    assert error.value.message_dict["responsible"] == ["Välj en ansvarig person."]
    task = services.create_task(coordinator, decision, {**data, "responsible": world.users[Role.ANALYST]})
    assert task.responsible == world.users[Role.ANALYST]
    assert not Task.objects.filter(decision=decision).exclude(pk=task.pk).exists()


@pytest.mark.django_db
def test_task_form_shows_the_membership_error_in_swedish(client, world):
    decision = DecisionFactory(meeting=_held(world))
    verified_login(client, world.users[Role.ANALYST])
    response = client.post(
        reverse("meetings:task_create", args=[decision.pk]),
        {
            "title": "Kontroll",
            "owner": _org(world, "police").pk,
            "responsible": world.users[Role.CASEWORKER].pk,  # municipality
            "due_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200 and not Task.objects.filter(decision=decision).exists()
    assert "Den ansvariga måste vara aktiv medlem i den ansvariga organisationen på platsen." in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_owner_must_be_a_partner_at_the_site_and_group_at_the_same_site(world):
    decision = DecisionFactory(meeting=_held(world))
    analyst = world.users[Role.ANALYST]
    with pytest.raises(ValidationError) as error:
        services.create_task(
            analyst,
            decision,
            {
                "title": "X",
                "owner": _org(world, "police", "b"),
                "responsible": analyst,
                "due_date": timezone.localdate(),
                "group": GroupFactory(site=world.site_b, owner=_org(world, "police", "b")),
            },
        )
    assert {"owner", "group", "responsible"} <= set(error.value.message_dict)


@pytest.mark.django_db
def test_decisions_need_an_open_meeting_and_a_runner(world):
    coordinator = world.users[Role.COORDINATOR]
    planned = MeetingFactory(site=world.site_a)
    with pytest.raises(ValidationError):
        services.record_decision(coordinator, planned, "För tidigt")
    held = _held(world)
    with pytest.raises(PermissionDenied):
        services.record_decision(world.users[Role.CASEWORKER], held, "Fel roll")
    with pytest.raises(ValidationError):
        services.record_decision(coordinator, held, "   ")
    other = AgendaItemFactory(meeting=planned)
    with pytest.raises(ValidationError):
        services.record_decision(coordinator, held, "Fel punkt", agenda_item=other)
    assert services.record_decision(coordinator, held, "Rätt").meeting == held


# ----- follow-up -----


@pytest.mark.django_db
def test_task_list_shows_my_tasks_and_flags_overdue(client, world):
    decision = DecisionFactory(meeting=_held(world))
    probation = world.users[Role.PROBATION_OFFICER]
    mine = TaskFactory(
        decision=decision,
        owner=_org(world, "probation"),
        responsible=probation,
        due_date=YESTERDAY,
        title="Min sena",
    )
    TaskFactory(decision=decision, owner=_org(world, "police"), title="Polisens uppgift")
    TaskFactory(decision=None, site=world.site_b, owner=_org(world, "police", "b"), title="Annan ort")
    verified_login(client, probation)
    response = client.get(reverse("meetings:task_list"))
    html = response.content.decode()
    assert response.context["mine"] == [mine]
    assert "Mina uppgifter" in html and "Min sena" in html and "Polisens uppgift" in html
    assert "Annan ort" not in html
    assert 'class="task-overdue"' in html and "försenad" in html
    assert mine.is_overdue
    done = client.get(reverse("meetings:task_list") + "?status=done")
    assert list(done.context["page"].object_list) == []


@pytest.mark.django_db
def test_done_sets_done_at_and_reopening_clears_it(client, world):
    task = TaskFactory(
        decision=DecisionFactory(meeting=_held(world)),
        owner=_org(world, "probation"),
        responsible=world.users[Role.PROBATION_OFFICER],
        due_date=YESTERDAY,
    )
    verified_login(client, world.users[Role.PROBATION_OFFICER])
    edit = client.get(reverse("meetings:task_edit", args=[task.pk])).content.decode()
    assert 'data-confirm="Avbryta uppgiften?' in edit  # cancelling asks first
    url = reverse("meetings:task_status", args=[task.pk])
    assert client.post(url, {"status": "done", "version": 1}).status_code == 302
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.done_at is not None and not task.is_overdue
    assert task.history.first().history_user == world.users[Role.PROBATION_OFFICER]
    client.post(url, {"status": "open", "version": 2})
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN and task.done_at is None and task.version == 3
    bad = client.post(url, {"status": "bortglömd", "version": 3})
    assert bad.status_code == 302
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN


@pytest.mark.django_db
def test_stale_task_edit_and_status_change_get_409(client, world):
    task = TaskFactory(
        decision=DecisionFactory(meeting=_held(world)),
        owner=_org(world, "police"),
        responsible=world.users[Role.ANALYST],
    )
    verified_login(client, world.users[Role.ANALYST])
    form = {
        "title": "Ny rubrik",
        "owner": task.owner_id,
        "responsible": world.users[Role.ANALYST].pk,
        "due_date": task.due_date.isoformat(),
        "status": "in_progress",
        "version": 1,
    }
    assert client.post(reverse("meetings:task_edit", args=[task.pk]), form).status_code == 302
    stale = client.post(reverse("meetings:task_edit", args=[task.pk]), {**form, "title": "Krock"})
    assert stale.status_code == 409 and "Konflikt" in stale.content.decode()
    stale_status = client.post(
        reverse("meetings:task_status", args=[task.pk]), {"status": "done", "version": 1}
    )
    assert stale_status.status_code == 409 and "Ändringen sparades inte" in stale_status.content.decode()
    task.refresh_from_db()
    assert (task.title, task.status, task.version) == ("Ny rubrik", Task.Status.IN_PROGRESS, 2)
    with pytest.raises(EditConflict):
        services.set_task_status(world.users[Role.ANALYST], task, Task.Status.DONE, expected_version=1)


@pytest.mark.django_db
def test_reassigning_checks_membership_but_a_leaver_does_not_block_closing(world):
    analyst = world.users[Role.ANALYST]
    colleague = UserFactory()
    membership = MembershipFactory(
        user=colleague, organisation=_org(world, "police"), site=world.site_a, role=Role.ANALYST
    )
    task = services.create_task(
        analyst,
        DecisionFactory(meeting=_held(world)),
        {"title": "X", "owner": _org(world, "police"), "responsible": colleague, "due_date": YESTERDAY},
    )
    membership.is_active = False
    membership.save()
    services.set_task_status(analyst, task, Task.Status.DONE, expected_version=1)
    with pytest.raises(ValidationError):
        services.update_task(analyst, task, {"responsible": world.users[Role.CASEWORKER]}, expected_version=2)


@pytest.mark.django_db
def test_who_may_change_a_task(world):
    task = TaskFactory(decision=DecisionFactory(meeting=_held(world)), owner=_org(world, "community"))
    may = {role: selectors.may_change_task(user, task) for role, user in world.users.items()}
    assert may == {
        Role.COORDINATOR: True,
        Role.ANALYST: True,
        Role.CASEWORKER: False,
        Role.PROBATION_OFFICER: False,
        Role.COMMUNITY_PARTNER: True,  # the owning organisation's member
        Role.STEERING_MEMBER: False,
        Role.NATIONAL_ANALYST: False,
        Role.ADMINISTRATOR: False,
        Role.DATA_PROTECTION_OFFICER: False,
    }
    with pytest.raises(PermissionDenied):
        services.set_task_status(world.users[Role.CASEWORKER], task, Task.Status.DONE, 1)


@pytest.mark.django_db
def test_a_community_partner_does_not_see_the_group_of_a_task(client, world):
    group = GroupFactory(site=world.site_a, owner=_org(world, "police"), name="Hemliga gruppen")
    task = TaskFactory(
        decision=DecisionFactory(meeting=_held(world)),
        owner=_org(world, "community"),
        responsible=world.users[Role.COMMUNITY_PARTNER],
        group=group,
    )
    verified_login(client, world.users[Role.COMMUNITY_PARTNER])
    assert "Hemliga gruppen" not in client.get(reverse("meetings:task_list")).content.decode()
    edit = client.get(reverse("meetings:task_edit", args=[task.pk]))
    assert "Hemliga gruppen" not in edit.content.decode() and "group" not in edit.context["form"].fields
    client.post(
        reverse("meetings:task_edit", args=[task.pk]),
        {
            "title": "Samtal med föräldrar",
            "owner": task.owner_id,
            "responsible": world.users[Role.COMMUNITY_PARTNER].pk,
            "due_date": task.due_date.isoformat(),
            "status": "in_progress",
            "version": 1,
        },
    )
    task.refresh_from_db()
    assert task.title == "Samtal med föräldrar" and task.group == group  # kept, not cleared


# ----- overdue tasks on start pages -----


@pytest.mark.django_db
def test_overdue_tasks_for_start_pages(world):
    decision = DecisionFactory(meeting=_held(world))
    police_task = TaskFactory(decision=decision, owner=_org(world, "police"), due_date=YESTERDAY)
    community_task = TaskFactory(
        decision=decision,
        owner=_org(world, "community"),
        responsible=world.users[Role.COMMUNITY_PARTNER],
        due_date=YESTERDAY,
    )
    TaskFactory(decision=decision, owner=_org(world, "police"), due_date=YESTERDAY, status=Task.Status.DONE)
    TaskFactory(decision=decision, owner=_org(world, "police"))  # not due yet
    TaskFactory(decision=None, site=world.site_b, owner=_org(world, "police", "b"), due_date=YESTERDAY)
    overdue = {role: list(selectors.overdue_tasks_for(user)) for role, user in world.users.items()}
    assert overdue[Role.COORDINATOR] == [police_task, community_task]  # the whole site
    assert overdue[Role.ANALYST] == [police_task]  # own organisation
    assert overdue[Role.COMMUNITY_PARTNER] == [community_task]
    assert overdue[Role.CASEWORKER] == [] and overdue[Role.NATIONAL_ANALYST] == []
    html = render_to_string("meetings/_overdue_tasks.html", {"overdue_tasks": overdue[Role.COORDINATOR]})
    assert "Försenade uppgifter" in html and police_task.title in html and "försenad" in html
    assert reverse("meetings:task_edit", args=[police_task.pk]) in html
    assert "Inga försenade uppgifter." in render_to_string(
        "meetings/_overdue_tasks.html", {"overdue_tasks": []}
    )
    assert render_to_string("meetings/_overdue_tasks.html", {}).strip() == ""


def _my_tasks_section(client, user) -> str:
    html = verified_login(client, user).get(reverse("partnership:home")).content.decode()
    if 'class="my-tasks"' not in html:
        return ""
    return html[html.index('class="my-tasks"') :].split("</section>")[0]


@pytest.mark.django_db
def test_start_page_shows_my_tasks_before_they_are_overdue(client, world):
    """A task assigned to someone is on their start page from the day it is assigned: later ones with
    their date, those due within a week marked soon, overdue ones marked late; others' tasks are not."""
    today = timezone.localdate()
    decision = DecisionFactory(meeting=_held(world))
    caseworker = world.users[Role.CASEWORKER]
    social = caseworker.memberships.active().get(site=world.site_a).organisation
    later = TaskFactory(
        decision=decision, owner=social, responsible=caseworker, due_date=today + timedelta(days=20)
    )
    soon = TaskFactory(decision=decision, owner=social, responsible=caseworker, due_date=today)
    late = TaskFactory(decision=decision, owner=social, responsible=caseworker, due_date=YESTERDAY)
    TaskFactory(decision=decision, owner=social, responsible=caseworker, status=Task.Status.DONE)
    others = TaskFactory(decision=decision, owner=_org(world, "police"))
    section = _my_tasks_section(client, caseworker)
    assert "Mina uppgifter" in section
    assert section.index(late.title) < section.index(soon.title) < section.index(later.title)
    rows = {task: section.split(task.title)[1].split("</li>")[0] for task in (later, soon, late)}
    assert "försenad" in rows[late] and "snart" in rows[soon]
    assert "försenad" not in rows[later] and "snart" not in rows[later]
    assert (today + timedelta(days=20)).isoformat() in rows[later]
    assert others.title not in section and reverse("meetings:task_edit", args=[later.pk]) in section
    # Someone with no task assigned gets the empty state; a role that can have no tasks no section.
    assert "Inga uppgifter är tilldelade dig." in _my_tasks_section(client, world.users[Role.ANALYST])
    assert _my_tasks_section(client, world.users[Role.NATIONAL_ANALYST]) == ""


@pytest.mark.django_db
def test_closed_meetings_take_no_new_tasks(client, world):
    decision = DecisionFactory(meeting=MeetingFactory(site=world.site_a, status=Meeting.Status.CLOSED))
    verified_login(client, world.users[Role.COORDINATOR])
    assert client.get(reverse("meetings:task_create", args=[decision.pk])).status_code == 302
    with pytest.raises(ValidationError):
        services.create_task(
            world.users[Role.COORDINATOR],
            decision,
            {"title": "Sent", "owner": _org(world, "police"), "responsible": world.users[Role.ANALYST]},
        )
