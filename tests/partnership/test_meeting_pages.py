"""Meeting pages: list, create, the meeting page, meeting mode and the minutes PDF."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gvi.partnership.minutes_pdf import build_minutes_pdf, pdf_safe
from gvi.partnership.models import AgendaItem, Meeting, Role, Task
from tests.factories import IncidentFactory, UserFactory, verified_login
from tests.partnership.factories import AgendaItemFactory, DecisionFactory, MeetingFactory, TaskFactory
from tests.partnership.pdf_text import pdf_strings, pdf_text

pytestmark = pytest.mark.django_db


def assert_csp_clean(html: str) -> None:
    """No inline script, no inline style, no event-handler attributes (strict CSP)."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert "<style" not in html and not re.search(r"\sstyle=", html), "inline style"
    assert not re.search(r"\son[a-z]+=", html), "event handler attribute"


def _login(client, world, role=Role.COORDINATOR):
    return verified_login(client, world.users[role])


# ----- list and create -----


@pytest.mark.django_db
def test_list_shows_empty_states(client, world):
    Meeting.objects.all().delete()  # start from a site without meetings
    html = _login(client, world).get(reverse("meetings:meeting_list")).content.decode()
    assert "Inga planerade möten." in html and "Inga genomförda möten ännu." in html
    assert_csp_clean(html)


@pytest.mark.django_db
def test_list_splits_upcoming_and_held_and_paginates(client, world):
    upcoming = MeetingFactory(site=world.site_a, starts_at=timezone.now() + timedelta(days=2))
    held = [
        MeetingFactory(
            site=world.site_a, status=Meeting.Status.HELD, starts_at=timezone.now() - timedelta(days=i)
        )
        for i in range(1, 23)
    ]
    MeetingFactory(site=world.site_b, starts_at=timezone.now() + timedelta(days=1))
    response = _login(client, world, Role.CASEWORKER).get(reverse("meetings:meeting_list"))
    html = response.content.decode()
    assert reverse("meetings:meeting_detail", args=[upcoming.pk]) in html
    assert reverse("meetings:meeting_detail", args=[held[0].pk]) in html
    assert reverse("meetings:meeting_detail", args=[held[-1].pk]) not in html  # on page 2
    assert "Sida 1 av 2" in html and "sida=2" in html
    assert upcoming in response.context["upcoming"]
    assert all(m.site_id == world.site_a.pk for m in response.context["upcoming"])  # not the other site
    page_two = client.get(reverse("meetings:meeting_list") + "?sida=2").content.decode()
    assert reverse("meetings:meeting_detail", args=[held[-1].pk]) in page_two


@pytest.mark.django_db
def test_coordinator_creates_a_meeting(client, world):
    _login(client, world)
    page = client.get(reverse("meetings:meeting_create"))
    assert page.status_code == 200
    html = page.content.decode()
    assert_csp_clean(html)
    assert "<legend>Deltagande organisationer" in html
    orgs = [world.orgs[("a", "police")].pk, world.orgs[("a", "municipality")].pk]
    response = client.post(
        reverse("meetings:meeting_create"),
        {
            "plats": world.site_a.pk,
            "type": Meeting.Type.WEEKLY_REVIEW,
            "starts_at": "2030-03-04T09:00",
            "place": "Stadshuset, sal Åsen",
            "chair": world.users[Role.COORDINATOR].pk,
            "participants": orgs,
            "attendees": "Åsa Öberg\nPer Ärlig",
        },
    )
    meeting = Meeting.objects.get(created_by=world.users[Role.COORDINATOR])
    assert response.status_code == 302 and response["Location"] == reverse(
        "meetings:meeting_detail", args=[meeting.pk]
    )
    assert meeting.site == world.site_a and meeting.created_by == world.users[Role.COORDINATOR]
    assert sorted(meeting.participants.values_list("pk", flat=True)) == sorted(orgs)
    assert meeting.version == 1
    assert meeting.history.first().participants.count() == 2  # participants are versioned too


@pytest.mark.django_db
def test_chair_must_work_at_the_site_and_participants_be_partners_there(client, world):
    _login(client, world)
    stranger = UserFactory()
    response = client.post(
        reverse("meetings:meeting_create"),
        {
            "type": Meeting.Type.WEEKLY_REVIEW,
            "starts_at": "2030-03-04T09:00",
            "chair": stranger.pk,
            "participants": [world.orgs[("b", "police")].pk],
        },
    )
    assert response.status_code == 200 and not Meeting.objects.filter(
        created_by=world.users[Role.COORDINATOR]
    )
    errors = response.context["form"].errors
    assert "chair" in errors and "participants" in errors


