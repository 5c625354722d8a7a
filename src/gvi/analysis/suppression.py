"""Small-count suppression for statistics that leave a site."""

SUPPRESSED = None  # shown as "1–4" / "–" in tables


def suppress(count: int, low: int = 1, high: int = 4) -> int | None:
    """Counts from `low` to `high` are hidden; zero and larger counts are published."""
    return SUPPRESSED if low <= count <= high else count
