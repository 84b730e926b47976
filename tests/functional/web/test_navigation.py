"""The navigation shows each user exactly the pages that open for it: for every demo login (staff of every role,
companies' administrators and users) and the demo's contractor acting for its principal, every link of its
navigation answers 200, and every page of the menu it is not shown answers something else (403, or a redirect to
the page it is shown instead)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from capmarket.application import demo_market
from capmarket.domain.access.models import Delegation
from capmarket.domain.accounts.models import User
from capmarket.interfaces import access
from capmarket.interfaces.web.navigation import MENU, target

NOW = dt.datetime(2025, 4, 1, 0, 0, tzinfo=dt.UTC)
_NAV = re.compile(r'<nav class="sidenav"[^>]*>(.*?)</nav>', re.S)
_SHORTCUTS = re.compile(r'<div class="card toolbar" id="shortcuts">(.*?)</div>', re.S)
_HREF = re.compile(r'<a [^>]*href="([^"]+)"')


def _nav_links(client: Client) -> list[str]:
    """The links of the side navigation (and of the portal top's shortcuts, which must be among them)."""
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    nav, shortcuts = _NAV.search(html), _SHORTCUTS.search(html)
    assert nav is not None
    assert shortcuts is not None
    links = _HREF.findall(nav.group(1))
    assert set(_HREF.findall(shortcuts.group(1))) - set(links) == {"/password/"}
    return links


def _walk(client: Client, who: str) -> list[str]:
    """What is wrong for one login: a shown link that does not open, a hidden page that does."""
    shown = _nav_links(client)
    problems = [
        f"{who}: {path} shown, answers {code}" for path in shown if (code := client.get(path).status_code) != 200
    ]
    every = {target(link.url_name)[0] for group in MENU for link in group.links}
    problems += [
        f"{who}: {path} hidden, answers 200"
        for path in sorted(every - set(shown))
        if client.get(path).status_code == 200
    ]
    return problems


@pytest.mark.django_db
def test_every_demo_login_is_shown_only_the_pages_that_open_for_it(settings: Any) -> None:
    settings.CAPMARKET_REQUEST_LIMIT_PER_CLIENT = 100_000
    settings.CAPMARKET_REQUEST_LIMIT_PER_COMPANY = 100_000
    demo_market.build_demo_market(seed=1, scale="small", now=NOW)
    problems: list[str] = []
    sizes: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for login in demo_market.demo_logins():
        if (login.role, login.company_kind) in seen:
            continue  # the same role in the same kind of company is shown the same pages
        seen.add((login.role, login.company_kind))
        client = Client()
        client.force_login(User.objects.get(username=login.username))
        problems += _walk(client, login.username)
        sizes[login.username] = len(_nav_links(client))

    # the demo's contractor, acting for the company that delegated to it
    delegation = Delegation.objects.select_related("participant", "contractor").get()
    contractor_user = User.objects.filter(participant=delegation.contractor).order_by("username").first()
    assert contractor_user is not None
    client = Client()
    client.force_login(contractor_user)
    own = _nav_links(client)
    session = client.session
    session[access.ACTING_SESSION_KEY] = delegation.participant.participant_code
    session.save()
    problems += _walk(client, f"{contractor_user.username} acting for {delegation.participant.participant_code}")
    acting = _nav_links(client)

    assert problems == []
    assert "/predelivery/contract-documents/" not in acting  # contract documents stay with the company
    assert "/predelivery/expected-capacity/" in acting  # a delegated function
    assert len(acting) < len(own)  # acting for another company, it sees less than in its own
    assert sizes["demo-operator"] > sizes["demo-sysadmin"] > 0