@pytest.mark.django_db
def test_a_stale_meeting_edit_is_a_conflict(client, world):
    meeting = MeetingFactory(site=world.site_a, chair=world.users[Role.COORDINATOR])
    _login(client, world, Role.ANALYST)
    data = {
        "starts_at": "2030-03-04T10:00",
        "place": "Nytt rum",
        "chair": world.users[Role.COORDINATOR].pk,
        "version": 1,
    }
    assert client.post(reverse("meetings:meeting_edit", args=[meeting.pk]), data).status_code == 302
    stale = client.post(reverse("meetings:meeting_edit", args=[meeting.pk]), {**data, "place": "Annat rum"})
    assert stale.status_code == 409 and "Konflikt" in stale.content.decode()
    meeting.refresh_from_db()
    assert (meeting.place, meeting.version) == ("Nytt rum", 2)


# ----- the meeting page, opening and closing -----


@pytest.mark.django_db
def test_meeting_page_generates_the_agenda_then_opens_and_closes(client, world, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "gvi.incidents.risk", None)
    meeting = MeetingFactory(site=world.site_a, starts_at=timezone.now())
    IncidentFactory(
        site=world.site_a, owner=world.orgs[("a", "police")], occurred_at=timezone.now() - timedelta(hours=1)
    )
    _login(client, world)
    url = reverse("meetings:meeting_detail", args=[meeting.pk])
    html = client.get(url).content.decode()
    assert "Skapa dagordning" in html and "Ingen dagordning ännu" in html
    assert_csp_clean(html)
    client.post(reverse("meetings:agenda_refresh", args=[meeting.pk]))
    html = client.get(url).content.decode()
    assert "Uppdatera dagordningen" in html and "Skjutning" in html  # the world's incidents, 3 days ago
    assert "Öppna mötet" in html
    response = client.post(
        reverse("meetings:meeting_status", args=[meeting.pk]), {"status": "held", "version": 1}
    )
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "Uppdatera dagordningen" not in html and "Registrera beslut" in html
    assert "Genomfört" not in html and '<span class="meeting-status status-held">Pågår' in html.replace(
        "\n", ""
    )
    assert 'data-confirm="Avsluta mötet?' in html  # closing asks first
    stale = client.post(
        reverse("meetings:meeting_status", args=[meeting.pk]), {"status": "closed", "version": 1}
    )
    assert stale.status_code == 409
    client.post(reverse("meetings:meeting_status", args=[meeting.pk]), {"status": "closed", "version": 2})
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED
    html = client.get(url).content.decode()
    assert "Registrera beslut" not in html and "Ändra mötet" not in html
    assert client.get(reverse("meetings:decision_create", args=[meeting.pk])).status_code == 302


@pytest.mark.django_db
def test_agenda_points_are_labelled_by_what_they_are(client, world):
    """A risk point for one group is not a conflict; a proposal awaiting decision is not an episode under
    way (on the meeting page, in meeting mode and in the minutes)."""
    meeting = MeetingFactory(site=world.site_a, starts_at=timezone.now())
    kinds = AgendaItem.Kind
    one = AgendaItemFactory(meeting=meeting, kind=kinds.RISK, data={"groups": [{"id": 1, "name": "A"}]})
    two = AgendaItemFactory(
        meeting=meeting, kind=kinds.RISK, data={"groups": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]}
    )
    proposed = AgendaItemFactory(meeting=meeting, kind=kinds.SANCTION, data={"state": "proposed"})
    running = AgendaItemFactory(meeting=meeting, kind=kinds.SANCTION, data={"state": "open"})
    assert one.kind_label == "Grupp med förhöjd risk" and two.kind_label == "Konflikt med förhöjd risk"
    assert proposed.kind_label == "Föreslagen sanktionsepisod – väntar på beslut"
    assert running.kind_label == "Pågående sanktionsepisod"
    _login(client, world)
    html = client.get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()
    assert html.count("Grupp med förhöjd risk") == 1 and html.count("Konflikt med förhöjd risk") == 1
    assert "Föreslagen sanktionsepisod – väntar på beslut" in html
    assert html.count("Pågående sanktionsepisod") == 1
    mode = reverse("meetings:meeting_mode", args=[meeting.pk])
    labels = [
        re.search(r'<p class="mode-kind">([^<]*)</p>', client.get(mode, {"punkt": n}).content.decode())[1]
        for n in range(1, 5)
    ]
    assert labels == [item.kind_label for item in (one, two, proposed, running)]
    text = pdf_text(_build(meeting, compress=False, invariant=True))
    assert "Grupp med förhöjd risk" in text and "väntar på beslut" in text


