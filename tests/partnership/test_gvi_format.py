"""One number format and words instead of codes (gvi.numbers, the gvi_format template filters)."""

import pytest
from django.template import Context, Template
from django.utils import translation

from gvi.numbers import format_number, signed
from gvi.partnership.templatetags.gvi_format import (
    audit_changes,
    history_kind,
    pct,
    record_type_label,
    role_label,
)


@pytest.mark.parametrize(
    ("value", "decimals", "swedish", "english"),
    [
        (75000000, None, "75\u00a0000\u00a0000", "75,000,000"),
        (-2.4, 1, "\u22122,4", "\u22122.4"),
        (39.8, None, "39,8", "39.8"),
        (1234.5678, 2, "1\u00a0234,57", "1,234.57"),
        (-0.04, 1, "0,0", "0.0"),
        (None, None, "–", "–"),
    ],
)
def test_numbers_in_swedish_and_english(value, decimals, swedish, english):
    with translation.override("sv"):
        assert format_number(value, decimals) == swedish
    with translation.override("en"):
        assert format_number(value, decimals) == english


def test_signed_changes_and_percentages():
    with translation.override("sv"):
        assert signed(3) == "+3"
        assert signed(-2.44, 1) == "\u22122,4"
        assert signed(0) == "0"
        assert pct(-2.4, 1) == "\u22122,4\u00a0%"
        html = Template("{% load gvi_format %}{{ v|num }} kr · {{ c|signed }}").render(
            Context({"v": 75000000, "c": -5})
        )
        assert html == "75\u00a0000\u00a0000 kr · \u22125"


def test_codes_become_words():
    with translation.override("sv"):
        assert role_label("caseworker") == "Socialsekreterare"
        assert role_label("unknown-role") == "unknown-role"
        assert record_type_label("support.supportcase").lower().startswith("stöd")
        assert record_type_label("person") == "person"
        assert history_kind("+") == "Skapad"
        assert history_kind("~") == "Ändrad"
        names = [name for name, _ in audit_changes({"group": {"added": 1}, "groupmembership": {"added": 2}})]
        assert names[0] == "Grupper" and "groupmembership" not in names
    with translation.override("en"):
        assert history_kind("+") == "Created"
        assert role_label("caseworker") == "Caseworker"


def test_impact_readings_follow_the_readers_language():
    """The impact module is free of the web framework; the platform gives it gettext and the number format."""
    import math

    from gvi.analysis import impact

    unclear = impact.Estimate(0.9, 0.75, 1.08, math.log(0.9), 0.1, 0.3)
    with translation.override("en"):
        assert impact.change_sentence(unclear) == (
            "After the GVI start the number fell by an estimated 10 % (95 % CI \u22128 to +25 %)."
            " The interval includes “no change”, so the change cannot be told apart from chance."
        )
        assert impact.change_sentence(unclear, "comparison").startswith("Compared with the comparison areas")
    with translation.override("sv"):
        assert "(95 % KI \u22128 till +25 %)" in impact.change_sentence(unclear)
