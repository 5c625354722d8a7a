"""Agenda generation for the weekly incident review: what comes on it, in which order, and the snapshot."""

import sys
import types
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from gvi.groups.models import GroupRelation
from gvi.partnership import selectors, services
from gvi.partnership.models import AgendaItem, Meeting, Role, Task
from tests.factories import (
    GroupFactory,
    IncidentFactory,
    InvolvementFactory,
    MembershipFactory,
    PersonFactory,
    site_area,
    verified_login,
)
from tests.partnership.factories import MeetingFactory, TaskFactory

KIND = AgendaItem.Kind


def _refs(entries, kind):
    return [entry.reference for entry in entries if entry.kind == kind]


def _police(world, slug="a"):
    return world.orgs[(slug, "police")]


@pytest.fixture(autouse=True)
def _no_meetings_yet(world):
    """Each test builds the meeting history it needs (the shared world may hold meetings of its own)."""
    Meeting.objects.all().delete()


@pytest.fixture
def no_risk_model(monkeypatch):
    """Behave as if gvi.incidents.risk did not exist (None in sys.modules makes the import fail)."""
    monkeypatch.setitem(sys.modules, "gvi.incidents.risk", None)


@pytest.fixture
def risk_model(monkeypatch):
    """Install a stand-in gvi.incidents.risk whose alerts the test sets."""
    module = types.ModuleType("gvi.incidents.risk")
    module.alerts = []
    module.calls = []

    def shared_retaliation_risk(site):
        module.calls.append(site)
        return types.SimpleNamespace(alerts=list(module.alerts))

    module.shared_retaliation_risk = shared_retaliation_risk
    monkeypatch.setitem(sys.modules, "gvi.incidents.risk", module)
    return module


def _alert(title, groups, ratio, expected=1.5):
    return types.SimpleNamespace(
        title=title,
        explanation=f"Förklaring {title}",
        groups=groups,
        excess_ratio=ratio,
        expected_30d=expected,
    )


@pytest.mark.django_db
def test_incidents_since_the_last_held_review_appear_and_older_ones_do_not(world, no_risk_model):
    site = world.site_a
    MeetingFactory(site=site, status=Meeting.Status.HELD, starts_at=timezone.now() - timedelta(days=5))
    MeetingFactory(site=site, status=Meeting.Status.PLANNED, starts_at=timezone.now() - timedelta(days=1))
    new = IncidentFactory(site=site, owner=_police(world), occurred_at=timezone.now() - timedelta(days=2))
    old = IncidentFactory(site=site, owner=_police(world), occurred_at=timezone.now() - timedelta(days=6))
    entries = selectors.generate_agenda(site)
    incidents = _refs(entries, KIND.INCIDENT)
    assert new in incidents and old not in incidents
    assert all(incident.site_id == site.pk for incident in incidents)


@pytest.mark.django_db
def test_without_an_earlier_review_the_agenda_covers_two_weeks(world, no_risk_model):
    site = world.site_a
    recent = IncidentFactory(site=site, owner=_police(world), occurred_at=timezone.now() - timedelta(days=13))
    older = IncidentFactory(site=site, owner=_police(world), occurred_at=timezone.now() - timedelta(days=15))
    since = selectors.agenda_since(site)
    assert timezone.now() - since > timedelta(days=13, hours=23)
    incidents = _refs(selectors.generate_agenda(site), KIND.INCIDENT)
    assert recent in incidents and older not in incidents


@pytest.mark.django_db
def test_another_sites_incidents_never_appear(world, no_risk_model):
    coordinator = world.users[Role.COORDINATOR]
    # Even a coordinator at both sites gets only the requested site's incidents on that site's agenda.
    MembershipFactory(
        user=coordinator,
        organisation=world.orgs[("b", "municipality")],
        site=world.site_b,
        role=Role.COORDINATOR,
    )
    other = IncidentFactory(site=world.site_b, owner=_police(world, "b"))
    entries = selectors.generate_agenda(world.site_a)
    referenced_sites = {getattr(entry.reference, "site_id", world.site_a.pk) for entry in entries}
    assert other not in _refs(entries, KIND.INCIDENT)
    assert referenced_sites == {world.site_a.pk}


