# Existing free-text areas become Area rows per site: texts that are alike by the import's name rules
# (case, Unicode form, spacing) are merged into one area, named by its most frequent spelling (the other
# spellings become aliases), and the incidents are linked to it. Reversing writes each incident's area
# name back as text.

from collections import Counter

from django.db import migrations

from gvi.importing.text import name_key, normalise_name

CHUNK = 500


def forward(apps, schema_editor):
    Area = apps.get_model("partnership", "Area")
    Incident = apps.get_model("incidents", "Incident")
    spellings: dict[tuple[int, str], Counter] = {}
    incidents: dict[tuple[int, str], list[int]] = {}
    rows = Incident.objects.exclude(area_text="").values_list("pk", "site_id", "area_text")
    for pk, site_id, text in rows.iterator():
        key = name_key(text)
        if key:
            spellings.setdefault((site_id, key), Counter())[normalise_name(text)] += 1
            incidents.setdefault((site_id, key), []).append(pk)
    for (site_id, key), counts in sorted(spellings.items()):
        name = sorted(counts, key=lambda spelling: (-counts[spelling], spelling))[0]
        area = Area.objects.filter(site_id=site_id, key=key).first()
        if area is None:
            aliases = sorted(set(counts) - {name})
            area = Area.objects.create(site_id=site_id, name=name[:120], key=key[:120], aliases=aliases)
        pks = incidents[(site_id, key)]
        for start in range(0, len(pks), CHUNK):
            Incident.objects.filter(pk__in=pks[start : start + CHUNK]).update(area=area)


def backward(apps, schema_editor):
    Area = apps.get_model("partnership", "Area")
    Incident = apps.get_model("incidents", "Incident")
    for area in Area.objects.all().iterator():
        Incident.objects.filter(area=area).update(area_text=area.name[:120])


class Migration(migrations.Migration):
    dependencies = [("incidents", "0005_incident_area_list")]

    operations = [migrations.RunPython(forward, backward)]
