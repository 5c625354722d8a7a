"""Small-count suppression for statistics that leave a site.

Pure Python (no web framework). Two levels:

* `suppress` hides one count from 1 to 4 (primary suppression);
* `suppress_table` protects a whole two-way table that is published together with its row totals, column
  totals and grand total: after the primary suppression it adds secondary suppressions until no hidden
  cell can be worked out exactly from the published cells and totals.

How a hidden cell could be derived. Think of the table with its margins as an (m+1) x (n+1) grid in which
every line (row or column) sums to its margin cell. Put row nodes and column nodes in a bipartite graph
with one edge per hidden cell. A hidden cell's value follows exactly from the linear equations of the
table if and only if its edge lies on no cycle of that graph (it is a *bridge*): the equations leave a
hidden cell free exactly when it can be moved by +t/-t around a cycle of hidden cells. So the rule
"no line with exactly one hidden cell" (a single hidden cell in a line is a bridge) is necessary but not
enough; this module iterates both steps until every hidden cell is on a cycle:

1. every line with exactly one hidden cell gets a second one (its smallest published cell);
2. every remaining bridge gets a cycle: the smallest published cell joining its two sides.

Complementary cells are chosen smallest first, preferring non-zero counts (a hidden zero narrows what an
intruder must guess) and inner cells over totals.
"""

import math
from dataclasses import dataclass

SUPPRESSED = None  # shown as "1–4" / "–" in tables


def suppress(count: int, low: int = 1, high: int = 4) -> int | None:
    """Counts from `low` to `high` are hidden; zero and larger counts are published."""
    return SUPPRESSED if low <= count <= high else count


@dataclass(frozen=True)
class SuppressedTable:
    """A two-way table as published: None marks a hidden value.

    `primary[i][j]` and `secondary[i][j]` tell why a cell of the extended grid (cells, then row totals in
    the last column, column totals in the last row, grand total at the corner) is hidden.
    """

    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    grand_total: int | None
    primary: list[list[bool]]
    secondary: list[list[bool]]

    @property
    def secondary_count(self) -> int:
        return sum(sum(row) for row in self.secondary)


def extended_grid(cells: list[list[int]]) -> list[list[int]]:
    """The table with its row totals as an extra column and its column totals as an extra row."""
    n_cols = len(cells[0]) if cells else 0
    grid = [[*row, sum(row)] for row in cells]
    column_totals = [sum(row[j] for row in cells) for j in range(n_cols)]
    grid.append([*column_totals, sum(column_totals)])
    return grid


def suppress_table(cells: list[list[int]], low: int = 1, high: int = 4) -> SuppressedTable:
    """Primary and secondary suppression of a table of non-negative counts published with its totals."""
    if any(len(row) != len(cells[0]) for row in cells):
        raise ValueError("every row must have the same number of columns")
    if any(value < 0 for row in cells for value in row):
        raise ValueError("counts must be non-negative")
    if not cells or not cells[0]:
        return SuppressedTable([[] for _row in cells], [0] * len(cells), [], 0, [], [])
    grid = extended_grid(cells)
    rows, cols = len(grid), len(grid[0])
    primary = [[low <= grid[i][j] <= high for j in range(cols)] for i in range(rows)]
    hidden = [row[:] for row in primary]
    while True:
        if _fill_single_lines(grid, hidden):
            continue
        if _break_bridges(grid, hidden):
            continue
        break
    secondary = [[hidden[i][j] and not primary[i][j] for j in range(cols)] for i in range(rows)]
    published = [[None if hidden[i][j] else grid[i][j] for j in range(cols)] for i in range(rows)]
    return SuppressedTable(
        cells=[row[:-1] for row in published[:-1]],
        row_totals=[row[-1] for row in published[:-1]],
        column_totals=published[-1][:-1],
        grand_total=published[-1][-1],
        primary=primary,
        secondary=secondary,
    )


