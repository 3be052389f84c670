"""Controller scoping (P1): one manager filters every personal-data query."""

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from contacts.models import Channel, Contact
from core.middleware import ControllerScopeMiddleware
from core.scoping import ScopeError, controller_scope, get_scoped_or_404, unscoped

pytestmark = pytest.mark.django_db


def _contact(controller, subject="Vuokrasopimus"):
    return Contact.objects.create(
        controller=controller, channel=Channel.CALL, occurred_at=timezone.now(), subject=subject
    )


def test_a_query_without_scope_refuses_to_run(isannointi):
    _contact(isannointi)
    token_free = Contact.objects  # the manager itself is fine; running a query is not
    from core.scoping import _active_scope

    reset = _active_scope.set(None)
    try:
        with pytest.raises(ScopeError):
            list(token_free.all())
    finally:
        _active_scope.reset(reset)


def test_scope_shows_only_its_controllers_rows(isannointi, retta_oy):
    mine = _contact(isannointi)
    theirs = _contact(retta_oy)
    with controller_scope([isannointi.pk]):
        assert list(Contact.objects.values_list("pk", flat=True)) == [mine.pk]
        assert get_scoped_or_404(Contact, pk=mine.pk) == mine
        with pytest.raises(Http404):
            get_scoped_or_404(Contact, pk=theirs.pk)
    with unscoped():
        assert Contact.objects.count() == 2


def test_user_of_one_controller_gets_404_for_the_others_record(isannointi, retta_oy, outsider):
    theirs = _contact(isannointi)
    request = RequestFactory().get("/")
    request.user = outsider

    def view(request):
        return get_scoped_or_404(Contact, pk=theirs.pk)

    with pytest.raises(Http404):
        ControllerScopeMiddleware(view)(request)


def test_anonymous_request_sees_nothing(isannointi):
    _contact(isannointi)
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    counts = []

    def view(request):
        counts.append(Contact.objects.count())
        return None

    ControllerScopeMiddleware(view)(request)
    assert counts == [0]


def test_malformed_lookup_is_404_not_500(isannointi):
    with controller_scope([isannointi.pk]), pytest.raises(Http404):
        get_scoped_or_404(Contact, pk="not-a-number")
