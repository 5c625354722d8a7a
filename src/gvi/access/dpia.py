"""The factual part of a data-protection impact assessment (konsekvensbedömning, GDPR art. 35).

Generated from this installation's configuration and data, so it never goes stale: the record types (from
the models), the roles and who sees what (from the permission table), the retention periods in force (from
the settings), the legal grounds of disclosures (the rule table, and counts per ground from the data) and
how often the access log is followed up. `gvi dpia` writes it as Markdown; the coordinator's page
/dataskydd/konsekvensbedomning/ shows it and offers the same Markdown for download.

The document is Swedish whatever the interface language: it is filed with the controller's own
assessment. It holds no person data, only counts and configuration.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone, translation

from gvi.access import disclosure_rules, permissions
from gvi.access.models import AccessLog, CompartmentedRecord, Disclosure, RetainedRecord
from gvi.access.retention import IDEMPOTENCY_DAYS
from gvi.partnership.models import Organisation, Role, Site

TITLE = "Konsekvensbedömning avseende dataskydd – faktaunderlag"

SCOPE_NAMES = {
    permissions.OWN: "egen organisation på platsen",
    permissions.SITE: "alla organisationer på platsen",
}
ACTION_NAMES = {
    permissions.VIEW: "läsa",
    permissions.CREATE: "registrera",
    permissions.CHANGE: "ändra",
    permissions.DISCLOSE: "lämna ut",
    permissions.EXPORT: "exportera",
    permissions.REVEAL: "visa personnummer",
}
LOG_REVIEW_NAMES = {
    "daily": "varje dag",
    "weekly": "varje vecka",
    "monthly": "varje månad",
    "quarterly": "varje kvartal",
    "yearly": "varje år",
}


@dataclass
class Block:
    """One piece of the document: a heading (h2, h3), a paragraph (p), a list (ul) or a table."""

    kind: str
    text: str = ""
    items: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def record_models() -> list:
    """The record types with person or operational data: every compartmented model, the permission table's
    first (in its order), then any other."""
    found = [apps.get_model(label) for label in permissions.PERMISSIONS]
    found += [
        model
        for model in apps.get_models()
        if issubclass(model, CompartmentedRecord) and model not in found and not model._meta.abstract
    ]
    return found


def log_review_interval() -> str:
    value = getattr(settings, "GVI_LOG_REVIEW_INTERVAL", "monthly")
    if isinstance(value, int) or str(value).isdigit():
        return f"var {int(value)}:e dag"
    return LOG_REVIEW_NAMES.get(str(value), str(value))


def _name(model) -> str:
    return str(model._meta.verbose_name_plural).capitalize()


def _org_types(types) -> str:
    # A municipality discloses and receives as its social services (see disclosure_rules).
    names = {t: str(Organisation.Type(t).label) for t in types}
    if Organisation.Type.MUNICIPALITY in names:
        names[Organisation.Type.MUNICIPALITY] += " (socialtjänsten)"
    return ", ".join(sorted(names.values()))


def _role_grants(role: str) -> list[list[str]]:
    rows = []
    for label, by_role in permissions.PERMISSIONS.items():
        grant = by_role.get(role)
        if grant is None:
            continue
        actions = ", ".join(ACTION_NAMES[a] for a in permissions.ACTIONS if a in grant.actions)
        rows.append([_name(apps.get_model(label)), SCOPE_NAMES[grant.scope], actions])
    return rows


def build(at: datetime | None = None) -> list[Block]:
    at = at or timezone.now()
    with translation.override("sv"):
        return [
            *_introduction(at),
            *_record_types(),
            *_roles(),
            *_retention(),
            *_disclosures(at),
            *_log_follow_up(),
            *_not_covered(),
        ]


def _introduction(at) -> list[Block]:
    sites = list(Site.objects.order_by("name").values_list("name", flat=True))
    organisations = Organisation.objects.values("type").annotate(n=Count("pk")).order_by("type")
    return [
        Block(
            "p",
            f"Genererad {timezone.localdate(at).isoformat()} ur installationens konfiguration och data. "
            "Underlaget beskriver vad plattformen behandlar; bedömningen av nödvändighet, risker och åtgärder "
            "görs av den personuppgiftsansvarige. Generera underlaget på nytt när konfigurationen ändras.",
        ),
        Block("p", "Platser: " + (", ".join(sites) if sites else "inga registrerade") + "."),
        Block(
            "ul",
            items=[f"{Organisation.Type(row['type']).label}: {row['n']}" for row in organisations]
            or ["Inga organisationer registrerade."],
        ),
    ]


def _record_types() -> list[Block]:
    rows = []
    for model in record_models():
        rows.append(
            [
                _name(model),
                model._meta.label_lower,
                "ja, varje läsning loggas" if model.logs_reads else "nej",
                "ja" if issubclass(model, RetainedRecord) else "nej, ingen egen omprövning",
                str(model._base_manager.count()),
            ]
        )
    return [
        Block("h2", "1. Posttyper som behandlas"),
        Block(
            "p",
            "Varje post ägs av en organisation på en plats och versionshanteras (vem ändrade vad och när). "
            "Dessutom lagras utlämnanden, åtkomstloggen och användarkonton.",
        ),
        Block(
            "table",
            headers=["Posttyp", "Teknisk beteckning", "Personnivå", "Omprövas och gallras", "Antal poster"],
            rows=rows,
        ),
        Block(
            "ul",
            items=[
                f"{_name(Disclosure)}: {Disclosure.objects.count()}",
                f"{str(AccessLog._meta.verbose_name).capitalize()}: {AccessLog.objects.count()} rader",
            ],
        ),
    ]


def _roles() -> list[Block]:
    view_rows = []
    for label, by_role in permissions.PERMISSIONS.items():
        cells = []
        for role in Role.values:
            grant = by_role.get(role)
            cells.append(
                ("egen" if grant.scope == permissions.OWN else "plats")
                if grant is not None and permissions.VIEW in grant.actions
                else "–"
            )
        view_rows.append([_name(apps.get_model(label)), *cells])
    blocks = [
        Block("h2", "2. Roller och vem som ser vad"),
        Block(
            "p",
            "Ur behörighetstabellen (gvi.access.permissions). ”egen”: poster som ägs av medlemmens egen "
            "organisation på medlemmens plats; ”plats”: alla poster på platsen; ”–”: inga. Ett utlämnande "
            "öppnar därutöver en enskild post för en namngiven organisation, om rollen får läsa posttypen.",
        ),
        Block("table", headers=["Posttyp", *[str(label) for label in Role.labels]], rows=view_rows),
    ]
    for role, label in Role.choices:
        blocks.append(Block("h3", str(label)))
        rows = _role_grants(role)
        if rows:
            blocks.append(Block("table", headers=["Posttyp", "Omfattning", "Får"], rows=rows))
        else:
            blocks.append(
                Block(
                    "p", "Rollen har ingen behörighet till posterna ovan: den ser inga personuppgifter i dem."
                )
            )
    return blocks


def _retention() -> list[Block]:
    rows = [
        ["Omprövning, vuxna", f"{settings.GVI_REVIEW_DAYS_ADULT} dagar", "GVI_REVIEW_DAYS_ADULT"],
        ["Omprövning, under 18 år", f"{settings.GVI_REVIEW_DAYS_MINOR} dagar", "GVI_REVIEW_DAYS_MINOR"],
        [
            "Respit efter missad omprövning, därefter inaktiveras posten",
            f"{settings.GVI_REVIEW_GRACE_DAYS} dagar",
            "GVI_REVIEW_GRACE_DAYS",
        ],
        [
            "Från inaktivering till radering, med versionshistorik",
            f"{settings.GVI_PURGE_AFTER_DAYS} dagar",
            "GVI_PURGE_AFTER_DAYS",
        ],
        ["API-nycklar gäller högst", f"{settings.GVI_API_TOKEN_MAX_DAYS} dagar", "GVI_API_TOKEN_MAX_DAYS"],
        ["Idempotensnycklar (API, inga personuppgifter)", f"{IDEMPOTENCY_DAYS} dagar", "—"],
    ]
    return [
        Block("h2", "3. Gallring: tider i kraft"),
        Block(
            "p",
            "Varje post med personuppgifter har ett omprövningsdatum. En post som inte omprövats i tid "
            "inaktiveras efter respittiden och raderas sedan, tillsammans med det som hör till den och dess "
            "versionshistorik. Gallringen körs dagligen (gvi worker) och med gvi purge.",
        ),
        Block("table", headers=["Vad", "Tid", "Inställning"], rows=rows),
    ]


# The models of disclosed single facts (a fact out of a support case), registered by the app that owns
# them at ready() (gvi.support.apps): the access layer imports no domain app.
FACT_DISCLOSURE_MODELS: list = []


def register_fact_disclosures(model) -> None:
    """Count `model`'s disclosures (fields `legal_ground`, `decided_at`, `expires_at`, `revoked_at`) in the
    DPIA's table of disclosed facts."""
    if model not in FACT_DISCLOSURE_MODELS:
        FACT_DISCLOSURE_MODELS.append(model)


