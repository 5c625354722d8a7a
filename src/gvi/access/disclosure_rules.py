"""Which legal ground fits which disclosure: one row per ground, with its source in law.

Each row says which kinds of organisation may disclose under the ground and to which, what must hold for
the record or person (under 21, a recorded consent, a described ground) and for how long a disclosure
under the ground may last at most. `errors_for` checks one disclosure against its row; it is pure (no
database) so that every rule can be tested on its own. `Disclosure.clean` calls it.

Organisation types stand for the authorities of this platform: a municipality's members are its social
services (socialtjänsten), the police is Polismyndigheten, probation is Kriminalvården (frivården).
The maximum length of each ground can be shortened or lengthened with the setting GVI_DISCLOSURE_MAX_DAYS
(environment: ``GVI_DISCLOSURE_MAX_DAYS=osl_10_27=30,consent=180``).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The literals are the values of Disclosure.LegalGround and Organisation.Type; this module imports no
# models so that it stays a plain table (tests/access/test_disclosure_rules.py checks they agree).
POLICE, MUNICIPALITY, PROBATION, OTHER_AUTHORITY = "police", "municipality", "probation", "other_authority"
AUTHORITIES = frozenset({POLICE, MUNICIPALITY, PROBATION, OTHER_AUTHORITY})

ORG_TYPE_NAMES = {
    POLICE: _("Polisen"),
    MUNICIPALITY: _("kommunen (socialtjänsten)"),
    PROBATION: _("Kriminalvården (frivården)"),
    OTHER_AUTHORITY: _("annan myndighet"),
}


@dataclass(frozen=True)
class GroundRule:
    ground: str
    source: str  # where the ground is laid down
    summary: str  # what the ground allows: Swedish documentation (DPIA, README), not interface text
    senders: frozenset[str]
    recipients: frozenset[str]
    max_days: int  # default maximum length; GVI_DISCLOSURE_MAX_DAYS overrides it per ground
    under_21: bool = False  # the person the record concerns must be under 21
    consent: bool = False  # a recorded consent from the person is required
    text_required: object = None  # Swedish, lazy: what the free text must say, when it is required


RULES: tuple[GroundRule, ...] = (
    GroundRule(
        ground="osl_10_2",
        source="OSL (2009:400) 10 kap. 2 §",
        summary=(
            "Uppgiften lämnas ut när det är nödvändigt för att den utlämnande myndigheten ska kunna fullgöra "
            "sin egen verksamhet. Mellan myndigheter."
        ),
        senders=AUTHORITIES,
        recipients=AUTHORITIES,
        max_days=365,
    ),
    GroundRule(
        ground="osl_10_18a",
        source="OSL (2009:400) 10 kap. 18 a §",
        summary=(
            "Från socialtjänsten till Polisen, om en person som inte har fyllt 21 år, när uppgiften behövs för "
            "att förebygga att den unge begår brott."
        ),
        senders=frozenset({MUNICIPALITY}),
        recipients=frozenset({POLICE}),
        max_days=365,
        under_21=True,
    ),
    GroundRule(
        ground="osl_10_27",
        source="OSL (2009:400) 10 kap. 27 §",
        summary=(
            "Generalklausulen: när det är uppenbart att intresset av att uppgiften lämnas har företräde framför "
            "det intresse som sekretessen ska skydda. Gäller inte socialtjänstens sekretess (10 kap. 27 § andra "
            "stycket, 26 kap. 1–6 §§)."
        ),
        senders=frozenset({POLICE, PROBATION, OTHER_AUTHORITY}),
        recipients=AUTHORITIES,
        max_days=90,
        text_required=_("Beskriv avvägningen: varför intresset av utlämnandet uppenbart väger tyngre."),
    ),
    GroundRule(
        ground="osl_10_28",
        source="OSL (2009:400) 10 kap. 28 §",
        summary=(
            "Uppgiftsskyldighet som följer av lag eller förordning. Lagrummet som ålägger skyldigheten anges."
        ),
        senders=AUTHORITIES,
        recipients=AUTHORITIES,
        max_days=365,
        text_required=_("Ange den lag eller förordning som ålägger uppgiftsskyldigheten."),
    ),
    GroundRule(
        ground="duty_2025",
        source="Lagen (2025) om uppgiftsskyldighet",
        summary=(
            "Myndigheters skyldighet att lämna uppgifter till brottsbekämpande myndigheter: bara till Polisen, "
            "från en annan myndighet."
        ),
        senders=frozenset({MUNICIPALITY, PROBATION, OTHER_AUTHORITY}),
        recipients=frozenset({POLICE}),
        max_days=365,
    ),
    GroundRule(
        ground="consent",
        source="OSL (2009:400) 12 kap. 2 §",
        summary=(
            "Den enskilde har samtyckt till utlämnandet. Samtycket registreras: datum, hur det lämnades och "
            "vem som registrerade det."
        ),
        senders=AUTHORITIES,
        recipients=AUTHORITIES,
        max_days=365,
        consent=True,
    ),
    GroundRule(
        ground="other",
        source="—",
        summary="Annan grund, som beskrivs i fritext. Mellan myndigheter.",
        senders=AUTHORITIES,
        recipients=AUTHORITIES,
        max_days=90,
        text_required=_("Beskriv den rättsliga grunden."),
    ),
)

BY_GROUND = {rule.ground: rule for rule in RULES}


def rule_for(ground: str) -> GroundRule | None:
    return BY_GROUND.get(ground)


def max_days(ground: str) -> int:
    """The longest a disclosure under `ground` may last, in days: the setting's value if it names the
    ground, otherwise the table's."""
    configured = getattr(settings, "GVI_DISCLOSURE_MAX_DAYS", {}) or {}
    if ground in configured:
        return int(configured[ground])
    rule = rule_for(ground)
    return rule.max_days if rule else min(r.max_days for r in RULES)


