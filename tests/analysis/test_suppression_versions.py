"""Issue 18: year-to-date national tables published every month, and nested indicators, audited with
linear programming across every published version (scipy.optimize.linprog). No database."""

import numpy as np
import pytest

from gvi.analysis import suppression as sp

INDICATORS = ("serious", "lethal", "shootings", "explosions")


def simulated_year(seed: int, bases=(14.0, 3.0, 2.0, 1.0, 0.5)) -> list[dict[str, list[int]]]:
    """Twelve months of counts per site: serious incidents, of which some lethal, and shootings and
    explosions (disjoint types within serious)."""
    rng = np.random.default_rng(seed)
    year = []
    for _month in range(12):
        serious = [int(rng.poisson(base)) for base in bases]
        lethal = [int(rng.binomial(n, 0.25)) for n in serious]
        split = [rng.multinomial(n, [0.4, 0.2, 0.4]) for n in serious]
        year.append(
            {
                "serious": serious,
                "lethal": lethal,
                "shootings": [int(s[0]) for s in split],
                "explosions": [int(s[1]) for s in split],
            }
        )
    return year


def old_versions(monthly):
    """What the platform published before: each year-to-date version and indicator suppressed on its own
    (primary and secondary suppression against the version's own totals)."""
    versions = []
    n_sites = len(monthly[0]["serious"])
    for months in range(1, 13):
        cells, rows, columns, grand = {}, {}, {}, {}
        for ind in INDICATORS:
            table = sp.suppress_table([[monthly[m][ind][k] for m in range(months)] for k in range(n_sites)])
            cells[ind], rows[ind], columns[ind], grand[ind] = (
                table.cells,
                table.row_totals,
                table.column_totals,
                table.grand_total,
            )
        versions.append(sp.YearVersion(months, cells, rows, columns, grand))
    return versions


def test_lp_intervals_know_a_pinned_cell_and_a_free_one():
    # x0 + x1 = 7, x1 = 3 published -> x0 pinned at 4; x2 + x3 = 6 -> each in [0, 6]
    intervals = sp.lp_intervals(4, [({0: 1, 1: 1}, 7), ({1: 1}, 3), ({2: 1, 3: 1}, 6)], [], [0, 2])
    assert intervals[0] == pytest.approx((4, 4)) and intervals[2] == pytest.approx((0, 6))
    assert sp.interval_discloses(intervals[0]) and not sp.interval_discloses(intervals[2])
    assert sp.interval_discloses((1.0, 4.0)) and not sp.interval_discloses((0.0, 4.0))


def test_the_old_suppression_is_recovered_by_differencing_versions():
    """The positive control: the audit finds what the issue measured (most hidden cells recovered)."""
    disclosed = sp.audit_versions(simulated_year(1), old_versions(simulated_year(1)))
    assert len(disclosed) > 20


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_hidden_cell_can_be_derived_from_all_versions_and_indicators_together(seed):
    monthly = simulated_year(seed)
    protected = [sp.protect_month(month) for month in monthly]
    versions = [sp.year_version(monthly, months, protected=protected) for months in range(1, 13)]
    # a month once published keeps its pattern and values in every later version
    for earlier, later in zip(versions, versions[1:], strict=False):
        for ind in INDICATORS:
            assert all(
                row[: earlier.months] == old
                for row, old in zip(later.cells[ind], earlier.cells[ind], strict=True)
            )
    published = [v for version in versions for ind in INDICATORS for row in version.cells[ind] for v in row]
    assert all(v is None or v == 0 or v >= 5 for v in published)
    assert any(v is None for v in published)
    assert sp.audit_versions(monthly, versions) == []


def test_nested_indicators_are_protected_together():
    """Three sites in one month: serious 2, 6, 2 and shootings 2, 6, 0. Protected one by one, serious hides
    its two small cells (their sum is 4) and shootings hides 2 and its complement 6 (sum 8). Shootings at
    the second site is at most its published serious 6, so the first site's shootings is at least 2, and at
    most its serious, at most 4: inside 1–4. Protected together, the audit finds no such cell."""
    month = {"serious": [2, 6, 2], "lethal": [0, 0, 0], "shootings": [2, 6, 0], "explosions": [0, 0, 0]}
    one_by_one = {}
    for ind, values in month.items():
        table = sp.suppress_table([[v] for v in values])  # each indicator's month column on its own
        one_by_one[ind] = [row[0] for row in table.cells]
    separate = sp.YearVersion(
        1,
        {ind: [[v] for v in values] for ind, values in one_by_one.items()},
        {ind: [None] * 3 for ind in month},
        {ind: [sum(month[ind])] for ind in month},
        {ind: sum(month[ind]) for ind in month},
    )
    assert sp.audit_versions([month], [separate]) != []  # separately protected, the nesting pins cells
    joint = sp.year_version([month], 1)
    assert sp.audit_versions([month], [joint]) == []