@pytest.mark.django_db
def test_overdue_tasks_appear(world, no_risk_model):
    meeting = MeetingFactory(site=world.site_a, status=Meeting.Status.HELD)
    from tests.partnership.factories import DecisionFactory

    decision = DecisionFactory(meeting=meeting)
    yesterday = timezone.localdate() - timedelta(days=1)
    overdue = TaskFactory(decision=decision, owner=_police(world), due_date=yesterday)
    done = TaskFactory(decision=decision, owner=_police(world), due_date=yesterday, status=Task.Status.DONE)
    not_due = TaskFactory(decision=decision, owner=_police(world))
    elsewhere = TaskFactory(site=world.site_b, decision=None, owner=_police(world, "b"), due_date=yesterday)
    tasks = _refs(selectors.generate_agenda(world.site_a), KIND.OVERDUE_TASK)
    assert tasks == [overdue]
    assert done not in tasks and not_due not in tasks and elsewhere not in tasks


@pytest.mark.django_db
def test_reviews_due_list_groups_and_counts_but_no_person(world, no_risk_model):
    due = GroupFactory(
        site=world.site_a, owner=_police(world), next_review=timezone.localdate() + timedelta(days=5)
    )
    PersonFactory(
        site=world.site_a,
        owner=_police(world),
        alias="Hemligt alias",
        review_date=timezone.localdate() - timedelta(1),
    )
    entries = [e for e in selectors.generate_agenda(world.site_a) if e.kind == KIND.REVIEW_DUE]
    assert due in [entry.reference for entry in entries]
    # The partnership reads the site's count, 1 shown as "1–4"; the police reads its own exact count.
    [shared] = [entry for entry in entries if entry.reference is None and entry.audience is None]
    assert shared.data["counts"]["persons"] is None and "1–4 personposter" in str(shared.summary)
    [own] = [entry for entry in entries if entry.audience is not None]
    assert own.audience == _police(world) and own.data["counts"]["persons"] == 1
    assert all("Hemligt alias" not in f"{entry.title} {entry.summary} {entry.data}" for entry in entries)


@pytest.mark.django_db
def test_risk_alerts_come_first_in_the_models_order(world, risk_model):
    site, police = world.site_a, _police(world)
    calm, hot, hotter = (GroupFactory(site=site, owner=police, name=n) for n in ("Lugna", "Heta", "Hetaste"))
    plain = IncidentFactory(site=site, owner=police, occurred_at=timezone.now() - timedelta(hours=1))
    risky = IncidentFactory(site=site, owner=police, occurred_at=timezone.now() - timedelta(days=2))
    InvolvementFactory(incident=risky, group=hotter, site=site, owner=police)
    InvolvementFactory(incident=plain, group=calm, site=site, owner=police)
    # The model lists its raised alerts most urgent first.
    risk_model.alerts = [_alert("Hög risk", [hotter, hot], 4.2), _alert("Måttlig risk", [hot], 1.8)]
    entries = selectors.generate_agenda(site)
    assert [entry.kind for entry in entries[:2]] == [KIND.RISK, KIND.RISK]
    assert [entry.title for entry in entries[:2]] == ["Hög risk", "Måttlig risk"]
    assert entries[0].data["excess_ratio"] == 4.2 and entries[0].data["expected_30d"] == 1.5
    assert [g["name"] for g in entries[0].data["groups"]] == ["Hetaste", "Heta"]
    assert entries[0].reference == hotter
    incidents = _refs(entries, KIND.INCIDENT)
    # The incident involving a risk group is discussed before the newer one without risk.
    assert incidents.index(risky) < incidents.index(plain)
    kinds = [entry.kind for entry in entries]
    assert kinds == sorted(kinds, key=lambda kind: selectors.KIND_RANK[kind])
    assert risk_model.calls == [site]  # the partnership's picture: no user is involved


