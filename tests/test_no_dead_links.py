"""No link that ends in "Ingen behörighet": every link a role is shown on its start page and on the main
list pages opens for that role (GET only; forms and actions are covered by the access matrix)."""

import re

import pytest
from django.test import Client

from tests.factories import verified_login

pytestmark = pytest.mark.django_db

PAGES = [
    "/", "/personer/", "/grupper/", "/incidenter/", "/sanktioner/", "/stormoten/", "/enskilda-samtal/",
    "/enskilda-samtal/forslag/", "/aterkoppling/", "/stod/", "/moten/", "/uppgifter/", "/utlamnanden/",
]  # fmt: skip
SKIP = re.compile(r"^/(static/|logga-ut|konto/logga-ut|admin/|kalender/)|\.(pdf|csv|xlsx|ics)$")


def _links(html: str) -> set[str]:
    return {
        href.split("#")[0].replace("&amp;", "&")
        for href in re.findall(r'<a\s[^>]*href="(/[^"]*)"', html)
        if not SKIP.search(href.split("?")[0])
    } - {""}


def test_every_link_shown_opens_for_the_role(world):
    failures = []
    for role, user in world.users.items():
        client = verified_login(Client(), user)
        seen: set[str] = set()
        for page in PAGES:
            response = client.get(page)
            if response.status_code != 200:
                continue  # a page the role cannot open is not shown to it (checked by the matrix)
            for link in sorted(_links(response.content.decode()) - seen):
                seen.add(link)
                status = client.get(link).status_code
                if status == 403:
                    failures.append(f"{role}: {page} links to {link} (403)")
    assert not failures, "\n".join(failures)
