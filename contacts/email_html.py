"""Showing a customer's email safely (policy P9): the HTML sanitised with nh3, images from
elsewhere blocked, and the plain text when there is no HTML.

Whatever an email contains (scripts, event handlers, `javascript:` links, tracking pixels), only
plain formatting reaches the agent's browser; the page's Content-Security-Policy would block a
script that slipped through anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import nh3
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong",
        "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# Links may lead to the web and to mail; images only from the message itself (data:), never
# from a server that would learn the email was read.
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = ("data:image/",)


@dataclass(frozen=True)
class RenderedEmail:
    html: SafeString
    blocked_images: int
    from_html: bool


def email_render(*, html_body: str, text_body: str) -> RenderedEmail:
    """The email as safe markup: sanitised HTML, or the plain text escaped with line breaks."""
    if not html_body.strip():
        # The plain text is escaped before it is marked safe.
        plain = mark_safe(linebreaks(escape(text_body)))  # nosec  # noqa: S308
        return RenderedEmail(html=plain, blocked_images=0, from_html=False)
    blocked = 0

    def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        if tag == "img" and attribute == "src" and not value.strip().lower().startswith(IMAGE_SCHEMES):
            blocked += 1
            return None
        if tag == "a" and attribute == "href" and value.strip().lower().startswith("data:"):
            return None
        return value

    cleaned = nh3.clean(
        html_body,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "title", "head", "iframe", "object", "embed", "template"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=keep_attribute,
        url_schemes=set(LINK_SCHEMES) | {"data"},
        link_rel="noopener noreferrer nofollow",
    )
    # nh3 has removed every script, handler, style and disallowed URL scheme (data: only
    # survives as an image source, checked above).
    return RenderedEmail(html=mark_safe(cleaned), blocked_images=blocked, from_html=True)  # nosec  # noqa: S308
