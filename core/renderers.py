"""How the API writes its answers: JSON that never fails to encode, and file downloads that a
client asking for the file's type gets (DESIGN.md, Interfaces)."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import renderers

# A lone surrogate: JSON can carry "\ud800", UTF-8 cannot encode it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(data: Any) -> Any:
    if isinstance(data, str):
        return _SURROGATE.sub("\ufffd", data)
    if isinstance(data, dict):
        return {_without_surrogates(key): _without_surrogates(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_without_surrogates(item) for item in data]
    return data


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, for every answer of the API. A lone surrogate in the data (a client's
    value echoed by an error, such as `"\\ud800" is not a valid choice`) cannot be encoded as
    UTF-8 and made the answer a 500; it is written as U+FFFD instead, whichever field echoed it."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return super().render(_without_surrogates(data), accepted_media_type, renderer_context)


class DownloadRenderer(renderers.BaseRenderer):
    """Lets content negotiation accept a client asking for the type a download answers with
    (`Accept: application/zip`, as the schema promises): the view returns the file itself, which
    no renderer touches. Anything else that reaches this renderer (an error, a JSON answer of the
    same view) is written as JSON and says so in its Content-Type."""

    format = "download"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = JSONRenderer.media_type
        return JSONRenderer().render(data, JSONRenderer.media_type, renderer_context)


def download_renderers(media_type: str) -> list[type[renderers.BaseRenderer]]:
    """The renderers of a view that answers with a file of `media_type` (or JSON)."""
    main, _slash, sub = media_type.lower().partition("/")
    short = main if sub in {"", "*"} else sub  # ?format=zip, ?format=audio
    download = type(f"{short.capitalize()}Renderer", (DownloadRenderer,), {"media_type": media_type, "format": short})
    return [JSONRenderer, download]