@pytest.mark.django_db
def test_manual_agenda_item_needs_a_title(client, world):
    meeting = MeetingFactory(site=world.site_a)
    _login(client, world)
    response = client.post(reverse("meetings:agenda_item_create", args=[meeting.pk]), {"title": ""})
    assert response.status_code == 200 and not meeting.agenda_items.exists()
    client.post(reverse("meetings:agenda_item_create", args=[meeting.pk]), {"title": "Stormöte i maj"})
    assert meeting.agenda_items.get().kind == AgendaItem.Kind.MANUAL


# ----- meeting mode -----


@pytest.mark.django_db
def test_meeting_mode_shows_one_item_per_screen_with_navigation(client, world):
    meeting = MeetingFactory(site=world.site_a, status=Meeting.Status.HELD)
    items = [AgendaItemFactory(meeting=meeting, order=i, title=f"Punkt nummer {i}") for i in (1, 2, 3)]
    DecisionFactory(meeting=meeting, agenda_item=items[1], text="Beslut om återkoppling")
    _login(client, world, Role.PROBATION_OFFICER)
    url = reverse("meetings:meeting_mode", args=[meeting.pk])

    first = client.get(url).content.decode()
    assert "Punkt nummer 1" in first and "Punkt nummer 2" not in first
    assert "1 / 3" in first and 'id="previous-item"' not in first
    assert 'id="next-item" rel="next" class="button" href="?punkt=2"' in first

    middle = client.get(url + "?punkt=2").content.decode()
    assert "2 / 3" in middle and "Punkt 2 av 3" in middle and "Beslut om återkoppling" in middle
    assert 'href="?punkt=1"' in middle and 'href="?punkt=3"' in middle
    assert 'id="leave-mode"' in middle

    last = client.get(url + "?punkt=3").content.decode()
    assert "3 / 3" in last and 'id="next-item"' not in last

    assert "3 / 3" in client.get(url + "?punkt=99").content.decode()
    assert "1 / 3" in client.get(url + "?punkt=x").content.decode()
    assert "gvi/meeting.js" in middle and "gvi/meeting.css" in middle and "data-meeting-mode" in middle
    assert_csp_clean(middle)


@pytest.mark.django_db
def test_meeting_mode_with_an_empty_agenda(client, world):
    meeting = MeetingFactory(site=world.site_a)
    html = _login(client, world).get(reverse("meetings:meeting_mode", args=[meeting.pk])).content.decode()
    assert "Dagordningen är tom." in html and "mode-progress" not in html and 'id="next-item"' not in html


def test_meeting_js_handles_arrow_keys_without_inline_code():
    from pathlib import Path

    import gvi

    script = (Path(gvi.__file__).parent / "static/gvi/meeting.js").read_text()
    for needle in ("ArrowRight", "ArrowLeft", "Escape", "next-item", "previous-item", "leave-mode"):
        assert needle in script


# ----- minutes PDF -----


def _minutes_world(world):
    site = world.site_a
    site.name = "Östra Göinge"
    site.save()
    coordinator = world.users[Role.COORDINATOR]
    coordinator.first_name, coordinator.last_name = "Åsa", "Öberg"
    coordinator.save()
    meeting = MeetingFactory(
        site=site,
        status=Meeting.Status.HELD,
        starts_at=timezone.make_aware(timezone.datetime(2030, 3, 4, 9, 0)),
        place="Kommunhuset, sal Älgen",
        chair=coordinator,
        attendees="Åsa Öberg\nŁukasz Kowalski",
        notes="Nästa möte hålls på fredag.",
    )
    meeting.participants.set([world.orgs[("a", "police")], world.orgs[("a", "probation")]])
    item = AgendaItemFactory(
        meeting=meeting, order=1, title="Skjutning vid Åbyskolan", summary="Två skadade."
    )
    decision = DecisionFactory(
        meeting=meeting, agenda_item=item, text="Frivården skärper kontrollen (ökat fokus)."
    )
    TaskFactory(
        decision=decision,
        site=site,
        owner=world.orgs[("a", "probation")],
        responsible=world.users[Role.PROBATION_OFFICER],
        title="Återkoppla till gruppen",
        due_date=timezone.datetime(2030, 3, 11).date(),
    )
    return meeting