def _cost(grid, i: int, j: int) -> tuple:
    rows, cols = len(grid), len(grid[0])
    is_margin = i == rows - 1 or j == cols - 1
    return (grid[i][j] == 0, grid[i][j], is_margin, i, j)


def _fill_single_lines(grid, hidden) -> bool:
    """Give every line with exactly one hidden cell a second hidden cell. True if anything changed."""
    rows, cols = len(grid), len(grid[0])
    changed = False
    lines = [[(i, j) for j in range(cols)] for i in range(rows)]
    lines += [[(i, j) for i in range(rows)] for j in range(cols)]
    for line in lines:
        if sum(hidden[i][j] for i, j in line) != 1:
            continue
        candidates = [(i, j) for i, j in line if not hidden[i][j]]
        if candidates:
            i, j = min(candidates, key=lambda cell: _cost(grid, *cell))
            hidden[i][j] = True
            changed = True
    return changed


def _break_bridges(grid, hidden) -> bool:
    """Put the first bridge of the hidden-cell graph on a cycle. True if anything changed."""
    rows, cols = len(grid), len(grid[0])
    edges = [(i, j) for i in range(rows) for j in range(cols) if hidden[i][j]]
    for bridge in _bridges(rows, cols, edges):
        row_side, col_side = _sides(rows, edges, bridge)
        # A published cell joining a node on the row's side to a node on the column's side closes a cycle
        # through the bridge (row nodes are 0..rows-1, column nodes rows..rows+cols-1).
        candidates = [
            (i, j)
            for i in range(rows)
            for j in range(cols)
            if not hidden[i][j]
            and ((i in row_side and rows + j in col_side) or (i in col_side and rows + j in row_side))
        ]
        if candidates:
            i, j = min(candidates, key=lambda cell: _cost(grid, *cell))
            hidden[i][j] = True
            return True
    return False


def _adjacency(rows: int, cols: int, edges) -> dict[int, list[tuple[int, int]]]:
    adjacency: dict[int, list[tuple[int, int]]] = {node: [] for node in range(rows + cols)}
    for index, (i, j) in enumerate(edges):
        adjacency[i].append((rows + j, index))
        adjacency[rows + j].append((i, index))
    return adjacency


