"""The ``grupper`` import: groups at the importer's site."""

from django.utils.translation import gettext as _

from gvi.groups.importers.columns import GROUP_STATUS, GROUPS, SMALLINT_MAX, TIERS, _echo
from gvi.groups.importers.rows import Row, _Importer
from gvi.groups.models import NAMES_CHECKED, Group
from gvi.groups.services import create_group, default_review_date
from gvi.importing.text import name_key, normalise_name


class _GroupImporter(_Importer):
    kind = GROUPS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every name at the site (not only the visible ones: names are unique per site), by `name_key`.
        self.names = {
            name_key(name)
            for name in Group.unscoped_all_sites.filter(site_id=self.site_id).values_list("name", flat=True)
        }

    def import_row(self, row: Row) -> str | None:
        data = {
            "name": row.text("namn", required=True),
            "aliases": row.text("andra_namn"),
            "area": row.text("omrade"),
            "status": row.choice("status", GROUP_STATUS, "aktiv, vilande, upplost") or Group.Status.ACTIVE,
            "size_min": row.integer("storlek_fran", 0, SMALLINT_MAX),
            "size_max": row.integer("storlek_till", 0, SMALLINT_MAX),
            "violence_tier": row.choice("valdsniva", TIERS, "1, 2, 3, 4") or Group.Tier.LOW,
            "sources": row.text("kallor"),
            "next_review": row.date("nasta_granskning") or default_review_date(False, self.today),
        }
        if row.errors:
            return None
        data["name"] = normalise_name(data["name"])
        if name_key(data["name"]) in self.names:
            row.error(_("gruppen '%(name)s' finns redan på platsen") % {"name": _echo(data["name"])})
            return None
        token = NAMES_CHECKED.set(True)
        try:
            group = create_group(self.user, data, site_id=self.site_id)
        finally:
            NAMES_CHECKED.reset(token)
        self.names.add(name_key(group.name))
        return group.name
