"""Primary and secondary suppression: no published count 1–4, and no hidden cell derivable from totals.

Two independent attackers check every table: one solves line by line (a row or column with one unknown
left gives it away, repeated until nothing more follows), one uses linear algebra (a hidden cell is
determined exactly when the null space of the table's equations is zero at it). No database.
"""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gvi.analysis import suppression as sup
from gvi.analysis.suppression import extended_grid, suppress, suppress_table


def test_module_is_free_of_django():
    assert "django" not in Path(sup.__file__).read_text().lower()


def test_single_counts():
    assert [suppress(n) for n in range(7)] == [0, None, None, None, None, 5, 6]


def published_grid(table) -> list[list[int | None]]:
    grid = [[*row, total] for row, total in zip(table.cells, table.row_totals, strict=True)]
    grid.append([*table.column_totals, table.grand_total])
    return grid


def _lines(rows: int, cols: int):
    """Each line as (inner cells, margin cell) of the extended grid."""
    for i in range(rows):
        yield [(i, j) for j in range(cols - 1)], (i, cols - 1)
    for j in range(cols):
        yield [(i, j) for i in range(rows - 1)], (rows - 1, j)


def derive_line_by_line(grid) -> dict[tuple[int, int], int]:
    """What an intruder works out from published cells and totals by solving lines with one unknown."""
    known = {(i, j): v for i, row in enumerate(grid) for j, v in enumerate(row) if v is not None}
    rows, cols = len(grid), len(grid[0])
    derived = {}
    progress = True
    while progress:
        progress = False
        for inner, margin in _lines(rows, cols):
            unknown = [cell for cell in [*inner, margin] if cell not in known]
            if len(unknown) != 1:
                continue
            (cell,) = unknown
            inner_sum = sum(known[c] for c in inner if c in known)
            value = inner_sum if cell == margin else known[margin] - inner_sum
            known[cell] = derived[cell] = value
            progress = True
    return derived


def determined_by_linear_algebra(grid) -> set[tuple[int, int]]:
    """Hidden cells whose value the table's equations fix exactly (any combination of lines)."""
    rows, cols = len(grid), len(grid[0])
    unknowns = [(i, j) for i in range(rows) for j in range(cols) if grid[i][j] is None]
    if not unknowns:
        return set()
    index = {cell: k for k, cell in enumerate(unknowns)}
    equations = []
    for inner, margin in _lines(rows, cols):
        row = np.zeros(len(unknowns))
        for cell in inner:
            if cell in index:
                row[index[cell]] += 1
        if margin in index:
            row[index[margin]] -= 1
        if row.any():
            equations.append(row)
    if not equations:
        return set()
    a = np.array(equations)
    _u, singular, vt = np.linalg.svd(a)
    rank = int((singular > 1e-9).sum())
    null_space = vt[rank:].T  # columns span the null space
    if null_space.size == 0:
        return set(unknowns)
    return {cell for cell, k in index.items() if np.allclose(null_space[k], 0, atol=1e-9)}


def assert_protected(cells, table):
    grid = published_grid(table)
    truth = extended_grid(cells)
    for row in grid:
        for value in row:
            assert value is None or value == 0 or value >= 5, f"published small count {value}"
    for i, row in enumerate(grid):  # published values are the true ones
        for j, value in enumerate(row):
            assert value is None or value == truth[i][j]
    derived = derive_line_by_line(grid)
    assert not derived, f"derivable from totals: {derived}"
    assert not determined_by_linear_algebra(grid)


def test_one_hidden_cell_in_a_row_gets_a_partner():
    cells = [[3, 10, 12], [20, 30, 40]]
    table = suppress_table(cells)
    assert table.cells[0][0] is None
    assert_protected(cells, table)
    assert table.secondary_count >= 3  # a lone cell needs a rectangle of four


def test_zero_table_and_large_table_publish_everything():
    assert suppress_table([[0, 0], [0, 0]]).cells == [[0, 0], [0, 0]]
    big = [[10, 20], [30, 40]]
    table = suppress_table(big)
    assert table.cells == big and table.row_totals == [30, 70] and table.grand_total == 100
    assert table.secondary_count == 0


def test_single_row_table_hides_the_matching_column_total():
    cells = [[2, 7, 9, 0]]
    table = suppress_table(cells)
    assert table.cells[0][0] is None and table.column_totals[0] is None
    assert_protected(cells, table)


def test_a_bridge_between_two_protected_blocks_is_broken():
    # Two 2x2 blocks of small counts plus one small cell linking them: every line has two hidden cells,
    # but the linking cell would still follow from the equations without a further suppression.
    cells = [
        [1, 2, 3, 20, 20],
        [2, 1, 20, 20, 20],
        [20, 20, 20, 1, 2],
        [20, 20, 20, 2, 1],
    ]
    assert_protected(cells, suppress_table(cells))


def test_empty_and_ragged_input():
    assert suppress_table([]).cells == []
    with pytest.raises(ValueError):
        suppress_table([[1, 2], [3]])
    with pytest.raises(ValueError):
        suppress_table([[-1]])


tables = st.integers(1, 6).flatmap(
    lambda n_cols: st.lists(
        st.lists(st.integers(0, 12), min_size=n_cols, max_size=n_cols), min_size=1, max_size=6
    )
)


@settings(max_examples=300, deadline=None)
@given(tables)
def test_property_no_small_count_published_and_none_derivable(cells):
    assert_protected(cells, suppress_table(cells))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([0, 0, 0, 1, 2, 5, 8, 30]), min_size=12, max_size=12), min_size=1, max_size=4
    )
)
def test_property_month_tables_with_many_zeros(cells):
    assert_protected(cells, suppress_table(cells))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda n: st.lists(st.lists(st.integers(1, 9), min_size=n, max_size=n), min_size=2, max_size=5)
    )
)
def test_property_no_hidden_cell_pinned_even_with_non_negativity(cells):
    """With only positive counts, no hidden cell is pinned to one value by totals plus x >= 0."""
    from scipy.optimize import linprog

    table = suppress_table(cells)
    grid = published_grid(table)
    rows, cols = len(grid), len(grid[0])
    unknowns = [(i, j) for i in range(rows) for j in range(cols) if grid[i][j] is None]
    if not unknowns:
        return
    index = {cell: k for k, cell in enumerate(unknowns)}
    a_eq, b_eq = [], []
    for inner, margin in _lines(rows, cols):
        row = np.zeros(len(unknowns))
        rhs = 0.0
        for cell in inner:
            if cell in index:
                row[index[cell]] += 1
            else:
                rhs -= grid[cell[0]][cell[1]]
        if margin in index:
            row[index[margin]] -= 1
        else:
            rhs += grid[margin[0]][margin[1]]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    for cell, k in index.items():
        objective = np.zeros(len(unknowns))
        objective[k] = 1
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None)).fun
        upper = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None))
        high = float("inf") if upper.status == 3 else -upper.fun  # 3: unbounded above
        assert high - low > 0.5, f"{cell} pinned to {low}"
