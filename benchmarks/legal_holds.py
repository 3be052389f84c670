"""Benchmark: "is this record held?" over many contacts, and the keep reason `legal_hold`.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/legal_holds.py [--n 100000] [--page 10000]

Needs a migrated PostgreSQL database (`manage.py migrate`). It adds `--n` contacts at Retta
Isännöinti Oy (one in a hundred on a task, some linked to a complaint), one hold of each scope
kind, then measures:

- `holds_for()` over pages of `--page` contacts: time and SQL queries per page;
- the keep reason `legal_hold` for contacts: counting the held rows among all of them;

and removes everything it added. It prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retta_cs.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 40)
os.environ.setdefault("DEBUG", "true")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="contacts to create")
    parser.add_argument("--page", type=int, default=10_000, help="contacts per holds_for() call")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from complaints.holds import holds_for
    from complaints.models import Complaint, HoldScope, LegalHold
    from contacts.models import Contact, Task
    from core.models import Controller
    from core.personal_data import registry
    from core.scoping import unscoped

    marker = "benchmark-legal-holds"
    with unscoped():
        controller = Controller.objects.get(slug="retta-isannointi")
        dpo, _created = User.objects.get_or_create(username=marker)
        now = timezone.now()
        started = time.perf_counter()
        with transaction.atomic():
            task = Task.all_controllers.create(controller=controller, title=marker)
            batch = 10_000
            for start in range(0, args.n, batch):
                Contact.all_controllers.bulk_create(
                    Contact(
                        controller=controller,
                        channel="email",
                        occurred_at=now,
                        subject=marker,
                        email_normalized=f"bench{i}@example.fi",
                        phone_e164=f"+35840{i:07d}",
                        task=task if i % 100 == 0 else None,
                    )
                    for i in range(start, min(start + batch, args.n))
                )
            contacts = list(Contact.all_controllers.filter(subject=marker).order_by("pk"))
            complaint = Complaint.all_controllers.create(controller=controller, subject=marker)
            complaint.contacts.add(*contacts[1:50])
            holds = [
                LegalHold.all_controllers.create(
                    controller=controller, matter=marker, reason=marker, scope=HoldScope.TASK, task=task, placed_by=dpo
                ),
                LegalHold.all_controllers.create(
                    controller=controller,
                    matter=marker,
                    reason=marker,
                    scope=HoldScope.COMPLAINT,
                    complaint=complaint,
                    placed_by=dpo,
                ),
                LegalHold.all_controllers.create(
                    controller=controller, matter=marker, reason=marker, scope=HoldScope.CONTACTS, placed_by=dpo
                ),
                LegalHold.all_controllers.create(
                    controller=controller,
                    matter=marker,
                    reason=marker,
                    scope=HoldScope.SUBJECT,
                    subject_emails=["bench777@example.fi"],
                    subject_phones=["+358400008888"],
                    placed_by=dpo,
                ),
            ]
            holds[2].contacts.add(*contacts[100:150])
        setup_seconds = time.perf_counter() - started

        try:
            page_times, page_queries, held_total = [], [], 0
            for start in range(0, len(contacts), args.page):
                page = contacts[start : start + args.page]
                with CaptureQueriesContext(connection) as queries:
                    began = time.perf_counter()
                    held_total += len(holds_for(page))
                    page_times.append(time.perf_counter() - began)
                page_queries.append(len(queries))
            declaration = registry.get("contacts.contact")
            began = time.perf_counter()
            condition = registry.keep_reason_q(declaration, "legal_hold", timezone.now())
            kept = Contact.all_controllers.filter(condition, subject=marker).count()
            keep_seconds = time.perf_counter() - began
        finally:
            with transaction.atomic():
                LegalHold.all_controllers.filter(matter=marker).delete()
                Complaint.all_controllers.filter(subject=marker).delete()
                Contact.all_controllers.filter(subject=marker).delete()
                Task.all_controllers.filter(title=marker).delete()
                User.objects.filter(username=marker).delete()

    print(f"contacts: {args.n}, setup {setup_seconds:.1f} s, held: {held_total} (keep reason: {kept})")
    print()
    print("| measurement | result |")
    print("|---|---|")
    median = sorted(page_times)[len(page_times) // 2]
    print(f"| `holds_for()` per page of {args.page} contacts, median | {median * 1000:.0f} ms |")
    print(f"| `holds_for()` per page, slowest | {max(page_times) * 1000:.0f} ms |")
    print(f"| SQL queries per page | {max(page_queries)} |")
    print(f"| keep reason `legal_hold`: count held among {args.n} contacts | {keep_seconds * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
