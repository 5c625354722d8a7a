"""The keyed access-log chain. Rows already written keep their plain SHA-256 (keyed=False) and are verified
as before; every new row is keyed (HMAC with GVI_AUDIT_KEY) and chains on from the last plain one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0004_account_administration"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="keyed",
            field=models.BooleanField(default=False),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="keyed",
            field=models.BooleanField(db_default=True, default=True),
        ),
    ]
