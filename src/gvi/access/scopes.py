"""The scopes of an API key (gvi.access.models.ApiToken). A key acts as its user, and its scopes only narrow
that: a route answers a key only if the key holds the route's scope, and then shows no more than the user's
memberships give (`visible_to`). Every API route declares its scope (gvi.api_auth.scoped); a route that
forgets refuses every key, and tests/access/test_api_tokens.py walks the router so that none can forget."""

from django.utils.translation import gettext_lazy as _

# Any key may call it (the key's own account, /me). Not a scope a key holds.
ANY = "*"

INCIDENTS_PUSH = "incidents:push"
READ_INCIDENTS = "read:incidents"
READ_GROUPS = "read:groups"
WRITE_GROUPS = "write:groups"
READ_PERSONS = "read:persons"
WRITE_PERSONS = "write:persons"
READ_COMMUNICATION = "read:communication"
WRITE_COMMUNICATION = "write:communication"
READ_SUPPORT = "read:support"
WRITE_SUPPORT = "write:support"
READ_SANCTIONS = "read:sanctions"
WRITE_SANCTIONS = "write:sanctions"

SCOPES = {
    INCIDENTS_PUSH: _("Registrera och uppdatera incidenter (för system som skickar incidenter)"),
    READ_INCIDENTS: _("Läsa incidenter"),
    READ_GROUPS: _("Läsa grupper och relationer mellan grupper"),
    WRITE_GROUPS: _("Registrera och ändra grupper och relationer"),
    READ_PERSONS: _("Läsa personer och gruppmedlemskap"),
    WRITE_PERSONS: _("Registrera, ändra och ta bort personer och gruppmedlemskap"),
    READ_COMMUNICATION: _("Läsa direktkommunikation (call-ins, kallelser, meddelanden)"),
    WRITE_COMMUNICATION: _("Registrera och ändra direktkommunikation"),
    READ_SUPPORT: _("Läsa stödärenden och utlämnade uppgifter"),
    WRITE_SUPPORT: _("Registrera och ändra stödärenden"),
    READ_SANCTIONS: _("Läsa sanktionsepisoder, åtgärder, regler och mått"),
    WRITE_SANCTIONS: _("Registrera och ändra sanktionsepisoder, åtgärder och regler"),
}
ALL_SCOPES = tuple(SCOPES)


def scope_choices():
    return [(name, f"{name} – {label}") for name, label in SCOPES.items()]
