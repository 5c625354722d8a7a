"""Swedish personal identity numbers: validation, keyed hashing for matching, encryption for reveal.

Keys come from the environment (GVI_PSEUDONYM_KEY, GVI_FIELD_KEY); outside production they are generated
into the data directory on first use. Losing GVI_FIELD_KEY makes stored numbers unrevealable, so it is
backed up with the database (see README).
"""

import hashlib
import hmac
import os
from datetime import date

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import personnummer

COORDINATION_OFFSET = 60  # samordningsnummer: the day of birth plus 60


def normalise_personal_number(raw: str, today: date | None = None) -> str:
    """Return the number as 12 digits (YYYYMMDDNNNC) or raise a ValidationError with a Swedish message.

    Accepts personnummer and samordningsnummer, with or without century, dash or plus.
    """
    text = (raw or "").strip().replace(" ", "")
    if not text:
        raise ValidationError(_("Personnumret är tomt."))
    try:
        compact = personnummer.compact(text)
    except StdnumError:
        raise ValidationError(_("Personnumret har fel format.")) from None
    digits = compact.replace("-", "").replace("+", "")
    if not digits.isdigit() or len(digits) not in (10, 12):
        raise ValidationError(_("Personnumret ska ha 10 eller 12 siffror (ÅÅMMDD-NNNN eller ÅÅÅÅMMDD-NNNN)."))
    if not luhn.is_valid(digits[-10:]):
        raise ValidationError(_("Personnumrets kontrollsiffra stämmer inte."))
    day = int(digits[-6:-4])
    birth_day = day - COORDINATION_OFFSET if day > COORDINATION_OFFSET else day
    as_birth_number = compact[:-7] + f"{birth_day:02d}" + compact[-5:] if len(compact) in (11, 13) else None
    try:
        birth = personnummer.get_birth_date(as_birth_number or compact)
    except StdnumError:
        raise ValidationError(_("Personnumret innehåller inget giltigt födelsedatum.")) from None
    if birth > (today or timezone.localdate()):
        raise ValidationError(_("Personnumret anger ett födelsedatum i framtiden."))
    return f"{birth.year:04d}" + digits[-10:][2:] if len(digits) == 10 else digits


def birth_year_of(normalised: str) -> int:
    return int(normalised[:4])


def _key(name: str, generate) -> bytes:
    value = os.environ.get(name)
    if value:
        return value.encode()
    if settings.PRODUCTION:
        raise ImproperlyConfigured(f"{name} måste sättas i produktion.")
    path = settings.DATA_DIR / name.lower()
    if not path.exists():
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generate())
        path.chmod(0o600)
    return path.read_bytes().strip()


def pseudonym_key() -> bytes:
    return _key("GVI_PSEUDONYM_KEY", lambda: os.urandom(32).hex().encode())


def audit_key() -> bytes:
    """The key of the access-log chain's HMAC (GVI_AUDIT_KEY): kept with the operators of the application,
    not with those of the database."""
    return _key("GVI_AUDIT_KEY", lambda: os.urandom(32).hex().encode())


def field_key() -> bytes:
    return _key("GVI_FIELD_KEY", Fernet.generate_key)


def personal_number_hash(normalised: str) -> str:
    """Keyed hash: the same number always matches, but the hash alone reveals nothing without the key."""
    return hmac.new(pseudonym_key(), normalised.encode(), hashlib.sha256).hexdigest()


def encrypt(value: str) -> str:
    return Fernet(field_key()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return Fernet(field_key()).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured("GVI_FIELD_KEY matchar inte de lagrade uppgifterna.") from None


def format_personal_number(normalised: str) -> str:
    return f"{normalised[:8]}-{normalised[8:]}"
