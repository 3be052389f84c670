"""Parsing of raw RFC 822 messages with the standard library, tolerant of anything: broken MIME,
unknown charsets, missing or malformed headers. Never raises; what cannot be read is listed."""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import Any

from django.utils import timezone

# A Date header further from the time of receipt than this is not believed (spam, broken clocks).
_DATE_TRUST_PAST = dt.timedelta(days=3650)
_DATE_TRUST_FUTURE = dt.timedelta(days=1)
# Message-IDs as they appear in In-Reply-To and References.
_MSG_ID = re.compile(r"<[^<>\s]+>")
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def email_recipients(raw: bytes) -> list[str]:
    """Recipient addresses of a raw message, most specific first (the delivery headers the
    mail server adds, then To and Cc); tolerant of any header damage."""
    try:
        headers = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    except Exception:  # noqa: BLE001 (the email parser fails in ways no list covers)
        return []
    addresses: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc"):
        values = [str(value) for value in (headers.get_all(name) or [])]
        addresses.extend(address for _display, address in email.utils.getaddresses(values) if address)
    return addresses


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    from_name: str = ""
    from_address: str = ""
    from_header: str = ""
    to_header: str = ""
    subject: str = ""
    date: dt.datetime | None = None
    text_body: str = ""
    html_body: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _header(message: Message, name: str, problems: list[str]) -> str:
    try:
        value = message.get(name)
        return "" if value is None else str(value).strip()
    except Exception as error:  # noqa: BLE001 (a header the parser cannot decode: keep going without it)
        problems.append(f"header {name}: {type(error).__name__}")
        return ""


def _part_text(part: Message, problems: list[str]) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except Exception as error:  # noqa: BLE001 (unknown charset, broken transfer encoding)
        problems.append(f"body {part.get_content_type()}: {type(error).__name__}")
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("latin-1")


def _part_bytes(part: Message, problems: list[str]) -> bytes:
    if part.get_content_maintype() == "message" or part.is_multipart():
        inner = part.get_payload()
        inner_message = inner[0] if isinstance(inner, list) and inner else inner
        try:
            if isinstance(inner_message, Message):
                return inner_message.as_bytes(policy=policy.compat32)
            return part.as_bytes(policy=policy.compat32)
        except Exception as error:  # noqa: BLE001 (the email parser fails in ways no list covers)
            problems.append(f"enclosed message: {type(error).__name__}")
            return str(inner_message).encode("utf-8", errors="replace")
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    return b""


def _leaf_parts(part: Message, *, depth: int = 0) -> Iterator[Message]:
    """The parts holding content, in order; an enclosed message (message/rfc822) is one part,
    kept whole as an attachment rather than taken apart."""
    if part.is_multipart() and not (depth > 0 and part.get_content_maintype() == "message"):
        for sub in part.get_payload():  # type: ignore[union-attr]
            if isinstance(sub, Message):
                yield from _leaf_parts(sub, depth=depth + 1)
    else:
        yield part


def _is_attachment(part: Message, filename: str) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or bool(filename)


def _safe_filename(raw_name: str | None, content_type: str) -> str:
    name = os.path.basename(_UNSAFE_FILENAME.sub("_", raw_name or "")).strip()[:255]
    if name:
        return name
    return "message.eml" if content_type == "message/rfc822" else ""


def _address_of(header_value: str) -> tuple[str, str]:
    name, address = email.utils.parseaddr(header_value)
    return name.strip()[:200], address.strip()[:254]


def message_ids(value: str) -> list[str]:
    return _MSG_ID.findall(value or "")


def email_parse(raw: bytes) -> ParsedEmail:
    """Parse a raw RFC 822 message as far as it goes. Never raises: what cannot be read is
    listed in `problems` and the rest is still returned."""
    parsed = ParsedEmail()
    problems = parsed.problems
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as error:  # noqa: BLE001 (RecursionError on absurd nesting, and the like)
        problems.append(f"message: {type(error).__name__}")
        return parsed
    try:
        _email_fill(parsed, message)
    except Exception as error:  # noqa: BLE001 (whatever the parser's corner cases raise, the raw message is kept)
        problems.append(f"message: {type(error).__name__}")
    for defect in _all_defects(message):
        problems.append(type(defect).__name__)
    # Same problem once, in order of appearance.
    parsed.problems = list(dict.fromkeys(problems))
    _without_nul(parsed)
    return parsed


def _without_nul(parsed: ParsedEmail) -> None:
    """PostgreSQL text cannot hold NUL characters: drop them from what is stored as text (the
    raw message keeps every byte). Attachment names lose them with the other control characters."""
    for name in ("message_id", "in_reply_to", "references", "from_name", "from_address", "from_header"):
        setattr(parsed, name, getattr(parsed, name).replace("\x00", ""))
    for name in ("to_header", "subject", "text_body", "html_body"):
        value = getattr(parsed, name)
        if "\x00" in value:
            setattr(parsed, name, value.replace("\x00", ""))
            parsed.problems.append(f"{name}: NUL characters removed")


def _all_defects(message: Message) -> Iterator[Any]:
    try:
        for part in message.walk():
            yield from getattr(part, "defects", ())
    except Exception:  # noqa: BLE001 (the email parser fails in ways no list covers)
        return


def _email_fill(parsed: ParsedEmail, message: Message) -> None:
    problems = parsed.problems
    parsed.message_id = (message_ids(_header(message, "Message-ID", problems)) or [""])[0][:998]
    parsed.in_reply_to = " ".join(message_ids(_header(message, "In-Reply-To", problems)))[:998]
    parsed.references = " ".join(message_ids(_header(message, "References", problems)))
    parsed.from_header = _header(message, "From", problems)[:998]
    parsed.to_header = ", ".join(
        value for value in (_header(message, "To", problems), _header(message, "Cc", problems)) if value
    )
    parsed.from_name, parsed.from_address = _address_of(parsed.from_header)
    parsed.subject = " ".join(_header(message, "Subject", problems).split())[:500]
    date_value = _header(message, "Date", problems)
    if date_value:
        try:
            parsed.date = email.utils.parsedate_to_datetime(date_value)
        except (TypeError, ValueError, IndexError):
            problems.append("header Date: unreadable")
    text_parts: list[str] = []
    for part in _leaf_parts(message):
        content_type = part.get_content_type()
        try:
            filename = _safe_filename(part.get_filename(), content_type)
        except Exception as error:  # noqa: BLE001 (the email parser fails in ways no list covers)
            problems.append(f"attachment name: {type(error).__name__}")
            filename = ""
        if content_type in ("text/plain", "text/html") and not _is_attachment(part, filename):
            text = _part_text(part, problems)
            if content_type == "text/html":
                if parsed.html_body:
                    parsed.html_body += "\n"
                parsed.html_body += text
            else:
                text_parts.append(text)
            continue
        content = _part_bytes(part, problems)
        if content:
            parsed.attachments.append(
                ParsedAttachment(filename=filename, content_type=content_type[:255], content=content)
            )
    parsed.text_body = "\n\n".join(text_parts)


def occurred_at_of(date: dt.datetime | None, received_at: dt.datetime) -> dt.datetime:
    if date is None:
        return received_at
    if timezone.is_naive(date):
        date = date.replace(tzinfo=dt.UTC)
    if received_at - _DATE_TRUST_PAST <= date <= received_at + _DATE_TRUST_FUTURE:
        return date
    return received_at