def _disclosures(at) -> list[Block]:
    active = Q(revoked_at__isnull=True, decided_at__lte=at) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=at)
    )
    records = {
        row["legal_ground"]: row
        for row in Disclosure.objects.values("legal_ground").annotate(
            n=Count("pk"), active=Count("pk", filter=active)
        )
    }
    facts: dict[str, dict] = {}
    for model in FACT_DISCLOSURE_MODELS:
        for row in model.unscoped_all_sites.values("legal_ground").annotate(
            n=Count("pk"), active=Count("pk", filter=active)
        ):
            fact = facts.setdefault(row["legal_ground"], {"n": 0, "active": 0})
            fact["n"] += row["n"]
            fact["active"] += row["active"]
    rule_rows, count_rows = [], []
    for rule in disclosure_rules.RULES:
        label = str(Disclosure.LegalGround(rule.ground).label)
        conditions = []
        if rule.under_21:
            conditions.append("personen under 21 år")
        if rule.consent:
            conditions.append("registrerat samtycke")
        if rule.text_required:
            conditions.append(str(rule.text_required).rstrip("."))
        rule_rows.append(
            [
                label,
                rule.source,
                _org_types(rule.senders),
                _org_types(rule.recipients),
                "; ".join(conditions) or "—",
                str(disclosure_rules.max_days(rule.ground)),
            ]
        )
        record, fact = records.get(rule.ground, {}), facts.get(rule.ground, {})
        count_rows.append(
            [
                label,
                str(record.get("n", 0)),
                str(record.get("active", 0)),
                str(fact.get("n", 0)),
                str(fact.get("active", 0)),
            ]
        )
    return [
        Block("h2", "4. Utlämnanden och rättsliga grunder"),
        Block(
            "p",
            "Ett utlämnande öppnar en post, eller en enskild uppgift ur ett stödärende, för en namngiven "
            "organisation. Grunden måste passa vem som lämnar ut till vem (gvi.access.disclosure_rules); "
            "varje utlämnande har ett slutdatum inom grundens längsta tid. Lokalsamhällets organisationer, "
            "det nationella stödet och driftorganisationen tar aldrig emot uppgifter om enskilda.",
        ),
        Block(
            "table",
            headers=["Grund", "Källa", "Från", "Till", "Villkor", "Längsta tid (dagar)"],
            rows=rule_rows,
        ),
        Block("h3", "Utlämnanden i installationen, per grund"),
        Block(
            "table",
            headers=[
                "Grund",
                "Poster, totalt",
                "Poster, gällande",
                "Uppgifter ur stödärenden, totalt",
                "Uppgifter, gällande",
            ],
            rows=count_rows,
        ),
    ]


