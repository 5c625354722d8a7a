"""gvi.formatting: the one number format of pages, charts, readings and the PDF report."""

import subprocess
import sys
from decimal import Decimal

import pytest

from gvi.formatting import kronor, number, percent

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "kwargs", "text"),
    [
        (Decimal("39.80"), {}, "39,8"),
        (39.8, {}, "39,8"),
        (75_000_000, {}, f"75{NB}000{NB}000"),
        (1234, {}, f"1{NB}234"),
        (999, {}, "999"),
        (-2.4, {}, "\u22122,4"),
        (-28, {"sign": True}, "\u221228"),
        (6, {"sign": True}, "+6"),
        (0, {"sign": True}, "0"),
        (-0.04, {"decimals": 1}, "0,0"),  # never "−0,0"
        (2.345, {"decimals": 2}, "2,35"),
        (None, {}, "–"),
        (1234.5, {"language": "en"}, "1,234.5"),
    ],
)
def test_number(value, kwargs, text):
    assert number(value, **kwargs) == text


def test_percent_and_kronor():
    assert percent(-2.4, 1) == f"\u22122,4{NB}%"
    assert percent(21) == f"21{NB}%"
    assert kronor(75_000_000) == f"75{NB}000{NB}000{NB}kr"
    assert kronor(None) == "–"


def test_formatting_and_chart_geometry_import_no_django():
    code = "import sys, gvi.formatting, gvi.analysis.charts; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
