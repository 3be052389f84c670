"""summary.txt of an access or portability copy: the person's data in plain words, in their
language (fi, sv or en), for a reader who never opens data.json.

The summary has three parts: a header and a closing part rendered from templates
(`privacy/export/summary_header.txt`, `summary_footer.txt`), and between them one section per
record type (what it is, why and on what basis it is kept, for how long, where it comes from)
followed by each record with its fields under their translated names and its values as a person
reads them: choices by their label, times in Helsinki time, files by their place in the ZIP. The
records are written while data.json is written, into a temporary file, so that memory does not
grow with the copy. A further statement (a section of the closing part) is one block in
`summary_footer.txt` and, when it needs data, one key of `SummaryWriter.closing_context`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from typing import IO, Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from core.personal_data import LegalBasis, PersonalDataType, Purpose, Source, registry
from privacy.readable import field_label, readable_value

INDENT = "    "


def _indented(text: str) -> str:
    lines = text.strip().splitlines() or [""]
    return lines[0] + "".join(f"\n{INDENT}{INDENT}{line}" if line.strip() else "\n" for line in lines[1:])


def _fixed_period(declaration: type[PersonalDataType]) -> bool:
    """False when a record type's own condition decides (a customer goes with its last contact),
    so that its period in days would mislead."""
    own_due = getattr(declaration.due_q, "__func__", None) is not PersonalDataType.due_q.__func__
    own_rules = getattr(declaration.retention_rules, "__func__", None) is not PersonalDataType.retention_rules.__func__
    return own_rules or not own_due


def retention_of(declaration: type[PersonalDataType]) -> list[tuple[str, int | None]]:
    """(rule, days or None) for a record type; one living with another record (an attachment
    with its email, the email with its contact) is kept as long as the record at the top."""
    root = declaration
    while root.parent:
        root = registry.get(root.parent)
    rules = [(str(rule.description), rule.days if _fixed_period(root) else None) for _l, rule in root.retention_rules()]
    if root is declaration:
        return rules
    return [
        (
            _("Kept as long as the record it belongs to (%(record)s): %(rule)s")
            % {"record": root.verbose_name, "rule": rule},
            days,
        )
        for rule, days in rules
    ]


def _days(days: int) -> str:
    return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}


class SummaryWriter:
    """Collects the record sections of summary.txt in a temporary file while the copy is written;
    `write_to` then writes the whole summary (header, sections, closing part) into the ZIP."""

    def __init__(self, *, request: Any, portability: bool) -> None:
        self.request = request
        self.portability = portability
        self.record_types: list[str] = []
        # When the person's objection (art. 21) was recorded, from the records keeping it.
        self.objected_at: list[str] = []

    def __enter__(self) -> SummaryWriter:
        self.body: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        self.body.close()

    def record_type(self, declaration: type[PersonalDataType], count: int) -> None:
        """The section heading a record type's records: what, why, on what basis, how long."""
        self.record_types.append(declaration.key())
        lines = ["", f"== {declaration.verbose_name} ({count})"]
        if declaration.description:
            lines.append(str(declaration.description))
        if declaration.categories:
            categories = ", ".join(str(c) for c in declaration.categories)
            lines.append(_("Categories of data: %(list)s") % {"list": categories})
        purposes = "; ".join(str(Purpose(p).label) for p in declaration.purposes)
        lines.append(_("Purposes: %(list)s") % {"list": purposes})
        bases = "; ".join(str(LegalBasis(b).label) for b in declaration.legal_bases)
        lines.append(_("Legal bases: %(list)s") % {"list": bases})
        for rule, days in retention_of(declaration):
            period = f" ({_days(days)})" if days else ""
            lines.append(_("Kept: %(rule)s") % {"rule": rule} + period)
        lines.append(_("Where the data comes from: %(source)s") % {"source": declaration.source})
        self.body.write("\n".join(lines) + "\n")

    def record(
        self,
        *,
        declaration: type[PersonalDataType],
        pk: int,
        data: dict[str, Any],
        source: Source,
        staff_fields: set[str],
        redacted: set[str],
        files: Sequence[str],
    ) -> None:
        """One record: its number, who wrote it, and each field that has a value."""
        heading = str(declaration.model._meta.verbose_name)
        number = pgettext("a record's number", "no. %(id)s") % {"id": pk}
        lines = [
            "",
            f"-- {heading[:1].upper()}{heading[1:]} {number}",
            INDENT + _("Written by: %(source)s") % {"source": Source(source).label},
        ]
        shown_fields = declaration.summary_fields or declaration.export_fields
        objected_at = data.get(declaration.objection_at_field) if declaration.objection_at_field else None
        if objected_at:
            self.objected_at.append(readable_value(declaration, declaration.objection_at_field or "", objected_at))
        for path, value in data.items():
            if path == "id" or path in declaration.file_fields or path not in shown_fields:
                continue
            label = field_label(declaration, path)
            if path in staff_fields:
                label = _("%(field)s (written by our staff)") % {"field": label}
            if path in redacted:
                shown = _("[withheld to protect another person]")
            else:
                shown = readable_value(declaration, path, value)
            if shown:
                lines.append(f"{INDENT}{label}: {_indented(shown)}")
        for path in files:
            lines.append(INDENT + _("File in this package: %(path)s") % {"path": path})
        self.body.write("\n".join(lines) + "\n")

    def closing_context(self) -> dict[str, Any]:
        return {"objected_at": sorted(set(self.objected_at))}

    def write_to(self, sink: IO[bytes], *, context: dict[str, Any]) -> None:
        """Header, the record sections, the closing part: rendered in the active language."""
        context = {
            **context,
            "portability": self.portability,
            "record_types": self.record_types,
            **self.closing_context(),
        }
        sink.write(render_to_string("privacy/export/summary_header.txt", context).encode("utf-8"))
        self.body.seek(0)
        while chunk := self.body.read(64 * 1024):
            sink.write(chunk.encode("utf-8"))
        sink.write(render_to_string("privacy/export/summary_footer.txt", context).encode("utf-8"))
