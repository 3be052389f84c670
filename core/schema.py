"""The OpenAPI schema at /api/schema/, generated once per process and language.

drf-spectacular's generation is not thread-safe (it keeps module-level state while it walks the
views): under gunicorn's threads, parallel requests for the schema failed (41 of 48 with 8 at
once). The schema depends on nothing but the code and the language of its texts, so each
process generates it once per language, one thread at a time, and serves it from memory
afterwards; a deploy starts new processes, which generate the new code's schema.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.utils import translation
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

_schemas: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def schema_forget() -> None:
    """Drop the generated schemas (tests; a process otherwise keeps them for its lifetime)."""
    with _lock:
        _schemas.clear()


class SchemaView(SpectacularAPIView):
    """The schema in YAML or JSON (content negotiation or `?format=`), in the request's language
    or `?lang=` (one of LANGUAGES; anything else is ignored)."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        requested = request.GET.get("lang", "")
        language = requested if requested in dict(settings.LANGUAGES) else translation.get_language()
        with translation.override(language):
            schema = self._schema(request, language)
            return Response(
                data=schema,
                headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, None)}"'},
            )

    def _schema(self, request: Request, language: str) -> dict[str, Any]:
        schema = _schemas.get(language)
        if schema is None:
            with _lock:
                schema = _schemas.get(language)
                if schema is None:
                    generator = self.generator_class(urlconf=self.urlconf, patterns=self.patterns)
                    schema = generator.get_schema(request=request, public=self.serve_public)
                    _schemas[language] = schema
        return schema
