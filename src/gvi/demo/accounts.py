"""Demo logins: one account per role in the demo city, plus the police analysts' supervisor (who approves
the analysts' entries) and an analyst at the second site.

Every account shares DEMO_PASSWORD. The data behind them is synthetic: see gvi.demo.city.
"""

from gvi.partnership.models import Role

DEMO_PASSWORD = "demo-gvi-2026"

# organisation: Organisation.short_name (created by load_demo_city); site: Site.slug, None for siteless roles.
DEMO_ACCOUNTS: list[dict] = [
    {
        "username": "samordnare",
        "role": Role.COORDINATOR,
        "organisation": "Kommunledningen Exempelstad",
        "site": "exempelstad",
        "first_name": "Saga",
        "last_name": "Exempelsdotter",
        "description": "Samordnare i Exempelstad (kommunledningskontoret)",
    },
    {
        "username": "analytiker",
        "role": Role.ANALYST,
        "organisation": "Polisen Exempelstad",
        "site": "exempelstad",
        "first_name": "Anton",
        "last_name": "Analysson",
        "description": "Analytiker vid lokalpolisområdet i Exempelstad",
    },
    {
        "username": "socialsekreterare",
        "role": Role.CASEWORKER,
        "organisation": "Socialtjänsten Exempelstad",
        "site": "exempelstad",
        "first_name": "Sofia",
        "last_name": "Demosdotter",
        "description": "Socialsekreterare i Exempelstads socialtjänst",
    },
    {
        "username": "frivard",
        "role": Role.PROBATION_OFFICER,
        "organisation": "Frivården Exempelstad",
        "site": "exempelstad",
        "first_name": "Fredrik",
        "last_name": "Provberg",
        "description": "Frivårdsinspektör vid Kriminalvården i Exempelstad",
    },
    {
        "username": "lokalsamhalle",
        "role": Role.COMMUNITY_PARTNER,
        "organisation": "Föräldranätverket Exempelstad",
        "site": "exempelstad",
        "first_name": "Leila",
        "last_name": "Testlund",
        "description": "Partner i lokalsamhället i Exempelstad (Föräldranätverket)",
    },
    {
        "username": "styrgrupp",
        "role": Role.STEERING_MEMBER,
        "organisation": "Polisen Exempelstad",
        "site": "exempelstad",
        "first_name": "Stefan",
        "last_name": "Exempelgren",
        "description": "Styrgruppsledamot i Exempelstad (lokalpolisområdeschef)",
    },
    {
        "username": "nationell",
        "role": Role.NATIONAL_ANALYST,
        "organisation": "Brå",
        "site": None,
        "first_name": "Nora",
        "last_name": "Demoström",
        "description": "Nationell analytiker vid Brå (ser endast aggregerad statistik)",
    },
    {
        "username": "admin",
        "role": Role.ADMINISTRATOR,
        "organisation": "Drift",
        "site": None,
        "first_name": "Adam",
        "last_name": "Driftsson",
        "description": "Administratör hos driftorganisationen (ingen åtkomst till personuppgifter)",
    },
    {
        "username": "dataskydd",
        "role": Role.DATA_PROTECTION_OFFICER,
        "organisation": "Polisen Exempelstad",
        "site": None,
        "first_name": "Dana",
        "last_name": "Skyddsberg",
        "description": "Dataskyddsombud vid Polisen Exempelstad (loggen, inga personuppgifter)",
    },
    {
        # Four eyes: an analyst's new person entries and memberships wait for a second person's approval.
        "username": "gruppchef",
        "role": Role.ANALYST,
        "organisation": "Polisen Exempelstad",
        "site": "exempelstad",
        "approves_entries": True,
        "first_name": "Greta",
        "last_name": "Granskare",
        "description": "Gruppchef för analytikerna i Exempelstad: godkänner registreringar (fyra ögon)",
    },
    {
        "username": "analytiker2",
        "role": Role.ANALYST,
        "organisation": "Polisen Norrby",
        "site": "norrby",
        "first_name": "Alva",
        "last_name": "Norrbysson",
        "description": "Analytiker vid lokalpolisområdet i Norrby (annan plats, annat fack)",
    },
]

# The analyst of Kronofogden, an "other authority" in the demo sanctions: created by gvi.demo.sanctions (not
# by load_demo_city), because the organisation is.
KRONOFOGDEN_ACCOUNT = {
    "username": "kronofogden",
    "role": Role.ANALYST,
    "organisation": "Kronofogden",
    "site": "exempelstad",
    "first_name": "Karin",
    "last_name": "Fogdesson",
    "description": "Analytiker vid Kronofogden i Exempelstad (egna åtgärder vid ökat fokus)",
}


def login_accounts() -> list[dict]:
    """Every demo login, for the sign-in page in demo mode and `gvi demo`'s list (a data module: it imports
    only partnership, so the access layer may show it)."""
    return [*DEMO_ACCOUNTS, KRONOFOGDEN_ACCOUNT]
