"""The national aggregate package: suppressed national tables, signed with Ed25519.

A site running its own installation exports its national tables (sites x months per year and indicator,
counts 1–4 and secondary suppressions hidden) as one JSON file; a national installation verifies the
signature against its trusted public keys and imports the values. The package holds site names, months,
indicator names and counts – never a person, an incident or a free text.

File format (UTF-8 JSON):

    {"format": "gvi-aggregat-signerat/1", "key_id": "<16 hex>", "payload": "<JSON text>",
     "signature": "<base64 Ed25519 signature of the payload's UTF-8 bytes>"}

The payload:

    {"format": "gvi-aggregat/1", "installation": "...", "created_at": "<ISO 8601>",
     "suppression": "...", "tables": [{"indicator": "serious", "year": 2026, "months": ["2026-01", ...],
       "rows": [{"site": "...", "values": [12, null, 0, ...], "total": 57}],
       "column_totals": [...], "grand_total": 57}]}
"""

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.analysis.suppression import derivable_cells, inconsistent_lines
from gvi.evaluation import selectors as s

ENVELOPE_FORMAT = "gvi-aggregat-signerat/1"
PAYLOAD_FORMAT = "gvi-aggregat/1"
MAX_PACKAGE_BYTES = 5_000_000
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")  # always with fullmatch: "$" would let "2026-01\n" pass
MAX_COUNT = 10**9  # far above any real count, far below the database column's limit


class PackageError(Exception):
    """A package that must not be imported; the message is for the user (Swedish)."""


# --- Keys ---------------------------------------------------------------------------------------------


def generate_key_pair() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair as PEM: (private key, public key)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise PackageError(_("Den privata nyckeln kunde inte läsas: %(error)s") % {"error": error}) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise PackageError(_("Den privata nyckeln är inte en Ed25519-nyckel."))
    return key


def trusted_keys_path() -> str:
    """Setting GVI_AGGREGATE_TRUSTED_KEYS, else the environment variable of the same name."""
    return str(
        getattr(settings, "GVI_AGGREGATE_TRUSTED_KEYS", "")
        or os.environ.get("GVI_AGGREGATE_TRUSTED_KEYS", "")
    )


def installation_name() -> str:
    """Setting GVI_INSTALLATION_NAME, else the environment variable of the same name."""
    return str(getattr(settings, "GVI_INSTALLATION_NAME", "") or os.environ.get("GVI_INSTALLATION_NAME", ""))


def load_trusted_keys(path: str | Path | None = None) -> dict[str, Ed25519PublicKey]:
    """Trusted public keys (PEM) from one file or every *.pem in a directory; named by file stem."""
    path = Path(path or trusted_keys_path() or "")
    if not str(path) or str(path) == ".":
        raise PackageError(
            _("Inga betrodda nycklar är inställda (GVI_AGGREGATE_TRUSTED_KEYS). Inget importerades.")
        )
    files = sorted(path.glob("*.pem")) if path.is_dir() else [path]
    keys = {}
    for file in files:
        try:
            key = serialization.load_pem_public_key(file.read_bytes())
        except (OSError, ValueError) as error:
            raise PackageError(
                _("Den betrodda nyckeln %(file)s kunde inte läsas: %(error)s")
                % {"file": file.name, "error": error}
            ) from None
        if isinstance(key, Ed25519PublicKey):
            keys[file.stem] = key
    if not keys:
        raise PackageError(_("Inga betrodda Ed25519-nycklar hittades i %(path)s.") % {"path": path})
    return keys


# --- Building and signing -------------------------------------------------------------------------------


def build_payload(installation: str, years: list[int], sites=None, today: date | None = None) -> dict:
    """The installation's suppressed national tables for the given years, every indicator."""
    tables = []
    for indicator in s.NATIONAL_INDICATORS:
        for table in s.national_tables(indicator, years=years, today=today, sites=sites):
            tables.append(
                {
                    "indicator": table.indicator,
                    "year": table.year,
                    "months": table.months,
                    "rows": [
                        {"site": row.site, "values": row.values, "total": row.total} for row in table.rows
                    ],
                    "column_totals": table.column_totals,
                    "grand_total": table.grand_total,
                }
            )
    return {
        "format": PAYLOAD_FORMAT,
        "installation": installation,
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "suppression": "1–4 primärt undertryckta; hela månader skyddade en gång för alla indikatorer tillsammans och oförändrade i senare versioner; platssumma bara där alla månader visas",
        "tables": tables,
    }