def _build(meeting, **options):
    from gvi.partnership import selectors

    return build_minutes_pdf(
        meeting,
        items=selectors.agenda_of(meeting),
        decisions=selectors.decisions_of(meeting),
        tasks=selectors.tasks_of_meeting(meeting),
        participants=meeting.participants.order_by("name"),
        **options,
    )


@pytest.mark.django_db
def test_minutes_contain_site_date_participants_agenda_decisions_and_tasks(world):
    meeting = _minutes_world(world)
    pdf = _build(meeting, compress=False, invariant=True)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 2000
    text = pdf_text(pdf)
    for expected in (
        "Protokoll",
        "Östra Göinge",
        "2030-03-04 09:00",
        "Kommunhuset, sal Älgen",
        "Åsa Öberg",
        "Lukasz Kowalski",  # outside WinAnsi: shown without the stroke, never as an empty box
        "police a, probation a",
        "1. Skjutning vid Åbyskolan",
        "Frivården skärper kontrollen (ökat fokus).",
        "Återkoppla till gruppen",
        "probation a",
        "2030-03-11",
        "Nästa möte hålls på fredag.",
    ):
        assert expected in text, expected
    # The Swedish letters are in the page content as WinAnsi codes, with the standard font.
    assert b"(\\326stra G\\366inge)" in pdf or "Östra Göinge" in pdf_strings(pdf)
    assert b"/WinAnsiEncoding" in pdf
    assert _build(meeting, compress=False, invariant=True) == pdf  # reproducible


@pytest.mark.django_db
def test_minutes_download(client, world):
    meeting = _minutes_world(world)
    response = _login(client, world, Role.CASEWORKER).get(reverse("meetings:minutes_pdf", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="protokoll-a-2030-03-04.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)  # compressed streams decoded
    assert "Östra Göinge" in text and "Återkoppla till gruppen" in text


@pytest.mark.django_db
def test_minutes_of_an_empty_meeting(world):
    meeting = MeetingFactory(site=world.site_a)
    text = pdf_text(_build(meeting, compress=False))
    assert "Ingen dagordning är registrerad." in text and "Inga beslut är registrerade." in text
    assert "Inga uppgifter är fördelade." in text


def test_pdf_safe_keeps_swedish_and_strips_what_the_font_cannot_show():
    assert pdf_safe("Åsa Öberg – ärende é") == "Åsa Öberg – ärende é"
    assert pdf_safe("Łukasz Şahin") == "Lukasz Sahin"
    assert pdf_safe("Ωmega") == "?mega"


@pytest.mark.django_db
def test_task_status_in_the_minutes(world):
    meeting = _minutes_world(world)
    Task.objects.filter(decision__meeting=meeting).update(status=Task.Status.DONE)
    assert "Klar" in pdf_text(_build(meeting, compress=False))


@pytest.mark.django_db
def test_every_meeting_page_is_csp_clean_and_swedish(client, world):
    from tests.partnership.factories import add_meeting_records

    add_meeting_records(world)
    meeting = world.records[("meeting", "a", "police")]
    decision = world.records[("decision", "a", "police")]
    task = world.records[("task", "a", "police")]
    _login(client, world, Role.ANALYST)
    for url in (
        reverse("meetings:meeting_list"),
        reverse("meetings:meeting_create"),
        reverse("meetings:meeting_detail", args=[meeting.pk]),
        reverse("meetings:meeting_edit", args=[meeting.pk]),
        reverse("meetings:decision_create", args=[meeting.pk]),
        reverse("meetings:task_create", args=[decision.pk]),
        reverse("meetings:meeting_mode", args=[meeting.pk]),
        reverse("meetings:task_list"),
        reverse("meetings:task_edit", args=[task.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_csp_clean(html)
        assert '<html lang="sv">' in html, url
        assert "<h1" in html, url
