from django.db import migrations


def end_open_facts(apps, schema_editor):
    """Every disclosure ends (gvi.access.disclosure_rules): a fact disclosed until further notice ends at its
    decision plus its ground's maximum, as the generic disclosures did in access 0010. The column stays
    nullable; SupportFactDisclosure.clean requires an end for every new fact."""
    from gvi.access.disclosure_rules import latest_end

    for name in ("SupportFactDisclosure", "HistoricalSupportFactDisclosure"):
        model = apps.get_model("support", name)
        for row in model._default_manager.filter(expires_at__isnull=True).iterator():
            row.expires_at = latest_end(row.legal_ground, row.decided_at)
            row.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0002_historicalsupportcase_agreed_follow_up_and_more"),
        ("access", "0010_disclosure_end_date_and_consent"),
    ]

    operations = [migrations.RunPython(end_open_facts, migrations.RunPython.noop)]
