"""contacts/demo.py: realistic demo data for both controllers, safe to run twice."""

import io

import pytest

from contacts import demo
from contacts.models import Contact, EmailMessage, Task

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_both_controllers_once(agent, isannointi, retta_oy):
    out = io.StringIO()
    demo.seed(users={"agentti": agent}, stdout=out)
    count = Contact.all_controllers.count()
    assert Contact.all_controllers.filter(controller=isannointi).exists()
    assert Contact.all_controllers.filter(controller=retta_oy).exists()
    assert {"call", "email", "chat"} == set(Contact.all_controllers.values_list("channel", flat=True))
    assert EmailMessage.all_controllers.filter(html_body__contains="<script>").exists()
    assert Task.all_controllers.filter(status="open").exists() and Task.all_controllers.filter(status="closed").exists()
    demo.seed(users={"agentti": agent}, stdout=out)
    assert Contact.all_controllers.count() == count
