"""A follow-up round as CSV (semicolon, UTF-8 with BOM, for Excel) and as PDF (gvi.web.pdf, landscape, the
standard fonts). Both hold what the round page shows: identifiers only, never record content. Each
export is a row in the access-log chain."""

import csv
import io
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from gvi.access.models import AccessLog
from gvi.access.services import append_log_entry
from gvi.groups.exports import neutralise
from gvi.logreview.flags import KIND_LABELS
from gvi.logreview.selectors import person_aliases
from gvi.logreview.services import dpo_membership_for
from gvi.partnership.templatetags.gvi_format import record_type_label, role_label
from gvi.web.pdf import build_document, grid_table, styles
from gvi.web.pdf import paragraph as _p


def _when(value) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i:s") if value else ""


def _sample(followup):
    rows = list(AccessLog.objects.filter(seq__in=followup.sample_seqs).order_by("seq"))
    return rows, person_aliases([followup.organisation_id], rows)


def _identifier(row, aliases) -> str:
    alias = aliases.get(row.record_id) if row.record_type == "groups.person" else None
    return f"{row.record_id} ({alias})" if alias else row.record_id


def _flag_text(flag) -> str:
    detail = flag.get("detail") or {}
    parts = [str(KIND_LABELS.get(flag["kind"], flag["kind"]))]
    if detail.get("record_type"):
        parts.append(f"{record_type_label(detail['record_type'])} {detail.get('record_id', '')}")
    if detail.get("persons"):
        parts.append(_("%(n)s personer") % {"n": detail["persons"]})
    if detail.get("count"):
        parts.append(_("%(n)s läsningar") % {"n": detail["count"]})
    return " · ".join(parts)


def _facts(followup) -> list[tuple[str, str]]:
    return [
        (_("Organisation"), followup.organisation.name),
        (_("Period"), f"{followup.period_start:%Y-%m-%d} – {followup.period_end:%Y-%m-%d}"),
        (_("Påbörjad"), f"{_when(followup.created_at)} {followup.created_by.get_username()}"),
        (_("Loggrader i perioden"), str(followup.row_count)),
        (_("Läsningar i perioden"), str(followup.read_count)),
        (_("Stickprov"), str(len(followup.sample_seqs))),
        (_("Flaggor"), str(len(followup.flags))),
        (
            _("Signerad"),
            f"{_when(followup.signed_at)} {followup.signed_by.get_username()}"
            if followup.is_signed
            else _("Ej signerad"),
        ),
        (_("Anteckning"), followup.note or "–"),
    ]


def _log_export(user, followup, what: str) -> None:
    append_log_entry(
        user, followup, AccessLog.Action.EXPORT, what, dpo_membership_for(user, followup.organisation_id)
    )


@transaction.atomic
def round_csv(user, followup) -> str:
    _log_export(user, followup, "CSV")
    rows, aliases = _sample(followup)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([_("Logguppföljning")])
    for label, value in _facts(followup):
        writer.writerow([label, neutralise(value)])
    writer.writerow([])
    writer.writerow([_("Flaggor")])
    writer.writerow([_("Flagga"), _("Användare"), _("Första tidpunkt"), _("Löpnummer")])
    for flag in followup.flags:
        first = datetime.fromisoformat(flag["first_at"])
        writer.writerow(
            [
                _flag_text(flag),
                neutralise(flag["username"]),
                _when(first),
                " ".join(str(seq) for seq in flag["seqs"]),
            ]
        )
    writer.writerow([])
    writer.writerow([_("Stickprov")])
    writer.writerow(
        [
            _("Löpnummer"),
            _("Tidpunkt"),
            _("Användare"),
            _("Roll"),
            _("Posttyp"),
            _("Post-id"),
            _("Åtgärd"),
            _("Ändamål"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.seq,
                _when(row.at),
                neutralise(row.username),
                role_label(row.role),
                record_type_label(row.record_type),
                neutralise(_identifier(row, aliases)),
                row.get_action_display(),
                neutralise(row.purpose),
            ]
        )
    return "\ufeff" + buffer.getvalue()


@transaction.atomic
def round_pdf(user, followup, *, compress: bool = True, invariant: bool = False) -> bytes:
    _log_export(user, followup, "PDF")
    rows, aliases = _sample(followup)
    s = styles()
    title = _("Logguppföljning %(org)s, %(start)s – %(end)s") % {
        "org": followup.organisation.short_name,
        "start": f"{followup.period_start:%Y-%m-%d}",
        "end": f"{followup.period_end:%Y-%m-%d}",
    }
    facts = grid_table(
        [[_p(label, s["cell_bold"]), _p(value, s["cell"])] for label, value in _facts(followup)],
        [50 * mm, None],
    )
    flow: list = [_p(title, s["title"]), facts, _p(_("Flaggor"), s["h2"])]
    if followup.flags:
        table = [
            [
                _p(text, s["cell_bold"])
                for text in (_("Flagga"), _("Användare"), _("Första tidpunkt"), _("Löpnummer"))
            ]
        ]
        for flag in followup.flags:
            first = datetime.fromisoformat(flag["first_at"])
            seqs = ", ".join(str(seq) for seq in flag["seqs"][:40]) + (" …" if len(flag["seqs"]) > 40 else "")
            table.append(
                [
                    _p(_flag_text(flag), s["cell"]),
                    _p(flag["username"], s["cell"]),
                    _p(_when(first), s["cell"]),
                    _p(seqs, s["cell"]),
                ]
            )
        flow.append(grid_table(table, [90 * mm, 40 * mm, 35 * mm, None], header=True))
    else:
        flow.append(_p(_("Inga flaggor i perioden."), s["body"]))
    flow.append(_p(_("Stickprov"), s["h2"]))
    if rows:
        header = (
            _("Löpnummer"),
            _("Tidpunkt"),
            _("Användare"),
            _("Roll"),
            _("Posttyp"),
            _("Post-id"),
            _("Åtgärd"),
            _("Ändamål"),
        )
        table = [[_p(text, s["cell_bold"]) for text in header]]
        for row in rows:
            values = (
                row.seq,
                _when(row.at),
                row.username,
                role_label(row.role),
                record_type_label(row.record_type),
                _identifier(row, aliases),
                row.get_action_display(),
                row.purpose,
            )
            table.append([_p(value, s["cell"]) for value in values])
        widths = [18 * mm, 32 * mm, 30 * mm, 30 * mm, 35 * mm, 30 * mm, 30 * mm, None]
        flow.append(grid_table(table, widths, header=True))
    else:
        flow.append(_p(_("Inga läsningar i perioden."), s["body"]))
    flow.append(Spacer(1, 4 * mm))
    return build_document(
        flow,
        title=title,
        footer=title,
        pagesize=landscape(A4),
        margin=15 * mm,
        top_margin=15 * mm,
        footer_y=8 * mm,
        author="GVI",
        invariant=invariant,
        compress=compress,
    )