def sign_payload(payload: dict, private_key: Ed25519PrivateKey) -> bytes:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    signature = private_key.sign(text.encode("utf-8"))
    envelope = {
        "format": ENVELOPE_FORMAT,
        "key_id": key_id(private_key.public_key()),
        "payload": text,
        "signature": base64.b64encode(signature).decode("ascii"),
    }
    return (json.dumps(envelope, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# --- Verifying and parsing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedPackage:
    source: str  # the trusted key's name
    fingerprint: str
    sha256: str
    installation: str
    created_at: datetime
    values: list[tuple[str, str, str, int | None]]  # (site name or "", period, indicator, value)


def verify(data: bytes, trusted: dict[str, Ed25519PublicKey]) -> VerifiedPackage:
    """Check the signature, then every field. Raises PackageError with a Swedish message."""
    if len(data) > MAX_PACKAGE_BYTES:
        raise PackageError(_("Filen är för stor för ett aggregatpaket (högst 5 MB)."))
    try:
        envelope = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PackageError(_("Filen är inte ett aggregatpaket (ogiltig JSON).")) from None
    if not isinstance(envelope, dict) or envelope.get("format") != ENVELOPE_FORMAT:
        raise PackageError(_("Filen är inte ett signerat aggregatpaket (okänt format)."))
    payload_text, signature = envelope.get("payload"), envelope.get("signature")
    if not isinstance(payload_text, str) or not isinstance(signature, str):
        raise PackageError(_("Paketet saknar innehåll eller signatur."))
    try:
        signature_bytes = base64.b64decode(signature, validate=True)
    except ValueError:
        raise PackageError(_("Paketets signatur är skadad.")) from None
    source = None
    for name, public_key in sorted(trusted.items()):
        try:
            public_key.verify(signature_bytes, payload_text.encode("utf-8"))
        except InvalidSignature:
            continue
        source, fingerprint = name, key_id(public_key)
        break
    if source is None:
        raise PackageError(
            _(
                "Signaturen stämmer inte med någon betrodd nyckel: filen har ändrats efter signeringen "
                "eller kommer från en installation som inte är betrodd. Inget importerades."
            )
        )
    try:
        payload = json.loads(payload_text)
    except (ValueError, RecursionError):
        raise PackageError(_("Paketets innehåll är inte giltig JSON.")) from None
    installation, created_at, values = _parse_payload(payload)
    return VerifiedPackage(
        source, fingerprint, hashlib.sha256(data).hexdigest(), installation, created_at, values
    )


def _count(value, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise PackageError(_("%(where)s: värdet är inte ett antal.") % {"where": where})
    if 1 <= value <= 4:
        raise PackageError(
            _("%(where)s: värdet %(value)s borde ha varit undertryckt (1–4). Inget importerades.")
            % {"where": where, "value": value}
        )
    return value


def _only(mapping, allowed: set[str], where: str) -> None:
    if not isinstance(mapping, dict):
        raise PackageError(_("%(where)s: fel struktur.") % {"where": where})
    extra = sorted(set(mapping) - allowed)
    if extra:
        raise PackageError(
            _("%(where)s: okända fält (%(fields)s). Paketet får bara innehålla aggregat.")
            % {"where": where, "fields": ", ".join(extra)}
        )


def _check_table(grid, rows, months, where: str) -> None:
    """The totals add up to their cells, and no hidden cell can be worked out from what is published."""
    for kind, index in inconsistent_lines(grid):
        if kind == "row":
            name = rows[index]["site"] if index < len(rows) else _("kolumnsummorna")
            problem = _("raden för %(name)s går inte ihop med sin summa.") % {"name": name}
        else:
            name = months[index] if index < len(months) else _("radsummorna")
            problem = _("kolumnen %(name)s går inte ihop med sin summa.") % {"name": name}
        raise PackageError(
            _("%(where)s: %(problem)s Inget importerades.") % {"where": where, "problem": problem}
        )
    derivable = derivable_cells(grid)
    if derivable:
        i, j = derivable[0]
        site = rows[i]["site"] if i < len(rows) else _("kolumnsumma")
        period = months[j] if j < len(months) else _("årssumma")
        raise PackageError(
            _(
                "%(where)s: det dolda värdet för %(site)s, %(period)s kan räknas fram ur summorna – tabellen "
                "är inte skyddad. Inget importerades."
            )
            % {"where": where, "site": site, "period": period}
        )


def _parse_payload(payload) -> tuple[str, datetime, list]:
    _only(payload, {"format", "installation", "created_at", "suppression", "tables"}, _("Paketet"))
    if payload.get("format") != PAYLOAD_FORMAT:
        raise PackageError(_("Paketets innehåll har ett okänt format."))
    installation = payload.get("installation")
    if not isinstance(installation, str) or not installation.strip() or len(installation) > 200:
        raise PackageError(_("Paketet saknar installationens namn."))
    try:
        created_at = datetime.fromisoformat(str(payload.get("created_at")))
    except ValueError:
        raise PackageError(_("Paketets skapandetid är ogiltig.")) from None
    if timezone.is_naive(created_at):
        created_at = timezone.make_aware(created_at)
    tables = payload.get("tables")
    if not isinstance(tables, list):
        raise PackageError(_("Paketet saknar tabeller."))
    values: list[tuple[str, str, str, int | None]] = []
    seen: set[tuple[str, int]] = set()
    for number, table in enumerate(tables, start=1):
        where = _("Tabell %(n)s") % {"n": number}
        _only(table, {"indicator", "year", "months", "rows", "column_totals", "grand_total"}, where)
        indicator, year, months = table.get("indicator"), table.get("year"), table.get("months")
        if not isinstance(indicator, str) or indicator not in s.NATIONAL_INDICATORS:
            raise PackageError(_("%(where)s: okänd indikator.") % {"where": where})
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            raise PackageError(_("%(where)s: ogiltigt år.") % {"where": where})
        if (indicator, year) in seen:
            raise PackageError(_("%(where)s: samma indikator och år finns två gånger.") % {"where": where})
        seen.add((indicator, year))
        if (
            not isinstance(months, list)
            or not months
            or len(set(months)) != len(months)
            or not all(isinstance(m, str) and MONTH.fullmatch(m) and m[:4] == str(year) for m in months)
        ):
            raise PackageError(_("%(where)s: ogiltiga månader.") % {"where": where})
        rows, column_totals = table.get("rows"), table.get("column_totals")
        if (
            not isinstance(rows, list)
            or not isinstance(column_totals, list)
            or len(column_totals) != len(months)
        ):
            raise PackageError(_("%(where)s: rader eller kolumnsummor saknas.") % {"where": where})
        names = set()
        grid = []
        for row_number, row in enumerate(rows, start=1):
            row_where = _("%(where)s, rad %(n)s") % {"where": where, "n": row_number}
            _only(row, {"site", "values", "total"}, row_where)
            site, cells = row.get("site"), row.get("values")
            if not isinstance(site, str) or not site.strip() or len(site) > 120 or site in names:
                raise PackageError(_("%(where)s: ogiltigt eller upprepat platsnamn.") % {"where": row_where})
            names.add(site)
            if not isinstance(cells, list) or len(cells) != len(months):
                raise PackageError(_("%(where)s: fel antal månadsvärden.") % {"where": row_where})
            line = [_count(cell, f"{row_where}, {month}") for month, cell in zip(months, cells, strict=True)]
            line.append(_count(row.get("total"), row_where))
            grid.append(line)
            values.extend(
                (site, period, indicator, value)
                for period, value in zip([*months, str(year)], line, strict=True)
            )
        margin = [
            _count(cell, f"{where}, {month}") for month, cell in zip(months, column_totals, strict=True)
        ]
        margin.append(_count(table.get("grand_total"), where))
        grid.append(margin)
        values.extend(
            ("", period, indicator, value) for period, value in zip([*months, str(year)], margin, strict=True)
        )
        _check_table(grid, rows, months, where)
    return installation.strip(), created_at, values
