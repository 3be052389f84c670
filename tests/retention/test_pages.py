"""The DPO's retention pages: dashboard, runs list, run detail, starting a run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from contacts.models import Contact
from core.roles import Role
from retention.deletion import keep_reason_labels
from retention.models import PurgeRun
from retention.selectors import record_type_labels
from tests.factories import make_contact, make_task, make_user
from tests.retention.factories import make_purge_run

pytestmark = pytest.mark.django_db(transaction=True)


def _fi(label) -> str:  # type: ignore[no-untyped-def]
    with translation.override("fi"):
        return str(label)


def _days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_dashboard_shows_ages_due_tonight_and_kept_with_reason(web_as, dpo, isannointi):
    make_contact(isannointi, occurred_at=_days_ago(200))
    make_contact(isannointi, occurred_at=_days_ago(10))
    make_contact(isannointi, occurred_at=_days_ago(300), task=make_task(isannointi))
    response = web_as(dpo).get(reverse("retention:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "<script" not in html.split("</head>")[1]
    assert "180" in html  # the retention line
    assert 'id="due-tonight"' in html
    assert _fi(keep_reason_labels()["open_task"]) in html and "open_task" not in html  # by name, not by code
    assert 'action="/retention/runs/start"' in html


def test_dashboard_counts_only_the_dpos_controllers(web_as, isannointi, retta_oy):
    dpo_oy = make_user("dpo-oy", Role.DPO, [retta_oy])
    make_contact(isannointi, occurred_at=_days_ago(300), restricted=True)
    html = web_as(dpo_oy).get(reverse("retention:dashboard")).content.decode()
    assert "restriction" not in html


def test_pages_need_login(client, db):
    for name in ("retention:dashboard", "retention:run_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login" in response["Location"]
    response = client.post(reverse("retention:run_start"))
    assert response.status_code == 302
    assert not PurgeRun.objects.exists()


def test_other_roles_get_403(web_as, agent):
    client = web_as(agent)
    assert client.get(reverse("retention:dashboard")).status_code == 403
    assert client.get(reverse("retention:run_list")).status_code == 403
    assert client.post(reverse("retention:run_start")).status_code == 403
    assert not PurgeRun.objects.exists()


def test_run_list_and_detail(web_as, dpo, isannointi):
    run = make_purge_run(isannointi, kept={"contacts.contact": {str(isannointi.pk): {"open_task": 2}}})
    client = web_as(dpo)
    listing = client.get(reverse("retention:run_list")).content.decode()
    assert reverse("retention:run_detail", args=[run.pk]) in listing
    detail = client.get(reverse("retention:run_detail", args=[run.pk]))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert _fi(record_type_labels()["contacts.contact"]) in html and _fi(keep_reason_labels()["open_task"]) in html
    assert "contacts.contact" not in html and "open_task" not in html


def test_run_of_the_other_controller_is_404(web_as, isannointi, retta_oy):
    run = make_purge_run(isannointi)
    dpo_oy = make_user("dpo-oy", Role.DPO, [retta_oy])
    assert web_as(dpo_oy).get(reverse("retention:run_detail", args=[run.pk])).status_code == 404
    assert web_as(dpo_oy).get(reverse("retention:run_detail", args=[999999])).status_code == 404


def test_the_start_form_defaults_to_a_dry_run(web_as, dpo):
    html = web_as(dpo).get(reverse("retention:dashboard")).content.decode()
    form = html.split('id="purge-start"')[1].split("</form>")[0]
    assert 'name="dry_run"' in form and "checked" in form


@pytest.mark.parametrize("data", [{}, {"dry_run": ""}, {"dry_run": "false"}])
def test_a_real_purge_is_not_started_without_confirmation(web_as, dpo, isannointi, data):
    make_contact(isannointi, occurred_at=_days_ago(200))
    response = web_as(dpo).post(reverse("retention:run_start"), data)
    assert response.status_code == 302 and response["Location"] == reverse("retention:run_confirm")
    assert not PurgeRun.objects.exists()
    assert Contact.all_controllers.count() == 1


def test_starting_a_dry_run(web_as, dpo, isannointi):
    make_contact(isannointi, occurred_at=_days_ago(200))
    response = web_as(dpo).post(reverse("retention:run_start"), {"dry_run": "on"})
    run = PurgeRun.objects.get()
    assert response["Location"] == reverse("retention:run_detail", args=[run.pk])
    assert run.dry_run
    assert Contact.all_controllers.count() == 1


def test_starting_while_a_run_is_in_progress_says_so(web_as, dpo, isannointi, monkeypatch):
    from retention import views
    from retention.purge import PurgeInProgress

    def busy(**kwargs):  # type: ignore[no-untyped-def]
        raise PurgeInProgress

    monkeypatch.setattr(views, "purge_run_request", busy)
    response = web_as(dpo).post(
        reverse("retention:run_start"), {"dry_run": "on"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "in progress" in response.content.decode()


def test_start_needs_post(web_as, dpo):
    assert web_as(dpo).get(reverse("retention:run_start")).status_code == 405
