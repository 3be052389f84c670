"""The API's one URL convention (DESIGN.md, Interfaces), for every app's `api_urls`.

Lists and records are documented with a trailing slash (`/contacts/`, `/contacts/{id}/`), actions
and single endpoints without (`/tasks/{id}/close`, `/inbound/email`), as DESIGN.md writes them.
Every route also answers in the other form, served by the same view with no redirect: a client
redirected after a POST loses its body. Only the documented form is in the OpenAPI schema and
what `reverse()` gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path, re_path
from rest_framework.routers import DynamicRoute, SimpleRouter


def _alias_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """The same DRF view made again, left out of the schema (`schema=None`)."""
    initkwargs = {**view.initkwargs, "schema": None}  # type: ignore[attr-defined]
    actions = getattr(view, "actions", None)
    if actions is not None:  # a viewset's view: the same method map
        return view.cls.as_view(actions, **initkwargs)  # type: ignore[attr-defined]
    return view.cls.as_view(**initkwargs)  # type: ignore[attr-defined]


def _other_slash(regex: str) -> str:
    """`^x/$` → `^x$` and back."""
    body = regex.removesuffix("$")
    return f"{body[:-1]}$" if body.endswith("/") else f"{body}/$"


class ApiRouter(SimpleRouter):
    """The router of every app's API: lists and records with a slash, actions without, and each
    route answering in both forms (see the module). URL names and basenames as SimpleRouter's."""

    routes = [
        route._replace(url=route.url.replace("{url_path}{trailing_slash}", "{url_path}"))
        if isinstance(route, DynamicRoute)
        else route
        for route in SimpleRouter.routes
    ]

    def get_urls(self) -> list[URLPattern]:
        urls: list[URLPattern] = []
        for documented in super().get_urls():
            alias = re_path(_other_slash(documented.pattern.regex.pattern), _alias_view(documented.callback))
            urls.extend([documented, alias])
        return urls


def api_path(route: str, view: Callable[..., Any], *, name: str) -> list[URLPattern]:
    """A single API endpoint outside a viewset (`path()` syntax, without the trailing slash it is
    documented without), answering with the slash too: `*api_path("inbound/email", View.as_view(),
    name="inbound-email")`."""
    return [path(route, view, name=name), path(f"{route}/", _alias_view(view))]
