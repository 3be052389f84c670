"""Every page (tests/ui_pages.py) in Chromium: a screenshot at 1366×768 and at 390×844 (a phone),
no horizontal scrolling at 1366, no serious or critical axe-core violation, and a visible focus.

The screenshots are kept under test-artifacts/screenshots/ (`.ci/run` keeps them as the run's
artefacts): `<page>-<persona>-1366.png` and `<page>-<persona>-390.png`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from tests.browser.conftest import ARTIFACTS
from tests.core.test_pages_translated import client_as
from tests.ui_pages import PAGES, Page, page_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
BLOCKING = {"serious", "critical"}


def axe_violations(browser_page) -> list[dict]:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(browser_page, options={"resultTypes": ["violations"]})
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING]


def describe(violations: list[dict]) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:5]]}" for v in violations]


@pytest.fixture
def personas(agent, colleague, dpo, admin_user):  # type: ignore[no-untyped-def]
    admin_user.is_staff = True  # as the role service sets it: the Django admin is for administrators
    admin_user.save(update_fields=["is_staff"])
    return {"agent": agent, "colleague": colleague, "dpo": dpo, "admin": admin_user}


def open_as(browser, live_server, page: Page, personas, world, viewport):  # type: ignore[no-untyped-def]
    """A browser tab logged in as the page's persona (the session made by Django's test client)."""
    client = client_as(page, Client(), personas)
    context = browser.new_context(viewport=viewport, locale="fi-FI", bypass_csp=True)
    cookies = [{"name": "django_language", "value": "fi", "url": live_server.url}]
    if "sessionid" in client.cookies:
        cookies.append({"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url})
    context.add_cookies(cookies)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    response = tab.goto(live_server.url + page.url(world))
    assert response is not None and response.status == 200, f"{page.url(world)}: {response and response.status}"
    tab.wait_for_load_state("networkidle")
    return context, tab


@pytest.mark.parametrize("page", PAGES, ids=[p.slug + "-" + p.role for p in PAGES])
def test_page_fits_the_screen_and_passes_axe(page, browser, live_server, personas, isannointi):
    world = page_world(isannointi, personas)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = f"{page.slug}-{page.role}"

    context, tab = open_as(browser, live_server, page, personas, world, DESKTOP)
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{name}-1366.png"), full_page=True)
        widths = tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        violations = axe_violations(tab)
    finally:
        context.close()
    phone, tab = open_as(browser, live_server, page, personas, world, PHONE)
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
    finally:
        phone.close()

    assert widths[0] <= widths[1], f"{page.url(world)} scrolls sideways at 1366: {widths[0]}px wide"
    assert not violations, f"{page.url(world)}: {describe(violations)}"
    assert Path(ARTIFACTS / f"{name}-390.png").stat().st_size > 0


@pytest.mark.parametrize("name", ["contacts:contact_list", "privacy:request_new"])
def test_keyboard_focus_is_visible(name, browser, live_server, personas, isannointi):
    """Tabbing to a link, button or field draws an outline (or a ring) around it."""
    page = next(p for p in PAGES if p.name == name)
    world = page_world(isannointi, personas)
    context, tab = open_as(browser, live_server, page, personas, world, DESKTOP)
    try:
        seen = []
        for _ in range(12):
            tab.keyboard.press("Tab")
            seen.append(
                tab.evaluate(
                    """() => {
                      const e = document.activeElement, s = getComputedStyle(e);
                      return {tag: e.tagName, outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
                              ring: s.boxShadow !== 'none'};
                    }"""
                )
            )
    finally:
        context.close()
    focused = [s for s in seen if s["tag"] not in {"BODY", "HTML"}]
    assert focused, "nothing took the keyboard focus"
    assert all(s["outline"] or s["ring"] for s in focused), focused
