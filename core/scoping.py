"""Controller scoping: every read of personal data goes through one manager.

Policy P1: the two controllers are kept apart in every query. Rather than trusting each view to
add `.filter(controller=...)`, the default manager of every personal-data model filters by the
controllers of the *active scope*, and refuses to run at all when no scope is active. A view that
forgets scoping therefore fails loudly (a 500 in tests), it never leaks.

- Web and API requests: `ControllerScopeMiddleware` activates a scope that resolves lazily to the
  controllers granted to `request.user` (lazily, because DRF authenticates a token only inside
  the view).
- Jobs, commands and the privacy/retention machinery: `controller_scope(ids)` for a known set, or
  `unscoped()` where the code itself walks every controller (and scopes its own statements).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.db.models import QuerySet


class ScopeError(RuntimeError):
    """A personal-data query ran with no controller scope active."""


class _Unscoped:
    def __repr__(self) -> str:
        return "UNSCOPED"


UNSCOPED = _Unscoped()
ScopeValue = frozenset[int] | Callable[[], frozenset[int]] | _Unscoped

_active_scope: ContextVar[ScopeValue | None] = ContextVar("controller_scope", default=None)


def current_controller_ids() -> frozenset[int] | None:
    """The controller ids of the active scope; None when unscoped. Raises without a scope."""
    scope = _active_scope.get()
    if scope is None:
        raise ScopeError("No controller scope is active. Wrap the code in controller_scope(...) or unscoped().")
    if scope is UNSCOPED:
        return None
    if callable(scope):
        return scope()
    return scope  # type: ignore[return-value]


@contextlib.contextmanager
def controller_scope(controller_ids: Iterable[int] | Callable[[], frozenset[int]]) -> Iterator[None]:
    value: ScopeValue = controller_ids if callable(controller_ids) else frozenset(controller_ids)
    token = _active_scope.set(value)
    try:
        yield
    finally:
        _active_scope.reset(token)


@contextlib.contextmanager
def unscoped() -> Iterator[None]:
    """For code that deliberately works across controllers (purge, migrations, seeding)."""
    token = _active_scope.set(UNSCOPED)
    try:
        yield
    finally:
        _active_scope.reset(token)


class ControllerScopedQuerySet(models.QuerySet):
    def for_controller(self, controller: Any) -> QuerySet:
        return self.filter(controller=controller)

    def visible_to(self, user: Any) -> QuerySet:
        """The rows `user` may read: restricted records (art. 18) only for those who see them."""
        # Imported here: models import this module before the access rules and registry load.
        from core.restriction import restriction_visible

        return restriction_visible(self, user=user)


class ControllerScopedManager(models.Manager.from_queryset(ControllerScopedQuerySet)):  # type: ignore[misc]
    """The default manager of every personal-data model: filters by the active scope."""

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        controller_ids = current_controller_ids()
        if controller_ids is None:
            return queryset
        return queryset.filter(controller_id__in=controller_ids)

    def none(self) -> QuerySet:
        # An empty queryset reads nothing, so it needs no scope (the OpenAPI generator asks
        # the default manager of a filtered model for one, outside any request).
        return super().get_queryset().none()


class ControllerScopedModel(models.Model):
    """Base of every model holding personal data: it belongs to exactly one controller."""

    controller = models.ForeignKey(
        "core.Controller", on_delete=models.PROTECT, related_name="+", verbose_name=_("controller")
    )

    objects = ControllerScopedManager()
    # Unfiltered access for the deletion machinery, which scopes its own SQL by controller.
    all_controllers = models.Manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        abstract = True
        base_manager_name = "all_controllers"


def get_scoped_or_404(queryset_or_model: Any, **lookup: Any) -> Any:
    """Like get_object_or_404, through the scoped manager: other controllers' rows are 404."""
    queryset = queryset_or_model._default_manager.all() if isinstance(queryset_or_model, type) else queryset_or_model
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
