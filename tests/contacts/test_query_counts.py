"""Lists run a constant number of SQL queries whatever the page size (STYLE.md, habit 5)."""

import pytest
from django.utils import timezone

from contacts.services import contact_record
from tests.factories import make_task

pytestmark = pytest.mark.django_db


def _fill(controller, count):  # type: ignore[no-untyped-def]
    task = make_task(controller)
    for i in range(count):
        contact_record(
            controller=controller,
            channel="call",
            occurred_at=timezone.now(),
            phone=f"040 100 {i:04d}",
            email=f"a{i}@example.fi",
            name=f"Asiakas {i}",
            task=task,
        )


@pytest.mark.parametrize("page_size", [2, 40])
def test_the_contact_list_api_runs_constant_queries(
    api_as, agent, isannointi, page_size, django_assert_max_num_queries
):
    _fill(isannointi, 40)
    client = api_as(agent)
    # Token and user, roles, memberships, the page, and one INSERT of audit events.
    with django_assert_max_num_queries(5):
        answer = client.get("/api/v1/contacts/", {"page_size": page_size})
    assert len(answer.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [2, 40])
def test_the_customer_list_api_runs_constant_queries(
    api_as, agent, isannointi, page_size, django_assert_max_num_queries
):
    _fill(isannointi, 40)
    client = api_as(agent)
    with django_assert_max_num_queries(7):
        answer = client.get("/api/v1/customers/", {"page_size": page_size})
    assert len(answer.json()["results"]) == page_size
