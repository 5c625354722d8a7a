"""The whole demo city: the city itself, then each module's fictional records on top of it."""

import random
from datetime import date

from django.db import transaction
from django.utils import timezone

from gvi.demo.accounts import KRONOFOGDEN_ACCOUNT
from gvi.demo.city import load_demo_city
from gvi.demo.communication import load_demo_communication
from gvi.demo.evaluation import load_demo_surveys
from gvi.demo.sanctions import load_demo_sanctions
from gvi.demo.support_cases import load_demo_support_cases


@transaction.atomic
def load_demo(seed: int = 2026, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    summary = load_demo_city(seed=seed, today=today)
    rng = random.Random(seed + 1)
    summary["support"] = load_demo_support_cases(today, rng)
    summary["communication"] = load_demo_communication(today, rng)
    summary["sanctions"] = load_demo_sanctions(today, rng)
    summary["surveys"] = load_demo_surveys(today)
    return summary


def extra_accounts() -> list[dict]:
    """Accounts a module adds beyond one per role (shown with the demo logins)."""
    return [KRONOFOGDEN_ACCOUNT]
