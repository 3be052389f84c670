"""The demo data of the complaints app: realistic, and safe to seed twice."""

from __future__ import annotations

import io

import pytest

from complaints.demo import seed
from complaints.holds import is_held
from complaints.models import Complaint, Disclosure, LegalHold
from contacts.models import Contact
from core.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_seed_creates_complaints_in_every_state_and_is_safe_to_run_twice(isannointi, retta_oy):
    users = {
        "agentti": make_user("agentti", Role.AGENT, [isannointi, retta_oy]),
        "kasittelija": make_user("kasittelija", Role.COMPLAINTS, [isannointi, retta_oy]),
        "tietosuoja": make_user("tietosuoja", Role.DPO, [isannointi, retta_oy]),
    }
    seed(users=users, stdout=io.StringIO())
    counts = (Complaint.all_controllers.count(), Contact.all_controllers.count(), Disclosure.all_controllers.count())
    seed(users=users, stdout=io.StringIO())
    assert (
        Complaint.all_controllers.count(),
        Contact.all_controllers.count(),
        Disclosure.all_controllers.count(),
    ) == counts
    assert set(Complaint.all_controllers.values_list("status", flat=True)) == {
        "received",
        "in_handling",
        "resolved",
        "closed",
    }
    assert LegalHold.all_controllers.count() == 1
    held = Complaint.all_controllers.get(subject__startswith="Vastikelaskussa")
    assert is_held(held) and held.complainant is not None
