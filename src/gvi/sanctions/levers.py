"""The catalogue of legal levers (påtryckningsmedel) each kind of partner organisation can pull.

An organisation's catalogue follows its type (police, probation, municipality) and, for other
authorities, its name (Kronofogden, Skatteverket, Tullverket, a housing company, a licensing authority).
Every catalogue ends with "other", described in the action's text.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from gvi.partnership.models import Organisation


class Lever(models.TextChoices):
    # Polisen
    TARGETED_CONTROLS = (
        "targeted_controls",
        _("Riktade kontroller mot gruppens medlemmar, fordon och platser"),
    )
    PRIORITISED_INVESTIGATIONS = "prioritised_investigations", _("Prioriterade utredningar av gruppens brott")
    WARRANTS = "warrants", _("Verkställighet av efterlysningar och beslut (häktning, fängelse, böter)")
    WEAPONS_SEARCHES = "weapons_searches", _("Vapen- och narkotikasök, husrannsakan")
    VISIBLE_PRESENCE = "visible_presence", _("Ökad synlig närvaro i gruppens område")
    TRAFFIC_CONTROLS = "traffic_controls", _("Trafik- och fordonskontroller")
    ASSET_SEIZURE = "asset_seizure", _("Beslag och förverkande av brottsvinster")
    # Kriminalvården, frivården
    TIGHTENED_CONDITIONS = "tightened_conditions", _("Skärpta föreskrifter och villkor")
    WARNING = "warning", _("Varning (övervakningsnämnden)")
    DRUG_TESTS = "drug_tests", _("Fler drog- och alkoholkontroller")
    INCREASED_SUPERVISION = "increased_supervision", _("Tätare övervakning och kontaktbesök")
    HOME_VISITS = "home_visits", _("Oanmälda hembesök")
    ELECTRONIC_MONITORING = "electronic_monitoring", _("Elektronisk övervakning där villkoren medger det")
    # Kommunen
    BENEFIT_CHECKS = "benefit_checks", _("Kontroll av ekonomiskt bistånd")
    HOUSING_CHECKS = "housing_checks", _("Kontroll av boende och hyresförhållanden")
    SCHOOL_MEASURES = "school_measures", _("Åtgärder i skolan (närvaro, ordningsregler)")
    LEISURE_MEASURES = "leisure_measures", _("Åtgärder i fritidsverksamheten (avstängning, villkor)")
    YOUTH_ASSESSMENT = "youth_assessment", _("Utredning av barn och unga (SoL/LVU)")
    LICENCE_INSPECTIONS = "licence_inspections", _("Tillsyn av tillstånd (servering, tobak, spel)")
    # Kronofogden
    DEBT_ENFORCEMENT = "debt_enforcement", _("Indrivning av skulder och utmätning")
    ASSET_INVESTIGATION = "asset_investigation", _("Utredning av tillgångar")
    # Skatteverket
    TAX_AUDITS = "tax_audits", _("Skatterevision och skattekontroll")
    REGISTRATION_CHECKS = "registration_checks", _("Kontroll av folkbokföring")
    # Tullverket
    CUSTOMS_CONTROLS = "customs_controls", _("Tullkontroller av försändelser och fordon")
    # Bostadsbolag
    TENANCY_CHECKS = "tenancy_checks", _("Kontroll av andrahandsuthyrning och störningar")
    TENANCY_TERMINATION = "tenancy_termination", _("Uppsägning av hyresavtal vid brott i bostaden")
    # Länsstyrelsen och andra tillståndsmyndigheter
    PERMIT_REVIEW = "permit_review", _("Omprövning av tillstånd (vapen, bevakning, taxi)")
    # alla
    OTHER = "other", _("Annan åtgärd (beskriv)")


L = Lever
CATALOGUE: dict[str, tuple[str, ...]] = {
    "police": (
        L.TARGETED_CONTROLS,
        L.PRIORITISED_INVESTIGATIONS,
        L.WARRANTS,
        L.WEAPONS_SEARCHES,
        L.VISIBLE_PRESENCE,
        L.TRAFFIC_CONTROLS,
        L.ASSET_SEIZURE,
        L.OTHER,
    ),
    "probation": (
        L.TIGHTENED_CONDITIONS,
        L.WARNING,
        L.DRUG_TESTS,
        L.INCREASED_SUPERVISION,
        L.HOME_VISITS,
        L.ELECTRONIC_MONITORING,
        L.OTHER,
    ),
    "municipality": (
        L.BENEFIT_CHECKS,
        L.HOUSING_CHECKS,
        L.SCHOOL_MEASURES,
        L.LEISURE_MEASURES,
        L.YOUTH_ASSESSMENT,
        L.LICENCE_INSPECTIONS,
        L.OTHER,
    ),
    "kronofogden": (L.DEBT_ENFORCEMENT, L.ASSET_INVESTIGATION, L.OTHER),
    "skatteverket": (L.TAX_AUDITS, L.REGISTRATION_CHECKS, L.OTHER),
    "tullverket": (L.CUSTOMS_CONTROLS, L.OTHER),
    "housing": (L.TENANCY_CHECKS, L.TENANCY_TERMINATION, L.HOUSING_CHECKS, L.OTHER),
    "licensing": (L.PERMIT_REVIEW, L.LICENCE_INSPECTIONS, L.OTHER),
    "community": (),
}
# An authority we do not recognise by name may use any of the other authorities' levers.
CATALOGUE["other_authority"] = tuple(
    dict.fromkeys(
        lever
        for key in ("kronofogden", "skatteverket", "tullverket", "housing", "licensing")
        for lever in CATALOGUE[key]
    )
)

# Name fragments (lower case) that identify an other authority's catalogue.
NAME_KEYS = (
    ("kronofogden", "kronofogden"),
    ("skatteverket", "skatteverket"),
    ("tullverket", "tullverket"),
    ("bostad", "housing"),
    ("bostäder", "housing"),
    ("fastighet", "housing"),
    ("allmännytt", "housing"),
    ("housing", "housing"),
    ("hyres", "housing"),
    ("länsstyrelse", "licensing"),
    ("tillstånd", "licensing"),
)
CATALOGUE_LABELS = {
    "police": _("Polisen"),
    "probation": _("Frivården"),
    "municipality": _("Kommunen"),
    "kronofogden": _("Kronofogden"),
    "skatteverket": _("Skatteverket"),
    "tullverket": _("Tullverket"),
    "housing": _("Bostadsbolag"),
    "licensing": _("Tillståndsmyndighet"),
    "other_authority": _("Annan myndighet"),
    "community": _("Lokalsamhälle"),
}


def catalogue_key(organisation: Organisation) -> str:
    """Which catalogue an organisation uses: by type, and for other authorities by name."""
    if organisation.type == Organisation.Type.OTHER_AUTHORITY:
        name = f"{organisation.name} {organisation.short_name}".lower()
        for fragment, key in NAME_KEYS:
            if fragment in name:
                return key
        return "other_authority"
    return organisation.type if organisation.type in CATALOGUE else "community"


def levers_for(organisation: Organisation) -> list[tuple[str, str]]:
    """The (code, label) choices of the levers `organisation` can pull."""
    labels = dict(Lever.choices)
    return [(code, labels[code]) for code in CATALOGUE[catalogue_key(organisation)]]


def lever_label(code: str) -> str:
    return str(dict(Lever.choices).get(code, code))
