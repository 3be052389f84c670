"""Browser journeys: Playwright drives Debian's Chromium against a live server.

Skipped, with the reason, only when Chromium or Playwright is not installed (`.ci/run`
installs both). A screenshot of each journey's last page is saved under test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - reported as a skip below
    sync_playwright = None

# Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are
# synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = None
    if sync_playwright is None:
        reason = "needs Playwright for Python (pip install playwright)"
    elif not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        reason = "needs Chromium (apt-get install chromium)"
    if reason:
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(locale="fi-FI", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def login(page: Page, live_server):  # type: ignore[no-untyped-def]
    def as_user(username: str, password: str = "correct horse battery") -> Page:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit].primary")
        # Home, or the inbox for an agent (settings.HOME_OF_ROLE).
        page.wait_for_url(re.compile(rf"^{re.escape(live_server.url)}/(contacts/inbox/)?$"))
        return page

    return as_user


@pytest.fixture
def eager_locmem(settings):  # type: ignore[no-untyped-def]
    """Replies are sent in-process (as without a broker) into Django's locmem outbox."""
    from retta_cs.celery import app

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