def latest_end(ground: str, decided_at: datetime) -> datetime:
    return decided_at + timedelta(days=max_days(ground))


@dataclass(frozen=True)
class Facts:
    """What a rule needs to know about one disclosure besides the ground and the organisation types."""

    under_21: bool | None = None  # None: not known from what is stored
    consent_recorded: bool = False
    ground_text: str = ""
    decided_at: datetime | None = None
    expires_at: datetime | None = None


UNDER_21_BANDS = frozenset({"u15", "15-17", "18-20"})
ADULT_BANDS = frozenset({"21-25", "26-35", "36+"})


def is_under_21(birth_year: int | None, age_band: str, is_minor: bool, on: date) -> bool | None:
    """Whether a person is under 21 on `on`, from what a person entry stores; None when it cannot be told.

    A birth year alone settles it except in the year the person turns 21 (then the age band decides);
    "under 18" means under 21; an age band settles it otherwise.
    """
    if is_minor:
        return True
    if birth_year:
        turns = on.year - birth_year  # the age reached this calendar year
        if turns <= 20:
            return True
        if turns >= 22:
            return False
    if age_band in UNDER_21_BANDS:
        return True
    if age_band in ADULT_BANDS:
        return False
    return None


def _type_names(types) -> str:
    return ", ".join(sorted((str(ORG_TYPE_NAMES[t]) for t in types), key=str.lower))


def errors_for(ground: str, sender_type: str, recipient_type: str, facts: Facts) -> dict[str, object]:
    """Why `ground` does not fit this disclosure, by form field; {} when it fits."""
    rule = rule_for(ground)
    if rule is None:
        return {"legal_ground": _("Välj en rättslig grund.")}
    errors: dict[str, object] = {}
    label = rule.source if rule.source != "—" else _("Annan grund")
    if sender_type not in rule.senders:
        if rule.ground == "osl_10_27" and sender_type == MUNICIPALITY:
            errors["legal_ground"] = _(
                "Generalklausulen (OSL 10 kap. 27 §) gäller inte socialtjänstens sekretess. Välj en annan grund, "
                "till exempel 10 kap. 18 a § till Polisen för en person under 21 år, uppgiftsskyldighet eller "
                "samtycke."
            )
        else:
            errors["legal_ground"] = _(
                "%(ground)s gäller inte utlämnanden från %(sender)s. Grunden gäller utlämnanden från: %(senders)s."
            ) % {
                "ground": label,
                "sender": ORG_TYPE_NAMES.get(sender_type, sender_type),
                "senders": _type_names(rule.senders),
            }
    elif recipient_type not in rule.recipients:
        errors["to_organisation"] = _(
            "%(ground)s gäller inte utlämnanden till %(recipient)s. Grunden gäller utlämnanden till: "
            "%(recipients)s."
        ) % {
            "ground": label,
            "recipient": ORG_TYPE_NAMES.get(recipient_type, recipient_type),
            "recipients": _type_names(rule.recipients),
        }
    if rule.under_21 and facts.under_21 is not True:
        errors.setdefault(
            "legal_ground",
            _("OSL 10 kap. 18 a § gäller bara personer som inte har fyllt 21 år, och personen har fyllt 21.")
            if facts.under_21 is False
            else _(
                "OSL 10 kap. 18 a § gäller bara personer under 21 år, och personens ålder framgår inte. Ange "
                "födelseår eller åldersgrupp på personposten först."
            ),
        )
    if rule.consent and not facts.consent_recorded:
        errors["consent_given_on"] = _(
            "Registrera samtycket: när det lämnades och hur. Utan registrerat samtycke kan samtycke inte vara "
            "grund."
        )
    if rule.text_required and not (facts.ground_text or "").strip():
        errors["legal_ground_text"] = rule.text_required
    if facts.expires_at is None:
        errors["expires_at"] = _(
            "Ange när utlämnandet upphör. Inga utlämnanden gäller tills vidare; med %(ground)s högst %(days)s "
            "dagar."
        ) % {"ground": label, "days": max_days(ground)}
    elif facts.decided_at is not None:
        if facts.expires_at <= facts.decided_at:
            errors["expires_at"] = _("Slutdatumet måste ligga efter beslutet.")
        # By day, as the message says "till och med": the last allowed day counts in full.
        elif timezone.localdate(facts.expires_at) > timezone.localdate(latest_end(ground, facts.decided_at)):
            errors["expires_at"] = _(
                "Med %(ground)s får ett utlämnande gälla högst %(days)s dagar, alltså till och med %(last)s."
            ) % {
                "ground": label,
                "days": max_days(ground),
                "last": timezone.localtime(latest_end(ground, facts.decided_at)).date().isoformat(),
            }
    return errors


def readme_table() -> str:
    """The table as Markdown, with the default maximums: README's "Utlämnanden och rättslig grund" holds
    exactly this (tests/access/test_disclosure_rules.py checks that they agree)."""
    from django.utils import translation

    with translation.override("sv"):
        lines = [
            "| grund (`legal_ground`) | källa | från | till | villkor | längsta tid, dagar |",
            "|---|---|---|---|---|---|",
        ]
        for rule in RULES:
            conditions = []
            if rule.under_21:
                conditions.append("personen under 21 år")
            if rule.consent:
                conditions.append("registrerat samtycke")
            if rule.text_required:
                conditions.append(str(rule.text_required).rstrip("."))
            lines.append(
                f"| `{rule.ground}` | {rule.source} | {_type_names(rule.senders)} | "
                f"{_type_names(rule.recipients)} | {'; '.join(conditions) or '—'} | {rule.max_days} |"
            )
    return "\n".join(lines)
