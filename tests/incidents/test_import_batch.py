"""The batched incident import: the same records, history, attribution and proposals as row by row."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gvi.groups import importers
from gvi.groups.models import Group, GroupRelation
from gvi.incidents import importers as incident_importers
from gvi.incidents.importers import IncidentImporter
from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import Role
from gvi.sanctions.models import SanctionEpisode
from tests.factories import GroupFactory, GroupRelationFactory, IncidentFactory

HEADER = "tidpunkt;typ;omrade;doda;skadade;diarienummer;sammanfattning;grupper_misstankta;grupper_utsatta;gruppkoppling"


def _file(*rows):
    content = "\n".join([HEADER, *rows]).encode("utf-8")
    return SimpleUploadedFile("incidenter.csv", content, content_type="text/csv")


def _day(days_ago: int, time: str = "21:40") -> str:
    return f"{timezone.localdate() - timedelta(days=days_ago):%Y-%m-%d} {time}"


@pytest.fixture
def scene(world):
    kw = {"site": world.site_a, "owner": world.orgs[("a", "police")]}
    groups = {name: GroupFactory(name=name, **kw) for name in ("Norr", "Söder", "Väst", "Öst")}
    GroupRelationFactory(
        group_a=groups["Norr"], group_b=groups["Söder"], intensity=2, last_evidence=date(2025, 1, 1), **kw
    )
    GroupRelationFactory(group_a=groups["Söder"], group_b=groups["Väst"], intensity=4, **kw)
    GroupRelationFactory(
        group_a=groups["Öst"], group_b=groups["Norr"], type=GroupRelation.Type.ALLIANCE, intensity=5, **kw
    )
    IncidentFactory(police_reference="K-FINNS", occurred_at=timezone.now() - timedelta(days=400), **kw)
    return {"analyst": world.users[Role.ANALYST], "site": world.site_a, "groups": groups}


# Old and recent incidents (recent ones propose sanction episodes), several suspect groups, a conflict
# found only once the victim is coded, evidence dates out of order, rows without groups.
ROWS = [
    f"{_day(300)};skjutning;Centrum;0;1;K-1;;Norr;Söder;",
    f"{_day(200)};sprangning;Hamnen;0;0;K-2;Första;Väst|Norr;Söder;bekraftad",
    f"{_day(250)};grov_misshandel;;0;2;K-3;;Söder;Norr|Väst;",
    f"{_day(3)};skjutning;Torget;1;0;K-4;;Väst|Öst;Söder;",
    f"{_day(5)};mordbrand;;0;0;;;Norr;;okand",
    f"{_day(2, '03:05')};annat;;0;0;K-6;;;;",
    f"{_day(1)};skjutning;;0;1;K-7;;Öst;Norr;",
    f"{_day(100)};skjutning;;0;0;K-8;;Norr|Söder;Väst;",
]


def _sorted(items) -> list:
    return sorted(items, key=repr)


def _outcome(site) -> dict:
    """What an import leaves behind, without ids and timestamps."""
    reference = dict(Incident.unscoped_all_sites.values_list("pk", "police_reference"))

    def pair(relation):
        return (relation.group_a.name, relation.group_b.name) if relation else None

    incidents = _sorted(
        (
            i.police_reference,
            i.type,
            i.occurred_at,
            i.area,
            i.dead,
            i.injured,
            i.summary,
            i.owner_id,
            i.version,
        )
        for i in Incident.unscoped_all_sites.filter(site=site)
    )
    involvements = _sorted(
        (
            reference[v.incident_id],
            v.group.name,
            v.role,
            v.member_status,
            v.confidence,
            v.owner_id,
            pair(v.relation),
        )
        for v in Involvement.unscoped_all_sites.select_related(
            "group", "relation__group_a", "relation__group_b"
        )
    )
    relations = _sorted(
        (pair(r), r.type, r.intensity, r.last_evidence, r.version)
        for r in GroupRelation.unscoped_all_sites.select_related("group_a", "group_b")
    )
    episodes = _sorted(
        (
            e.group.name,
            e.status,
            e.decision_deadline,
            sorted(reference[pk] for pk in e.trigger_incidents.values_list("pk", flat=True)),
        )
        for e in SanctionEpisode.unscoped_all_sites.select_related("group")
    )
    groups = dict(Group.unscoped_all_sites.values_list("pk", "name"))
    relation_pairs = {
        r.pk: (groups[r.group_a_id], groups[r.group_b_id]) for r in GroupRelation.unscoped_all_sites.all()
    }

    def reason(text):
        if text and text.startswith("incident "):
            return "incident " + reference.get(int(text.split()[1]), "?")
        return text

    history = {
        "incident": _sorted(
            (h.history_type, h.history_user_id, h.history_change_reason, h.police_reference, h.type)
            for h in Incident.history.all()
        ),
        "involvement": _sorted(
            (
                h.history_type,
                h.history_user_id,
                h.history_change_reason,
                reference[h.incident_id],
                groups[h.group_id],
                h.role,
                h.member_status,
                relation_pairs.get(h.relation_id),
            )
            for h in Involvement.history.all()
        ),
        "relation": _sorted(
            (
                h.history_type,
                h.history_user_id,
                reason(h.history_change_reason),
                relation_pairs[h.id],
                h.last_evidence,
            )
            for h in GroupRelation.history.filter(history_type="~")
        ),
        "episode": _sorted(
            (h.history_type, groups[h.group_id], h.status) for h in SanctionEpisode.history.all()
        ),
    }
    return {
        "incidents": incidents,
        "involvements": involvements,
        "relations": relations,
        "episodes": episodes,
        "history": history,
    }


def _import_and_undo(monkeypatch, scene, batched: bool, rows=ROWS, dry_run=False):
    monkeypatch.setattr(IncidentImporter, "batched", batched)
    run = importers.dry_run if dry_run else importers.import_file
    with transaction.atomic():
        report = run(scene["analyst"], "incidenter", _file(*rows))
        result = (report.committed, report.created, report.errors, _outcome(scene["site"]))
        transaction.set_rollback(True)
    return result


@pytest.mark.django_db
def test_the_batch_leaves_exactly_what_row_by_row_leaves(monkeypatch, scene):
    one_by_one = _import_and_undo(monkeypatch, scene, batched=False)
    batched = _import_and_undo(monkeypatch, scene, batched=True)
    assert one_by_one[0] and batched[0]
    assert batched == one_by_one
    outcome = batched[3]
    # The scene really exercises the rules: conflict links, newer latest evidence, proposals.
    assert any(involvement[-1] == ("Söder", "Väst") for involvement in outcome["involvements"])
    # K-3 links Söder and Norr before Väst is coded, so Norr–Söder gets its date, not Söder–Väst.
    assert (("Norr", "Söder"), "conflict", 2, _date(250), 1) in outcome["relations"]
    assert (("Söder", "Väst"), "conflict", 4, _date(3), 1) in outcome["relations"]
    assert {episode[0] for episode in outcome["episodes"]} >= {"Väst", "Öst"}


def _date(days_ago: int) -> date:
    return timezone.localdate() - timedelta(days=days_ago)


@pytest.mark.django_db
def test_every_created_record_is_versioned_with_the_importer_as_author(scene):
    analyst = scene["analyst"]
    existing = list(Incident.unscoped_all_sites.values_list("pk", flat=True))
    report = importers.import_file(analyst, "incidenter", _file(*ROWS))
    assert report.committed and report.created_count == len(ROWS)
    incidents = Incident.unscoped_all_sites.exclude(pk__in=existing)
    assert incidents.count() == len(ROWS)
    for incident in incidents:
        assert list(incident.history.values_list("history_type", "history_user_id")) == [("+", analyst.pk)]
    involvements = Involvement.unscoped_all_sites.filter(incident__in=incidents)
    assert involvements.count() == 17
    assert involvements.filter(relation__isnull=False).exists()
    for involvement in involvements:
        types = sorted(involvement.history.values_list("history_type", flat=True))
        assert types == (["+", "~"] if involvement.relation_id else ["+"])
        assert set(involvement.history.values_list("history_user_id", flat=True)) == {analyst.pk}
        versions = list(involvement.history.order_by("history_date", "history_id"))
        assert versions[0].relation_id is None and versions[-1].relation_id == involvement.relation_id
    for pair, dates in (
        (("Norr", "Söder"), [_date(300), _date(250)]),
        (("Söder", "Väst"), [_date(200), _date(3)]),
    ):
        relation = GroupRelation.unscoped_all_sites.get(group_a__name=pair[0], group_b__name=pair[1])
        changes = relation.history.filter(history_type="~").order_by("history_date", "history_id")
        assert [h.last_evidence for h in changes] == dates
        assert {h.history_user_id for h in changes} == {analyst.pk}
        assert all(h.history_change_reason.startswith("incident ") for h in changes)
        assert relation.last_evidence == dates[-1] and relation.version == 1


@pytest.mark.django_db
@pytest.mark.parametrize("batched", [True, False])
def test_one_bad_row_anywhere_imports_nothing(monkeypatch, scene, batched):
    monkeypatch.setattr(IncidentImporter, "batched", batched)
    before = _outcome(scene["site"])
    rows = [*ROWS, f"{_day(10)};skjutning;{'x' * 121};0;0;K-9;;Norr;Söder;"]
    report = importers.import_file(scene["analyst"], "incidenter", _file(*rows))
    assert not report.committed and report.created_count == len(ROWS)  # checked, then not saved
    assert len(report.errors) == 1 and report.errors[0].startswith("Rad 10: okänt område 'xxx")
    assert _outcome(scene["site"]) == before


@pytest.mark.django_db
@pytest.mark.parametrize("batched", [True, False])
def test_duplicate_police_references_in_the_file_and_at_the_site(monkeypatch, scene, batched):
    monkeypatch.setattr(IncidentImporter, "batched", batched)
    rows = [
        f"{_day(20)};skjutning;;0;0;K-FINNS;;;;",  # row 2: exists at the site
        f"{_day(20)};skjutning;;0;0;K-10;;;;",  # row 3
        f"{_day(20)};skjutning;;0;0;K-10;;;;",  # row 4: the same as row 3
        f"{_day(20)};bilbrand;;0;0;K-11;;;;",  # row 5: invalid, so not saved ...
        f"{_day(20)};skjutning;;0;0;K-11;;;;",  # row 6: ... and this one is no duplicate
        f"{_day(20)};skjutning;{'x' * 121};0;0;K-12;;;;",  # row 7: fails the model check ...
        f"{_day(20)};skjutning;;0;0;K-12;;;;",  # row 8: ... so no duplicate either
    ]
    report = importers.dry_run(scene["analyst"], "incidenter", _file(*rows))
    assert report.errors == [
        "Rad 2: diarienumret K-FINNS finns redan på platsen",
        "Rad 4: diarienumret K-10 finns redan på platsen",
        "Rad 5: okänt värde 'bilbrand' i kolumnen typ (tillåtna värden: skjutning, sprangning, dodligt_vald, "
        "mordforsok, grov_misshandel, mordbrand, annat)",
        report.errors[3],
    ]
    assert report.errors[3].startswith("Rad 7: okänt område 'xxx")


@pytest.mark.django_db
def test_dry_run_and_import_report_the_same_and_the_dry_run_writes_nothing(monkeypatch, scene):
    before = _outcome(scene["site"])
    preview = importers.dry_run(scene["analyst"], "incidenter", _file(*ROWS))
    assert _outcome(scene["site"]) == before
    assert preview.ok and preview.created_count == len(ROWS) and not preview.committed
    report = importers.import_file(scene["analyst"], "incidenter", _file(*ROWS))
    assert report.committed and report.created == preview.created


@pytest.mark.django_db
def test_a_database_error_in_the_batch_falls_back_to_row_by_row(monkeypatch, scene):
    expected = _import_and_undo(monkeypatch, scene, batched=False)

    def broken(user, prepared):
        Incident.unscoped_all_sites.bulk_create(
            incident for incident, _involvements in prepared
        )  # half written ...
        raise DatabaseError("simulated")

    monkeypatch.setattr(incident_importers, "save_prepared", broken)
    assert _import_and_undo(monkeypatch, scene, batched=True) == expected  # ... and rolled back


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_number_of_rows(scene):
    def queries(count):
        rows = [f"{_day(40 + n)};skjutning;;0;1;Q-{count}-{n};;Norr;Söder;" for n in range(count)]
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            report = importers.import_file(scene["analyst"], "incidenter", _file(*rows))
            transaction.set_rollback(True)
        assert report.committed
        return len(captured)

    # PostgreSQL: the same number; SQLite caps the rows per INSERT, so a few more statements.
    assert queries(120) <= queries(12) + 20
