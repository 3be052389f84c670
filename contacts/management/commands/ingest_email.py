"""`manage.py ingest_email FILE [FILE ...] | --mbox PATH | --maildir PATH [--controller SLUG]`:
store emails from files through the same ingestion service as the inbound API (P2)."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from contacts.ingestion import email_ingest, email_recipients, mailbox_controller_for
from core.models import Controller
from core.scoping import unscoped
from core.uploads import UploadError

ACTOR = "ingest_email"


def _messages(options: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) of every message named on the command line."""
    for name in options["files"]:
        yield name, Path(name).read_bytes()
    if options["mbox"]:
        box = mailbox.mbox(options["mbox"], create=False)
        for key in box.iterkeys():
            yield f"{options['mbox']}#{key}", box.get_bytes(key)
    if options["maildir"]:
        box = mailbox.Maildir(options["maildir"], factory=None, create=False)
        for key in box.iterkeys():
            yield f"{options['maildir']}#{key}", box.get_bytes(key)


class Command(BaseCommand):
    help = (
        "Store emails from files, an mbox or a Maildir: each becomes an email contact of the controller "
        "of its mailbox (or --controller); messages stored before are recognised and not stored again."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="*", metavar="FILE", help="Files each holding one raw message.")
        parser.add_argument("--mbox", metavar="PATH", help="An mbox file.")
        parser.add_argument("--maildir", metavar="PATH", help="A Maildir folder.")
        parser.add_argument("--controller", metavar="SLUG", help="The controller of every message.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["files"] or options["mbox"] or options["maildir"]):
            raise CommandError("Name message files, or give --mbox PATH or --maildir PATH.")
        for path in filter(None, [options["mbox"], options["maildir"], *options["files"]]):
            if not Path(path).exists():
                raise CommandError(f"No such file or folder: {path}")
        controller = None
        if options["controller"]:
            controller = Controller.objects.filter(slug=options["controller"]).first()
            if controller is None:
                raise CommandError(f"Unknown controller {options['controller']!r}")
        counts = {"stored": 0, "duplicates": 0, "problems": 0, "refused": 0}
        with unscoped():
            for label, raw in _messages(options):
                target = controller or mailbox_controller_for(email_recipients(raw))
                if target is None:
                    counts["refused"] += 1
                    self.stderr.write(f"{label}: no configured mailbox among the recipients; give --controller")
                    continue
                try:
                    result = email_ingest(raw=raw, controller=target, actor=ACTOR)
                except (UploadError, ValidationError) as error:
                    counts["refused"] += 1
                    self.stderr.write(f"{label}: {error}")
                    continue
                counts["stored" if result.created else "duplicates"] += 1
                if result.parse_problems:
                    counts["problems"] += 1
                    self.stdout.write(f"{label}: stored raw with parse problems: {', '.join(result.parse_problems)}")
        self.stdout.write(
            "stored {stored}, duplicates {duplicates}, with parse problems {problems}, refused {refused}".format(
                **counts
            )
        )
        if counts["refused"]:
            raise CommandError(f"{counts['refused']} message(s) not stored")
