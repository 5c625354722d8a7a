"""`env_bool`: a switch is `true` or `false` (or `1`/`0`); any other value refuses to start."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from gvi.settings import env_bool

NAME = "GVI_TEST_SWITCH"


@pytest.mark.parametrize("value", ["true", "TRUE", "True", " true ", "1"])
def test_true_values(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    assert env_bool(NAME) is True
    assert env_bool(NAME, default=False) is True


@pytest.mark.parametrize("value", ["false", "FALSE", "False", "0"])
def test_false_values(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    assert env_bool(NAME, default=True) is False


@pytest.mark.parametrize("value", [None, "", "  "])
def test_unset_or_empty_gives_the_default(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(NAME, raising=False)
    else:
        monkeypatch.setenv(NAME, value)
    assert env_bool(NAME) is False
    assert env_bool(NAME, default=True) is True


@pytest.mark.parametrize("value", ["yes", "on", "no", "off", "ture", "2", "sant"])
def test_other_values_are_refused_naming_variable_and_value(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_bool(NAME, default=True)
    assert NAME in str(refused.value)
    assert repr(value) in str(refused.value)
