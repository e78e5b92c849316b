"""The battle map's body (挂图作战): the kept counts :func:`selectors.battle_map` reads,
arranged as a row per unit under a column per area with totals (:func:`build_map`), and
drawn in Python (:class:`MapCells`) with its words translated and its addresses reversed
once a page. :func:`views.battle_map_view` asks the selectors and renders the page around
it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from accounts.models import Unit
from config.markup import escape, join_safe
from config.markup import format_html_fast as html_fast

from . import selectors


@dataclass
class MapRow:
    """One row of the battle map: a unit's own items (``own``) or the whole subtree under a
    unit, with an (area, cell) per area and its totals. ``drill``: its own map opens (units
    lie under it)."""

    unit: Unit
    own: bool
    drill: bool
    cells: list[tuple[Any, dict[str, Any] | None]]
    totals: dict[str, Any]


LIGHT_KEYS = selectors.LIGHT_KEYS


def _worst(counts: dict[str, Any]) -> str:
    """The worst light among counts ("" for an empty cell)."""
    for light in ("red", "yellow", "green"):
        if counts.get(light):
            return light
    return "none" if counts.get("total") else ""


#: A map cell's counts by light: (key, CSS class suffix, short label's msgid).
MAP_COUNTS = (("red", "red"), ("yellow", "yellow"), ("green", "green"), ("none", "none"))


class MapCells:
    """Draws the battle map's body in Python, its words translated and its addresses
    reversed once a page: through the template, a county's 37 rows by 6 areas were most of
    its map's time at a province (a cell's counts, its link and its title each a handful of
    look-ups and tags)."""

    def __init__(self, campaign_pk: int) -> None:
        self.short = {
            "red": pgettext("short", "red"),
            "yellow": pgettext("short", "yellow"),
            "green": pgettext("short", "green"),
            "none": pgettext("short", "set aside"),
        }
        self.items_url = reverse("ledger:item-list")
        self.map_url = f"{reverse('ledger:map')}?campaign={campaign_pk}&unit="
        self.no_items = _("no items")
        self.empty = html_fast(_MAP_EMPTY, label=self.no_items)
        # Each light's opening markup with its word, escaped once a page; a total's words
        # translated once for each number met.
        self._opening = {
            key: html_fast(_MAP_COUNT_OPEN, css, self.short[key]) for key, css in MAP_COUNTS
        }
        self._totals: dict[Any, SafeString] = {}

    def _total(self, total: Any) -> SafeString:
        found = self._totals.get(total)
        if found is None:
            words = ngettext("%(counter)s item", "%(counter)s items", total)
            found = self._totals[total] = html_fast("{}", words % {"counter": total})
        return found

    def counts(self, counts: dict[str, Any]) -> SafeString:
        """A cell's counts: each light's short label and number, then the total."""
        opening = self._opening
        parts = "".join(
            f"{opening[key]}{escape(counts[key])}</span>" for key, _css in MAP_COUNTS if counts[key]
        )
        return SafeString(_MAP_CELL_COUNTS.format(parts, self._total(counts["total"])))

    def row(self, row: MapRow) -> SafeString:
        """One unit's ``<tr>``: its name (to its items, or to its own map when units lie
        under it), a cell per area and its total."""
        unit = row.unit
        name = unit.short_name or unit.name
        param = "unit_only" if row.own else "unit"
        if row.own:
            head = html_fast(
                _MAP_LINK,
                f"{self.items_url}?unit_only={unit.pk}",
                _("%(name)s (own items)") % {"name": name},
            )
        elif row.drill:
            head = html_fast(
                _MAP_DRILL,
                url=f"{self.map_url}{unit.pk}",
                title=_("Battle map of %(name)s and the units under it") % {"name": unit.name},
                name=name,
            )
        else:
            head = html_fast(_MAP_LINK, f"{self.items_url}?unit={unit.pk}", name)
        cells = join_safe(
            html_fast(
                _MAP_CELL,
                worst=counts["worst"],
                url=f"{self.items_url}?{param}={unit.pk}&area={area.pk}",
                title=f"{unit.name} · {area.name}",
                counts=counts["html"],
            )
            if counts
            else self.empty
            for area, counts in row.cells
        )
        return html_fast(
            _MAP_ROW,
            name=unit.name,
            head=head,
            cells=cells,
            worst=row.totals["worst"],
            url=f"{self.items_url}?{param}={unit.pk}",
            totals=row.totals["html"],
        )


_MAP_COUNT_OPEN = '<span class="app-n-{}">{}'
_MAP_CELL_COUNTS = '<span class="app-map-counts">{}</span><span class="app-map-total">{}</span>'
_MAP_EMPTY = '<td class="app-map-cell app-map-empty"><span aria-label="{label}">—</span></td>'
_MAP_LINK = '<a href="{}">{}</a>'
_MAP_DRILL = (
    '<a href="{url}" title="{title}">{name} <i class="bi bi-chevron-right small"'
    ' aria-hidden="true"></i></a>'
)
_MAP_CELL = (
    '<td class="app-map-cell app-map-{worst}">\n<a href="{url}" title="{title}">{counts}</a></td>'
)
_MAP_ROW = """<tr>
<th scope="row" class="app-map-unit" title="{name}">{head}</th>
{cells}
<td class="app-map-cell app-map-sum app-map-{worst}"><a href="{url}" title="{name}">{totals}\
</a></td>
</tr>
"""


def build_map(
    cells: list[dict[str, Any]],
    areas: list[Any],
    units: dict[str, Unit],
    under: str | None,
    draw: MapCells,
) -> dict[str, Any]:
    """Arrange :func:`selectors.battle_map` cells as rows (the shown unit's own items first,
    then each unit under it, its subtree summed) under area columns, with totals per row,
    per area and overall (no queries); the rows drawn (``body``) by ``draw``."""
    column = {area.pk: index for index, area in enumerate(areas)}
    rows: dict[str, MapRow] = {}
    column_totals: list[dict[str, Any]] = [dict.fromkeys(LIGHT_KEYS, 0) for _area in areas]
    grand: dict[str, Any] = dict.fromkeys(LIGHT_KEYS, 0)
    for cell in cells:
        index = column.get(cell["ledger__area"])
        unit = units.get(cell["branch"])
        if index is None or unit is None:
            continue
        row = rows.get(unit.path)
        if row is None:
            own = unit.path == under
            row = rows[unit.path] = MapRow(
                unit=unit,
                own=own,
                drill=not own and unit.numchild > 0,
                cells=[(area, None) for area in areas],
                totals=dict.fromkeys(LIGHT_KEYS, 0),
            )
        counts = {key: cell[key] for key in LIGHT_KEYS}
        counts["worst"] = _worst(counts)
        row.cells[index] = (areas[index], counts)
        for key in LIGHT_KEYS:
            row.totals[key] += cell[key]
            column_totals[index][key] += cell[key]
            grand[key] += cell[key]
    for row in rows.values():
        row.totals["worst"] = _worst(row.totals)
        row.totals["html"] = draw.counts(row.totals)
        for _area, drawn in row.cells:
            if drawn:
                drawn["html"] = draw.counts(drawn)
    for totals in column_totals:
        totals["worst"] = _worst(totals)
        totals["html"] = draw.counts(totals)
    grand["worst"] = _worst(grand)
    grand["html"] = draw.counts(grand)
    return {
        "rows": list(rows.values()),
        "body": join_safe(draw.row(row) for row in rows.values()),
        "column_totals": list(zip(areas, column_totals, strict=True)),
        "grand": grand,
    }
