"""Every API key gets an expiry. A key issued before scopes and lifetimes existed carried all its user's
rights and never expired: it keeps every scope (what it could do) until created_at + GVI_API_TOKEN_MAX_DAYS,
so a key older than the maximum expires now and must be issued again, with the scopes it needs."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations

ALL_SCOPES_AT_MIGRATION = [
    "incidents:push",
    "read:incidents",
    "read:groups",
    "write:groups",
    "read:persons",
    "write:persons",
    "read:communication",
    "write:communication",
    "read:support",
    "write:support",
    "read:sanctions",
    "write:sanctions",
]


def give_expiry(apps, schema_editor):
    ApiToken = apps.get_model("access", "ApiToken")
    lifetime = timedelta(days=settings.GVI_API_TOKEN_MAX_DAYS)
    for token in ApiToken.objects.filter(expires_at__isnull=True):
        token.expires_at = token.created_at + lifetime
        token.save(update_fields=["expires_at"])
    # Every key at this point predates scopes (the field was added by the previous migration).
    ApiToken.objects.update(scopes=ALL_SCOPES_AT_MIGRATION)


class Migration(migrations.Migration):
    dependencies = [("access", "0006_api_token_scopes")]

    operations = [migrations.RunPython(give_expiry, migrations.RunPython.noop)]