@pytest.mark.django_db
def test_risk_alerts_with_the_risk_modules_own_attribute_names(world, risk_model):
    site, police = world.site_a, _police(world)
    a, b = (
        GroupFactory(site=site, owner=police, name="Norr"),
        GroupFactory(site=site, owner=police, name="Syd"),
    )
    relation = GroupRelation.unscoped_all_sites.create(
        site=site, owner=police, group_a=a, group_b=b, type="conflict", confidence="low", basis="x",
        review_date=timezone.localdate() + timedelta(days=90),
    )  # fmt: skip
    risk_model.alerts = [
        types.SimpleNamespace(
            label="Norr – Syd", explanation="Risken höjd.", groups=(a, b), relation=relation,
            excess_ratio=2.5, expected_30=0.8,
        )
    ]  # fmt: skip
    entry = selectors.generate_agenda(site)[0]
    assert str(entry.title) == "Förhöjd risk: Norr – Syd" and entry.reference == relation
    assert entry.data["expected_30d"] == 0.8 and entry.summary == "Risken höjd."


@pytest.mark.django_db
def test_too_little_data_for_the_model_falls_back_to_conflicts(world, risk_model, monkeypatch):
    monkeypatch.setattr(
        risk_model,
        "shared_retaliation_risk",
        lambda site: types.SimpleNamespace(alerts=[], enough_data=False),
    )
    entries = selectors.generate_agenda(world.site_a)
    assert any(isinstance(entry.reference, GroupRelation) for entry in entries if entry.kind == KIND.RISK)


@pytest.mark.django_db
def test_without_the_risk_model_active_conflicts_with_recent_incidents_are_listed(world, no_risk_model):
    site, police = world.site_a, _police(world)
    a, b, c, d = (GroupFactory(site=site, owner=police, name=n) for n in "ABCD")
    older_conflict = GroupRelation.unscoped_all_sites.create(
        site=site, owner=police, group_a=a, group_b=b, type="conflict", confidence="low", basis="x",
        review_date=timezone.localdate() + timedelta(days=90),
    )  # fmt: skip
    newer_conflict = GroupRelation.unscoped_all_sites.create(
        site=site, owner=police, group_a=c, group_b=d, type="conflict", confidence="low", basis="x",
        review_date=timezone.localdate() + timedelta(days=90),
    )  # fmt: skip
    quiet = GroupRelation.unscoped_all_sites.create(
        site=site, owner=police, group_a=a, group_b=d, type="alliance", confidence="low", basis="x",
        review_date=timezone.localdate() + timedelta(days=90),
    )  # fmt: skip
    InvolvementFactory(
        incident=IncidentFactory(site=site, owner=police, occurred_at=timezone.now() - timedelta(days=9)),
        group=b, site=site, owner=police,
    )  # fmt: skip
    InvolvementFactory(
        incident=IncidentFactory(site=site, owner=police, occurred_at=timezone.now() - timedelta(hours=3)),
        group=c, site=site, owner=police,
    )  # fmt: skip
    entries = selectors.generate_agenda(site)
    risks = _refs(entries, KIND.RISK)
    assert risks.index(newer_conflict) < risks.index(older_conflict)
    assert quiet not in risks
    assert entries[0].kind == KIND.RISK


@pytest.mark.django_db
def test_a_failing_risk_model_falls_back_to_conflicts(world, risk_model, monkeypatch):
    def broken(site):
        raise RuntimeError("modellen är trasig")

    monkeypatch.setattr(risk_model, "shared_retaliation_risk", broken)
    entries = selectors.generate_agenda(world.site_a)
    # The world's conflicts involve groups with incidents three days ago.
    assert any(isinstance(entry.reference, GroupRelation) for entry in entries if entry.kind == KIND.RISK)


@pytest.mark.django_db
def test_later_modules_register_providers_without_editing_the_meeting_code(world, no_risk_model, monkeypatch):
    monkeypatch.setattr(selectors, "AGENDA_PROVIDERS", dict(selectors.AGENDA_PROVIDERS))
    seen = []

    @selectors.register_agenda_provider("sanctions")
    def sanctions(site, since):
        seen.append((site, since))
        return [selectors.AgendaEntry(kind=KIND.SANCTION, title="Sanktionsepisod: Grupp X, dag 3 av 14")]

    entries = selectors.generate_agenda(world.site_a)
    titles = [entry.title for entry in entries if entry.kind == KIND.SANCTION]
    assert titles == ["Sanktionsepisod: Grupp X, dag 3 av 14"]
    assert list(selectors.AGENDA_PROVIDERS).count("sanctions") == 1 and seen[0][0] == world.site_a
    # Sanctions come after incidents and before follow-up of tasks.
    kinds = [entry.kind for entry in entries]
    assert kinds.index(KIND.SANCTION) > max(i for i, k in enumerate(kinds) if k == KIND.INCIDENT)


