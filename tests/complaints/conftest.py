from __future__ import annotations

import pytest

from core.roles import Role
from tests.factories import make_user


@pytest.fixture
def handler(isannointi):  # type: ignore[no-untyped-def]
    """A complaint handler at Retta Isännöinti Oy (the `colleague` of the shared fixtures)."""
    return make_user("handler", Role.COMPLAINTS, [isannointi])


@pytest.fixture
def other_handler(retta_oy):  # type: ignore[no-untyped-def]
    """A complaint handler at Retta Oy only: Isännöinti's complaints are 404 to them."""
    return make_user("other-handler", Role.COMPLAINTS, [retta_oy])
