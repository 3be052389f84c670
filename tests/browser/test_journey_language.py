"""A user logs in and switches the UI between Finnish, Swedish and English."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_language_switcher_changes_the_ui_to_swedish_and_finnish(login, agent, live_server):
    page = login("agent")
    assert page.locator("html").get_attribute("lang") == "fi"
    page.click("form.langswitch button[value=sv]")
    page.wait_for_selector("html[lang=sv]")
    assert "Logga ut" in page.inner_text("header")
    page.click("form.langswitch button[value=en]")
    page.wait_for_selector("html[lang=en]")
    assert "Log out" in page.inner_text("header")
    page.click("form.langswitch button[value=fi]")
    page.wait_for_selector("html[lang=fi]")
    assert "Kirjaudu ulos" in page.inner_text("header")


def test_no_script_runs_inline_and_the_page_has_no_console_errors(login, agent, live_server):
    page = login("agent")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert not [e for e in errors if "Content Security Policy" in e], errors
