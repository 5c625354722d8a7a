"""A register extract as a PDF (reportlab), in Swedish, built with gvi.web.pdf (the standard fonts:
nothing fetched or embedded). Withheld items are not dropped: each is a line
saying that information has been withheld and on what ground."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table

from gvi.dataprotection.selectors import ACCESS_LOG_KEY
from gvi.partnership.selectors import display_name
from gvi.web.pdf import BOLD, build_document, grid_table, styles
from gvi.web.pdf import paragraph as _p


def _styles() -> dict:
    s = styles()
    s["h3"] = ParagraphStyle("h3", parent=s["h3"], spaceAfter=2)
    s["withheld"] = ParagraphStyle("withheld", parent=s["body"], fontName=BOLD)
    return s


def _when(value) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value else "–"


def _table(rows, s, widths):
    return grid_table(rows, widths)


def _withheld_line(ground: str, s) -> Paragraph:
    return _p(
        _("Uppgifter har undantagits från utdraget. Grund: %(ground)s") % {"ground": ground}, s["withheld"]
    )


def _facts(content, extract, organisation, s) -> Table:
    rows = [
        (_("Personuppgiftsansvarig"), organisation.name),
        (_("Plats"), extract.site.name),
        (_("Avser"), content.person.alias),
        (_("Framställt av"), display_name(extract.produced_by)),
        (_("Framställt"), _when(extract.produced_at)),
        (_("Skäl"), extract.reason),
        (_("Ärende- eller diarienummer"), extract.reference or "–"),
    ]
    return _table([[_p(a, s["cell_bold"]), _p(b, s["cell"])] for a, b in rows], s, [55 * mm, None])


def _sections(content, withheld, s) -> list:
    flow = []
    for section in content.sections:
        flow.append(_p(section.title, s["h2"]))
        if not section.items:
            flow.append(_p(_("Inga uppgifter av det här slaget."), s["body"]))
            continue
        for item in section.items:
            if item.key in withheld:
                flow.append(KeepTogether([_p(section.title, s["h3"]), _withheld_line(withheld[item.key], s)]))
                continue
            rows = [[_p(label, s["cell_bold"]), _p(value, s["cell"])] for label, value in item.rows]
            flow.append(KeepTogether([_p(item.title, s["h3"]), _table(rows, s, [55 * mm, None])]))
    return flow


def _reads(content, withheld, s) -> list:
    flow = [_p(_("Vem har tagit del av uppgifterna"), s["h2"])]
    if ACCESS_LOG_KEY in withheld:
        return [*flow, _withheld_line(withheld[ACCESS_LOG_KEY], s)]
    if not content.reads:
        return [*flow, _p(_("Ingen läsning är loggad."), s["body"])]
    header = [_("Tidpunkt"), _("Användare"), _("Organisation"), _("Åtgärd")]
    rows = [[_p(text, s["cell_bold"]) for text in header]]
    for row in content.reads:
        rows.append(
            [
                _p(_when(row.at), s["cell"]),
                _p(row.username, s["cell"]),
                _p(content.organisation_names.get(row.organisation_id_logged, "–"), s["cell"]),
                _p(row.get_action_display(), s["cell"]),
            ]
        )
    return [*flow, grid_table(rows, [32 * mm, 40 * mm, None, 35 * mm], header=True)]


def build_extract_pdf(
    content, *, extract, organisation, withheld: dict[str, str], compress: bool = True
) -> bytes:
    s = _styles()
    title = _("Registerutdrag")
    story = [
        _p(title, s["title"]),
        _p(_("Enligt artikel 15 i dataskyddsförordningen och 5 kap. brottsdatalagen"), s["body"]),
        Spacer(1, 3 * mm),
        _facts(content, extract, organisation, s),
        Spacer(1, 3 * mm),
        _p(
            _(
                "Utdraget omfattar de uppgifter som %(org)s behandlar om personen i GVI-plattformen. Andra "
                "organisationer i samverkan är själva personuppgiftsansvariga för sina uppgifter och besvarar "
                "en begäran om dem."
            )
            % {"org": organisation.name},
            s["body"],
        ),
    ]
    if withheld:
        story.append(
            _p(
                _("%(n)s uppgifter har undantagits. Varje undantag anges på sin plats med grunden för det.")
                % {"n": len(withheld)},
                s["body"],
            )
        )
    story += _sections(content, withheld, s)
    story += _reads(content, withheld, s)
    return build_document(
        story,
        title=title,
        footer=f"{title} – {organisation.name} – {_when(extract.produced_at)}",
        author=organisation.name,
        subject=title,
        compress=compress,
    )