@pytest.mark.django_db
def test_the_agenda_is_snapshotted_when_the_meeting_is_opened(world, no_risk_model):
    coordinator = world.users[Role.COORDINATOR]
    meeting = MeetingFactory(site=world.site_a, starts_at=timezone.now())
    incident = IncidentFactory(site=world.site_a, owner=_police(world), area="Södra torget")
    services.refresh_agenda(coordinator, meeting)
    services.add_agenda_item(coordinator, meeting, "Övrigt: lokal för stormötet")
    services.refresh_agenda(coordinator, meeting)  # regenerating keeps the point added by hand, last
    items = list(meeting.agenda_items.all())
    assert items[-1].title == "Övrigt: lokal för stormötet" and not items[-1].is_generated
    assert [item.order for item in items] == list(range(1, len(items) + 1))
    services.change_meeting_status(coordinator, meeting, Meeting.Status.HELD, meeting.version)
    snapshot = [(item.title, item.summary) for item in meeting.agenda_items.all()]
    assert any("Södra torget" in title for title, _summary in snapshot)
    incident.area = site_area(world.site_a, "Norra torget")
    incident.save()
    IncidentFactory(site=world.site_a, owner=_police(world), area="Ny incident efteråt")
    assert [(item.title, item.summary) for item in meeting.agenda_items.all()] == snapshot
    with pytest.raises(ValidationError):
        services.refresh_agenda(coordinator, meeting)
    meeting.refresh_from_db()
    assert meeting.agenda_since is not None and meeting.agenda_generated_at is not None


@pytest.mark.django_db
def test_steering_group_agendas_are_written_by_hand(world):
    meeting = MeetingFactory(site=world.site_a, type=Meeting.Type.STEERING_GROUP)
    with pytest.raises(ValidationError):
        services.refresh_agenda(world.users[Role.COORDINATOR], meeting)
    services.change_meeting_status(world.users[Role.COORDINATOR], meeting, Meeting.Status.HELD, 1)
    assert not meeting.agenda_items.exists()


@pytest.mark.django_db
def test_only_coordinators_and_analysts_generate_agendas(world):
    from django.core.exceptions import PermissionDenied

    meeting = MeetingFactory(site=world.site_a)
    for role in (Role.CASEWORKER, Role.PROBATION_OFFICER, Role.STEERING_MEMBER):
        with pytest.raises(PermissionDenied):
            services.refresh_agenda(world.users[role], meeting)


@pytest.mark.django_db
def test_works_with_the_real_risk_module_when_it_exists(world):
    pytest.importorskip("gvi.incidents.risk")
    entries = selectors.generate_agenda(world.site_a)
    assert entries and all(entry.sort_key() for entry in entries)
    assert {entry.kind for entry in entries} <= set(KIND.values)


@pytest.mark.django_db
def test_agenda_items_link_to_their_records(world):
    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    from gvi.incidents.models import Incident

    incident = world.records[("incident", "a", "police")]
    meeting = MeetingFactory(site=world.site_a)
    item = AgendaItem.objects.create(
        meeting=meeting,
        title="x",
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=incident.pk,
    )
    assert item.link == reverse("incidents:incident_detail", args=[incident.pk])
    provided = AgendaItem.objects.create(meeting=meeting, title="y", data={"url": "/sanktioner/7/"})
    assert provided.link == "/sanktioner/7/"
    unsafe = AgendaItem.objects.create(meeting=meeting, title="z", data={"url": "//example.org/"})
    assert unsafe.link == ""


