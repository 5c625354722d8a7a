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