def _log_follow_up() -> list[Block]:
    return [
        Block("h2", "5. Logguppföljning"),
        Block(
            "p",
            "Varje läsning, export och visning av personuppgifter på individnivå skrivs i en hashkedjad "
            "åtkomstlogg som inte kan ändras i efterhand utan att kedjan bryts (kontroll: gvi audit verify). "
            f"Loggen följs upp {log_review_interval()} (inställningen GVI_LOG_REVIEW_INTERVAL).",
        ),
    ]


def _not_covered() -> list[Block]:
    return [
        Block("h2", "6. Det som den personuppgiftsansvarige bedömer"),
        Block(
            "ul",
            items=[
                "Ändamål och rättslig grund för behandlingen i varje organisation.",
                "Nödvändighet och proportionalitet.",
                "Risker för de registrerades rättigheter och friheter.",
                "Planerade åtgärder för att hantera riskerna.",
            ],
        ),
    ]


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[Block]) -> str:
    lines = [f"# {TITLE}", ""]
    for block in blocks:
        if block.kind == "h2":
            lines += [f"## {block.text}", ""]
        elif block.kind == "h3":
            lines += [f"### {block.text}", ""]
        elif block.kind == "p":
            lines += [block.text, ""]
        elif block.kind == "ul":
            lines += [f"- {item}" for item in block.items] + [""]
        elif block.kind == "table":
            lines.append("| " + " | ".join(_cell(h) for h in block.headers) + " |")
            lines.append("|" + "---|" * len(block.headers))
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
    return "\n".join(lines)


def markdown(at: datetime | None = None) -> str:
    return to_markdown(build(at))
