# The free-text area becomes a reference to one of the site's areas (gvi.partnership.models.Area).
# Three steps, each its own transaction (PostgreSQL refuses to alter a table with pending row updates):
# this one keeps the old text as `area_text` and adds the reference, 0006 moves the data, 0007 drops the
# text. All three are reversible.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_risk_read_model"),
        ("partnership", "0006_areas"),
    ]

    operations = [
        migrations.RenameField(model_name="incident", old_name="area", new_name="area_text"),
        migrations.RenameField(model_name="historicalincident", old_name="area", new_name="area_text"),
        migrations.AddField(
            model_name="incident",
            name="area",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="incidents",
                to="partnership.area",
                verbose_name="område",
            ),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="area",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="partnership.area",
                verbose_name="område",
            ),
        ),
    ]
