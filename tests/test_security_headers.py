"""Security headers, a nonce-based CSP, and templates and assets that need no inline script or CDN."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

import gvi

PACKAGE = Path(gvi.__file__).parent


@pytest.mark.django_db
def test_pages_carry_security_headers_and_a_fresh_nonce():
    first = Client().get(reverse("access:login"))
    second = Client().get(reverse("access:login"))
    csp = first.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert directives["style-src"] == "'self'" and directives["object-src"] == "'none'"
    assert nonce not in second.headers["Content-Security-Policy"]
    html = first.content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag and "src=" in tag for tag in scripts)
    assert first.headers["X-Frame-Options"] == "DENY"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in first.headers["Permissions-Policy"]


def _template_files():
    return [path for path in PACKAGE.rglob("templates/**/*.html")]


def test_templates_have_no_inline_script_style_or_handlers():
    offenders = []
    for path in _template_files():
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{path}: inline <script>")
        if re.search(r"\sstyle=", text) or "<style" in text:
            offenders.append(f"{path}: inline style")
        if re.search(r"\son[a-z]+=", text):
            offenders.append(f"{path}: inline event handler")
    assert not offenders, offenders


def test_nothing_is_loaded_from_outside():
    external = re.compile(r"""(src|href)=["']?(https?:)?//""")
    offenders = [str(path) for path in _template_files() if external.search(path.read_text())]
    assert not offenders
    assert (PACKAGE / "static/gvi/vendor/htmx.min.js").stat().st_size > 10_000


def test_production_settings_are_hardened(monkeypatch):
    import importlib

    import gvi.settings as settings_module

    monkeypatch.setenv("GVI_PRODUCTION", "true")
    monkeypatch.setenv("GVI_SECRET_KEY", "x" * 60)
    monkeypatch.setenv("GVI_DEMO_MODE", "true")
    try:
        prod = importlib.reload(settings_module)
        assert prod.DEBUG is False and prod.DEMO_MODE is False and prod.GVI_REQUIRE_SECOND_FACTOR is True
        assert prod.SESSION_COOKIE_SECURE and prod.CSRF_COOKIE_SECURE and prod.SECURE_SSL_REDIRECT
        monkeypatch.delenv("GVI_SECRET_KEY")
        with pytest.raises(RuntimeError, match="GVI_SECRET_KEY"):
            importlib.reload(settings_module)
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


@pytest.mark.django_db
def test_the_app_serves_its_own_assets():
    client = Client()
    for path in ["/static/gvi/gvi.css", "/static/gvi/gvi.js", "/static/gvi/vendor/htmx.min.js"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].split(";")[0] in {
            "text/css",
            "text/javascript",
            "application/javascript",
        }


@pytest.mark.django_db
def test_swedish_first_with_an_english_switch():
    client = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert "Logga in" in client.get(reverse("access:login")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("access:login")).content.decode()
    assert 'lang="en"' in html and "Sign in" in html
