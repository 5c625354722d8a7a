"""The shared web layer: save_form's four outcomes, VersionedModelForm, page_of and the conflict partial.

The groups and meeting pages did not catch a refusal raised by their services (PermissionDenied went
through to the bare 403 page); with save_form they show the form again with the refusal's message."""

import pytest
from django import forms
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from gvi.access.services import EditConflict
from gvi.groups import services as group_services
from gvi.groups.models import Group
from gvi.partnership import services as meeting_services
from gvi.partnership.models import Meeting, Role, Task
from gvi.web.forms import VersionedModelForm, add_errors, save_form
from gvi.web.paging import page_of
from tests.factories import GroupFactory, verified_login
from tests.groups.test_audit_pages import _group_data
from tests.partnership.factories import DecisionFactory, MeetingFactory, TaskFactory


class NoteForm(forms.Form):
    title = forms.CharField()


def _request(path="/sida/"):
    request = RequestFactory().post(path)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


class Recorder:
    """Stands in for render: keeps what save_form would have rendered."""

    def __call__(self, request, template, context, status=200):
        self.template, self.context, self.status = template, context, status
        return HttpResponse(status=status)


def _bound():
    form = NoteForm({"title": "Rubrik"})
    assert form.is_valid()
    return form


def _raise(error):
    def save():
        raise error

    return save


def test_a_saved_form_redirects_to_the_record_with_a_message():
    request, record = _request(), type("Record", (), {"pk": 7})()
    response = save_form(request, _bound(), lambda: record, "t.html", {}, lambda saved: f"/post/{saved.pk}/")
    assert (response.status_code, response.url) == (302, "/post/7/")
    assert [str(m) for m in request._messages] == ["Ändringarna är sparade."]
    assert save_form(_request(), _bound(), lambda: None, "t.html", {}, "/lista/").url == "/lista/"


@pytest.mark.django_db
def test_a_conflict_renders_the_form_with_the_conflict_and_409(world):
    render, form = Recorder(), _bound()
    conflict = EditConflict(GroupFactory(), 1)
    save_form(_request(), form, _raise(conflict), "t.html", {"x": 1}, "/", render=render)
    assert (render.template, render.status) == ("t.html", 409)
    assert render.context == {"x": 1, "form": form, "conflict": conflict}


def test_a_validation_error_lands_on_its_field_or_on_top():
    render, form = Recorder(), _bound()
    error = ValidationError({"title": "För lång.", "other": "Fel någon annanstans."})
    save_form(_request(), form, _raise(error), "t.html", {}, "/", render=render)
    assert render.status == 200 and render.context["form"] is form
    assert form.errors["title"] == ["För lång."] and form.non_field_errors() == ["Fel någon annanstans."]
    plain = _bound()
    add_errors(plain, ValidationError("Mötet är avslutat."))
    assert plain.non_field_errors() == ["Mötet är avslutat."]


def test_a_refusal_renders_the_form_with_the_message_and_403():
    render, form = Recorder(), _bound()
    save_form(_request(), form, _raise(PermissionDenied("Du får inte.")), "t.html", {}, "/", render=render)
    assert render.status == 403 and form.non_field_errors() == ["Du får inte."]


@pytest.mark.django_db
def test_a_refused_group_edit_shows_the_form_with_the_refusal(world, monkeypatch):
    analyst = verified_login(Client(), world.users[Role.ANALYST])
    data = _group_data()
    assert analyst.post(reverse("groups:group_create"), data).status_code == 302
    group = Group.unscoped_all_sites.get(name="Testgruppen")

    def refuse(*args, **kwargs):
        raise PermissionDenied("Du får inte ändra den här posten.")

    monkeypatch.setattr(group_services, "update_group", refuse)
    response = analyst.post(
        reverse("groups:group_edit", args=[group.pk]), {**data, "name": "Nytt namn", "version": 1}
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "Du får inte ändra den här posten." in html and 'value="Nytt namn"' in html  # the form, kept
    group.refresh_from_db()
    assert group.name == "Testgruppen"


@pytest.mark.django_db
def test_a_refused_task_edit_shows_the_form_with_the_refusal(world, monkeypatch):
    meeting = MeetingFactory(site=world.site_a, status=Meeting.Status.HELD)
    task = TaskFactory(
        decision=DecisionFactory(meeting=meeting),
        owner=world.orgs[("a", "police")],
        responsible=world.users[Role.ANALYST],
    )
    client = verified_login(Client(), world.users[Role.ANALYST])

    def refuse(*args, **kwargs):
        raise PermissionDenied("Du får inte ändra den här uppgiften.")

    monkeypatch.setattr(meeting_services, "update_task", refuse)
    form = {
        "title": "Ny rubrik",
        "owner": task.owner_id,
        "responsible": world.users[Role.ANALYST].pk,
        "due_date": task.due_date.isoformat(),
        "status": "in_progress",
        "version": 1,
    }
    response = client.post(reverse("meetings:task_edit", args=[task.pk]), form)
    html = response.content.decode()
    assert response.status_code == 403
    assert "Du får inte ändra den här uppgiften." in html and 'value="Ny rubrik"' in html
    task.refresh_from_db()
    assert task.title != "Ny rubrik" and task.status != Task.Status.IN_PROGRESS


class TaskTitleForm(VersionedModelForm):
    m2m_names = ("title",)

    class Meta:
        model = Task
        fields = ["title", "note"]


@pytest.mark.django_db
def test_versioned_form_carries_the_version_and_leaves_m2m_names_out(world):
    task = TaskFactory(
        decision=DecisionFactory(meeting=MeetingFactory(site=world.site_a)), owner=world.orgs[("a", "police")]
    )
    assert TaskTitleForm(instance=task).initial["version"] == task.version
    missing = TaskTitleForm({"title": "T", "note": "N"}, instance=task)
    assert not missing.is_valid() and "version" in missing.errors
    bound = TaskTitleForm({"title": "T", "note": "N", "version": task.version}, instance=task)
    assert bound.is_valid() and bound.changes() == {"note": "N"}


@pytest.mark.django_db
@override_settings(GVI_PAGE_SIZE=3)
def test_page_of_uses_the_configured_page_size(world):
    groups = Group.unscoped_all_sites.order_by("pk")
    request = RequestFactory().get("/", {"sida": "2"})
    page = page_of(request, groups)
    assert page.paginator.per_page == 3 and page.number == min(2, page.paginator.num_pages)
    assert page_of(request, groups, 2).paginator.per_page == 2


@pytest.mark.django_db
def test_the_conflict_partial_links_to_the_latest_version(world):
    request = RequestFactory().get("/grupper/4/andra/")
    conflict = EditConflict(GroupFactory(), 1)
    html = render_to_string("includes/_conflict.html", {"conflict": conflict, "request": request})
    assert 'role="alert"' in html and 'href="/grupper/4/andra/"' in html
    html = render_to_string(
        "includes/_conflict.html", {"conflict": conflict, "request": request, "reopen_url": "/moten/1/"}
    )
    assert 'href="/moten/1/"' in html
    assert render_to_string("includes/_conflict.html", {"request": request}).strip() == ""