@pytest.mark.django_db
def test_a_failing_provider_does_not_stop_the_agenda(world, no_risk_model, monkeypatch):
    from gvi.incidents.models import Incident

    monkeypatch.setattr(selectors, "AGENDA_PROVIDERS", dict(selectors.AGENDA_PROVIDERS))

    def broken(site, since):
        Incident.unscoped_all_sites.raw("SELECT * FROM no_such_table")[
            0
        ]  # a database error inside the provider

    selectors.register_agenda_provider("notifications", broken)
    entries = selectors.generate_agenda(world.site_a)
    assert str(entries[-1].title) == "Kunde inte hämta enskilda samtal" and entries[-1].kind == KIND.MANUAL
    assert _refs(entries, KIND.INCIDENT)  # the other parts are there
    assert Incident.unscoped_all_sites.exists()  # and the transaction is still usable


@pytest.mark.django_db
def test_a_generated_agenda_reads_in_the_readers_language(world, no_risk_model):
    """The snapshot keeps its words as message ids with parameters: made by someone using English, it
    still stores the partnership's Swedish; read in English, every generated point is English."""
    from django.utils import translation

    coordinator = world.users[Role.COORDINATOR]
    meeting = MeetingFactory(site=world.site_a, starts_at=timezone.now())
    moment = timezone.now() - timedelta(days=1)
    shooting = IncidentFactory(
        site=world.site_a, owner=_police(world), occurred_at=moment, type="shooting", dead=1, injured=0
    )
    GroupFactory(site=world.site_a, owner=_police(world), name="Norrgänget", next_review=timezone.localdate())
    with translation.override("en"):
        services.refresh_agenda(coordinator, meeting)
    [incident] = meeting.agenda_items.filter(kind=KIND.INCIDENT, object_id=shooting.pk)
    [review] = meeting.agenda_items.filter(kind=KIND.REVIEW_DUE, title__contains="Norrgänget")
    when = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    assert incident.title.startswith(f"Skjutning {when}") and review.title == "Granskning av Norrgänget"
    assert incident.shown_data["harm"] == "1 döda, 0 skadade"
    with translation.override("en"):
        assert incident.shown_title.startswith(f"Shooting {when}")
        assert incident.shown_data["harm"] == "1 dead, 0 injured"
        assert review.shown_title == "Review of Norrgänget"
        assert review.shown_summary.startswith("Next review")
        assert incident.kind_label == "Incident since the last review"
    assert review.shown_title == "Granskning av Norrgänget"  # and Swedish for a Swedish reader
    # The meeting page, meeting mode and the minutes use the same words.
    from django.conf import settings
    from django.test import Client

    from tests.partnership.pdf_text import pdf_text

    client = verified_login(Client(), coordinator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("meetings:meeting_detail", args=[meeting.pk])).content.decode()
    assert "Review of Norrgänget" in html and "Granskning av Norrgänget" not in html
    point = list(meeting.agenda_items.all()).index(review) + 1
    mode = reverse("meetings:meeting_mode", args=[meeting.pk])
    html = client.get(f"{mode}?punkt={point}").content.decode()
    assert "Review of Norrgänget" in html and "Granskning av Norrgänget" not in html
    minutes = pdf_text(client.get(reverse("meetings:minutes_pdf", args=[meeting.pk])).content)
    assert "Review of Norrgänget" in minutes and f"Shooting {when}" in minutes
    assert "Granskning" not in minutes and "Skjutning" not in minutes


@pytest.mark.django_db
def test_text_trees_survive_their_json_and_render_in_the_active_language():
    from datetime import date

    from django.utils import translation
    from django.utils.translation import gettext_noop

    from gvi.partnership import agenda_text as t

    tree = t.Joined(
        "\n",
        [
            t.Phrase(gettext_noop("Granskning av %(group)s"), group="Östra"),
            t.Phrase(gettext_noop("Nästa granskning %(when)s."), when=t.Moment(date(2026, 12, 3), "j F Y")),
            "Fritext",
        ],
    )
    again = t.from_data(t.to_data(tree))
    assert again == tree
    assert t.render(again) == "Granskning av Östra\nNästa granskning 3 december 2026.\nFritext"
    with translation.override("en"):
        assert t.render(again) == "Review of Östra\nNext review 3 December 2026.\nFritext"
        assert t.swedish(again).startswith("Granskning av Östra")
