"""The migration from free-text areas to the site's list: alike spellings become one area per site, the
incidents are linked, and reversing it gives the text back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("incidents", "0004_risk_read_model")]
AFTER = [("incidents", "0007_remove_incident_area_text")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_free_text_areas_become_one_area_per_site_and_back():
    old = _migrate(BEFORE)
    Site, Organisation = old.get_model("partnership", "Site"), old.get_model("partnership", "Organisation")
    Incident = old.get_model("incidents", "Incident")
    north, south = Site.objects.create(name="Nord", slug="nord"), Site.objects.create(name="Syd", slug="syd")
    police = Organisation.objects.create(name="Polisen test", short_name="P", type="police")
    texts = {
        north: ["Centrum", "centrum ", "CENTRUM", "Hamnen", "", "Centrum"],
        south: ["centrum", "Torget"],
    }
    for site, areas in texts.items():
        for text in areas:
            Incident.objects.create(
                site=site, owner=police, type="shooting", occurred_at=timezone.now(), area=text
            )
    try:
        new = _migrate(AFTER)
        Area, Incident = new.get_model("partnership", "Area"), new.get_model("incidents", "Incident")
        assert sorted(Area.objects.filter(site_id=north.pk).values_list("name", flat=True)) == [
            "Centrum",
            "Hamnen",
        ]
        centrum = Area.objects.get(site_id=north.pk, key="centrum")
        assert sorted(centrum.aliases) == ["CENTRUM", "centrum"]  # the other spellings seen
        assert Incident.objects.filter(site_id=north.pk, area=centrum).count() == 4
        assert Incident.objects.filter(site_id=north.pk, area__isnull=True).count() == 1
        south_centrum = Area.objects.get(site_id=south.pk, key="centrum")
        assert south_centrum.name == "centrum" and south_centrum.pk != centrum.pk  # per site
        back = _migrate(BEFORE)
        Incident = back.get_model("incidents", "Incident")
        assert sorted(Incident.objects.filter(site_id=north.pk).values_list("area", flat=True)) == [
            "",
            "Centrum",
            "Centrum",
            "Centrum",
            "Centrum",
            "Hamnen",
        ]
    finally:  # every app at its latest migration again, whatever comes after these
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