def _bridges(rows: int, cols: int, edges) -> list[tuple[int, int]]:
    """Bridges of the bipartite graph (row nodes, column nodes, one edge per hidden cell); iterative DFS."""
    adjacency = _adjacency(rows, cols, edges)
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    found = []
    counter = 0
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack = [(root, -1, iter(adjacency[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for neighbour, edge in neighbours:
                if edge == via:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = counter
                    counter += 1
                    stack.append((neighbour, edge, iter(adjacency[neighbour])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.append(edges[via])
    return found


def _sides(rows: int, edges, bridge: tuple[int, int]) -> tuple[set[int], set[int]]:
    """The node sets reached from the bridge's row node and from its column node without crossing it."""
    cols = 1 + max(j for _i, j in edges)
    adjacency = _adjacency(rows, cols, [edge for edge in edges if edge != bridge])

    def reach(start: int) -> set[int]:
        seen, todo = {start}, [start]
        while todo:
            for neighbour, _edge in adjacency.get(todo.pop(), []):
                if neighbour not in seen:
                    seen.add(neighbour)
                    todo.append(neighbour)
        return seen

    return reach(bridge[0]), reach(rows + bridge[1])


def derivable_cells(grid: list[list[int | None]]) -> list[tuple[int, int]]:
    """The hidden cells (None) of a published extended grid (cells, row totals in the last column, column
    totals in the last row, grand total at the corner) that follow exactly from what is published: the
    bridges of the hidden-cell graph. A protected table has none."""
    if not grid or not grid[0]:
        return []
    rows, cols = len(grid), len(grid[0])
    edges = [(i, j) for i in range(rows) for j in range(cols) if grid[i][j] is None]
    return sorted(_bridges(rows, cols, edges))


def inconsistent_lines(grid: list[list[int | None]]) -> list[tuple[str, int]]:
    """Lines of a published extended grid whose published cells cannot add up to their published total:
    ("row", i) or ("column", j). With no hidden cell the cells must sum to the total; with hidden cells
    (each at least 0) their published cells may not exceed it."""
    bad = []
    if not grid or not grid[0]:
        return bad
    lines = [("row", i, grid[i]) for i in range(len(grid))]
    lines += [("column", j, [row[j] for row in grid]) for j in range(len(grid[0]))]
    for kind, index, line in lines:
        *cells, total = line
        if total is None:
            continue
        known = sum(cell for cell in cells if cell is not None)
        if (None in cells and known > total) or (None not in cells and known != total):
            bad.append((kind, index))
    return bad


# ----- Year-to-date versions and nested indicators (issue 18) -----------------------------------------
#
# The national table of a year is published again every month (year to date). Suppressing each version on
# its own lets an intruder difference consecutive versions (this month's site total minus last month's is
# the new month's cell). The protection below makes the published system of all versions no richer than a
# set of independent month columns:
#
# * only complete months are published, and each month's cells are protected once, as a column of all
#   sites and all indicators together with that month's totals; the pattern depends on that month's
#   counts only, so every later version carries it forward unchanged;
# * a site's year-to-date total is published only where every one of its months in the version is
#   published (so it adds no equation about a hidden cell), and the grand total only where every month
#   total is;
# * indicators that are subsets of each other (lethal and shootings within serious) are protected
#   together: where a cell is hidden, its subsets' non-zero cells at the same site and month are hidden
#   too, and the month's pattern is checked with a linear-programming audit that knows the nesting
#   (each hidden cell's feasible interval must not pin it, nor lie inside low..high); a failing cell gets
#   one more complementary suppression in its column until the audit passes.

# sum(subsets) <= superset at every site and month. Shootings and explosions are disjoint incident types.
NESTING = (
    (("lethal",), "serious"),
    (("shootings",), "serious"),
    (("explosions",), "serious"),
    (("shootings", "explosions"), "serious"),
)


def lp_intervals(n_vars: int, equalities, inequalities, targets) -> dict[int, tuple[float, float]]:
    """Feasible interval of each target variable given linear equalities and inequalities (<=) and x >= 0.

    `equalities` and `inequalities` are lists of ({variable: coefficient}, right-hand side)."""
    from scipy.optimize import linprog

    def matrix(rows):
        if not rows:
            return None, None
        a = [[0.0] * n_vars for _row in rows]
        for k, (coefficients, _rhs) in enumerate(rows):
            for var, coefficient in coefficients.items():
                a[k][var] += coefficient
        return a, [float(rhs) for _c, rhs in rows]

    a_eq, b_eq = matrix(equalities)
    a_ub, b_ub = matrix(inequalities)
    out = {}
    for var in targets:
        c = [0.0] * n_vars
        bounds = []
        for sign in (1.0, -1.0):
            c[var] = sign
            result = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            if result.status == 3:  # unbounded
                bounds.append(math.inf if sign < 0 else 0.0)
            elif result.status != 0:
                raise ValueError(f"infeasible audit system ({result.message})")
            else:
                bounds.append(sign * result.fun)
        out[var] = (bounds[0], bounds[1])
    return out


def interval_discloses(interval: tuple[float, float], low: int = 1, high: int = 4) -> bool:
    """A hidden cell is disclosed when its feasible interval pins it or lies inside low..high."""
    lower, upper = interval
    return upper - lower < 0.5 or (lower >= low - 1e-9 and upper <= high + 1e-9)


@dataclass(frozen=True)
class ProtectedMonth:
    """One month's published cells per indicator (None = hidden) and its totals per indicator."""

    cells: dict[str, list[int | None]]
    totals: dict[str, int | None]


def protect_month(
    counts: dict[str, list[int]], nesting=NESTING, low: int = 1, high: int = 4
) -> ProtectedMonth:
    """Protect one month of every indicator together: `counts[indicator][site]`."""
    indicators = list(counts)
    n_sites = len(next(iter(counts.values()))) if counts else 0
    nesting = [(subs, sup) for subs, sup in nesting if sup in counts and all(s in counts for s in subs)]
    hidden = {ind: [low <= v <= high for v in counts[ind]] for ind in indicators}
    total_hidden = {ind: low <= sum(counts[ind]) <= high for ind in indicators}  # a small total too

    supersets = {ind: {sup for subs, sup in nesting if ind in subs} for ind in indicators}

    def forced_zero(ind: str, k: int) -> bool:
        """A zero under a zero superset: hiding it would hide nothing (it cannot be anything but 0)."""
        return counts[ind][k] == 0 and any(counts[sup][k] == 0 for sup in supersets[ind])

    def hide_complement(ind: str) -> bool:
        candidates = [k for k in range(n_sites) if not hidden[ind][k] and not forced_zero(ind, k)]
        if candidates:
            k = min(candidates, key=lambda k: (counts[ind][k] == 0, counts[ind][k], k))
            hidden[ind][k] = True
            return True
        if not total_hidden[ind]:
            total_hidden[ind] = True
            return True
        return False

    for _round in range(4 * n_sites * max(len(indicators), 1) + 4):
        changed = False
        for subs, sup in nesting:  # a hidden superset cell hides its subsets' non-zero cells
            for k in range(n_sites):
                if hidden[sup][k]:
                    for sub in subs:
                        if counts[sub][k] and not hidden[sub][k]:
                            hidden[sub][k] = changed = True
        for ind in indicators:  # no column with exactly one hidden cell
            if sum(hidden[ind]) == 1 and not total_hidden[ind]:
                changed = hide_complement(ind) or changed
        if changed:
            continue
        failing = _month_audit_failures(counts, hidden, total_hidden, nesting, low, high)
        if not failing:
            break
        for ind in dict.fromkeys(ind for ind, _k in failing):
            changed = hide_complement(ind) or changed
        if not changed:
            break
    return ProtectedMonth(
        cells={
            ind: [None if hidden[ind][k] else counts[ind][k] for k in range(n_sites)] for ind in indicators
        },
        totals={ind: None if total_hidden[ind] else sum(counts[ind]) for ind in indicators},
    )


def _month_audit_failures(counts, hidden, total_hidden, nesting, low, high) -> list[tuple[str, int]]:
    indicators = list(counts)
    n_sites = len(counts[indicators[0]])
    index = {(ind, k): i * n_sites + k for i, ind in enumerate(indicators) for k in range(n_sites)}
    targets = [index[(ind, k)] for ind in indicators for k in range(n_sites) if hidden[ind][k]]
    if not targets:
        return []
    equalities = [
        ({index[(ind, k)]: 1.0}, counts[ind][k])
        for ind in indicators
        for k in range(n_sites)
        if not hidden[ind][k]
    ]
    equalities += [
        ({index[(ind, k)]: 1.0 for k in range(n_sites)}, sum(counts[ind]))
        for ind in indicators
        if not total_hidden[ind]
    ]
    inequalities = [
        ({**{index[(sub, k)]: 1.0 for sub in subs}, index[(sup, k)]: -1.0}, 0.0)
        for subs, sup in nesting
        for k in range(n_sites)
    ]
    intervals = lp_intervals(len(index), equalities, inequalities, targets)
    reverse = {v: key for key, v in index.items()}
    return [reverse[var] for var, interval in intervals.items() if interval_discloses(interval, low, high)]


@dataclass(frozen=True)
class YearVersion:
    """The year-to-date table of every indicator as published after `months` complete months."""

    months: int
    cells: dict[str, list[list[int | None]]]  # indicator -> site -> month (the first `months` months)
    row_totals: dict[str, list[int | None]]
    column_totals: dict[str, list[int | None]]
    grand_totals: dict[str, int | None]


def year_version(
    monthly: list[dict[str, list[int]]], months: int, nesting=NESTING, low: int = 1, high: int = 4,
    protected: list[ProtectedMonth] | None = None,
) -> YearVersion:  # fmt: skip
    """The version published after `months` complete months; `monthly[m][indicator][site]` are the
    counts. Each month is protected on its own (`protect_month`), so earlier months are the same in every
    later version; `protected` may pass those already computed."""
    protected = protected or [protect_month(monthly[m], nesting, low, high) for m in range(months)]
    protected = protected[:months]
    indicators = list(monthly[0]) if monthly else []
    n_sites = len(monthly[0][indicators[0]]) if indicators else 0
    cells, row_totals, column_totals, grand = {}, {}, {}, {}
    for ind in indicators:
        table = [[protected[m].cells[ind][k] for m in range(months)] for k in range(n_sites)]
        cells[ind] = table
        row_totals[ind] = [None if any(v is None for v in row) else sum(row) for row in table]
        column_totals[ind] = [protected[m].totals[ind] for m in range(months)]
        grand[ind] = (
            None
            if any(v is None for v in column_totals[ind])
            else sum(sum(monthly[m][ind]) for m in range(months))
        )
    return YearVersion(months, cells, row_totals, column_totals, grand)


def audit_versions(
    monthly: list[dict[str, list[int]]], versions, nesting=NESTING, low: int = 1, high: int = 4
) -> list[tuple[str, int, int, tuple[float, float]]]:
    """LP audit of every published version together: each cell hidden in any version, with its feasible
    interval from all published cells and totals of all versions and the nesting; the disclosed ones
    (pinned or inside low..high) are returned as (indicator, site, month index, interval)."""
    indicators = list(monthly[0])
    n_sites = len(monthly[0][indicators[0]])
    n_months = len(monthly)
    index = {
        (ind, k, m): (i * n_sites + k) * n_months + m
        for i, ind in enumerate(indicators)
        for k in range(n_sites)
        for m in range(n_months)
    }
    equalities, hidden = [], set()
    for version in versions:
        for ind in indicators:
            for k in range(n_sites):
                for m in range(version.months):
                    value = version.cells[ind][k][m]
                    if value is None:
                        hidden.add((ind, k, m))
                    else:
                        equalities.append(({index[(ind, k, m)]: 1.0}, value))
                if version.row_totals[ind][k] is not None:
                    equalities.append(
                        ({index[(ind, k, m)]: 1.0 for m in range(version.months)}, version.row_totals[ind][k])
                    )
            for m in range(version.months):
                if version.column_totals[ind][m] is not None:
                    equalities.append(
                        ({index[(ind, k, m)]: 1.0 for k in range(n_sites)}, version.column_totals[ind][m])
                    )
            if version.grand_totals[ind] is not None:
                equalities.append(
                    (
                        {index[(ind, k, m)]: 1.0 for k in range(n_sites) for m in range(version.months)},
                        version.grand_totals[ind],
                    )
                )
    inequalities = [
        ({**{index[(sub, k, m)]: 1.0 for sub in subs}, index[(sup, k, m)]: -1.0}, 0.0)
        for subs, sup in nesting
        if sup in indicators and all(s in indicators for s in subs)
        for k in range(n_sites)
        for m in range(n_months)
    ]
    # cells published in one version and hidden in another are disclosed outright
    targets = sorted(index[key] for key in hidden)
    intervals = lp_intervals(len(index), equalities, inequalities, targets)
    reverse = {v: key for key, v in index.items()}
    return [
        (*reverse[var], interval)
        for var, interval in intervals.items()
        if interval_discloses(interval, low, high)
    ]
