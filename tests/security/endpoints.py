"""Every API endpoint, as the OpenAPI schema generator sees it: the security tests walk these,
so endpoints added by any app are covered without naming them here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.plumbing import get_view_model

from core.roles import is_inbound_view
from core.scoping import unscoped

_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Endpoint:
    path: str  # as in the URL conf, with {name} for each parameter
    method: str
    view: Any  # an instance made the way the schema generator makes it (no request)

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def inbound(self) -> bool:
        return is_inbound_view(self.view)

    @property
    def model(self) -> Any:
        # Views build scoped querysets in get_queryset(); outside a request no scope is active.
        with unscoped():
            return get_view_model(self.view, emit_warnings=False)

    def url(self, value: Any = 1) -> str:
        return _PARAM.sub(str(value), self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def api_endpoints(urlconf: Any = None) -> list[Endpoint]:
    generator = SchemaGenerator(urlconf=urlconf)
    generator._initialise_endpoints()
    endpoints = []
    for path, _regex, method, callback in generator.endpoints:
        if not path.startswith("/api/v1/"):
            continue
        endpoints.append(Endpoint(path=path, method=method, view=generator.create_view(callback, method)))
    return endpoints
