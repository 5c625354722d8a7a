from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("incidents", "0006_incident_area_data")]

    operations = [
        migrations.RemoveField(model_name="incident", name="area_text"),
        migrations.RemoveField(model_name="historicalincident", name="area_text"),
    ]
