"""The one way a contact is created: identifiers normalised, customer matched per controller."""

import pytest
from django.utils import timezone

from contacts.models import Channel, Customer
from contacts.services import contact_record

pytestmark = pytest.mark.django_db


def test_contacts_with_the_same_phone_in_any_format_join_one_customer(isannointi):
    first = contact_record(
        controller=isannointi, channel=Channel.CALL, occurred_at=timezone.now(), phone="040 123 4567"
    )
    second = contact_record(
        controller=isannointi, channel=Channel.CALL, occurred_at=timezone.now(), phone="00358 40 1234567"
    )
    assert first.phone_e164 == second.phone_e164 == "+358401234567"
    assert first.customer_id == second.customer_id
    assert second.phone == "00358 40 1234567"


def test_the_same_email_at_the_other_controller_is_another_customer(isannointi, retta_oy):
    here = contact_record(
        controller=isannointi, channel=Channel.EMAIL, occurred_at=timezone.now(), email=" Maija@Example.FI "
    )
    there = contact_record(
        controller=retta_oy, channel=Channel.EMAIL, occurred_at=timezone.now(), email="maija@example.fi"
    )
    assert here.email_normalized == "maija@example.fi"
    assert here.customer_id != there.customer_id
    assert Customer.all_controllers.count() == 2


def test_a_task_of_the_other_controller_is_refused(isannointi, retta_oy):
    from tests.factories import make_task

    with pytest.raises(ValueError):
        contact_record(
            controller=isannointi,
            channel=Channel.CALL,
            occurred_at=timezone.now(),
            phone="0401234567",
            task=make_task(retta_oy),
        )
