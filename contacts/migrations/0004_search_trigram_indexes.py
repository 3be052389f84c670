"""Trigram indexes for the contact search (name, subject, email), PostgreSQL only.

Django compiles `icontains` to `UPPER(col::text) LIKE UPPER(%s)`; an index serves that only
when it is built on the same expression, so these are on `UPPER(col)` (for a varchar column
PostgreSQL's `::text` is a no-op relabel, the same expression). On SQLite there is nothing to
do. The test `tests/contacts/test_search_plans.py` checks the plans.
"""

from django.db import migrations

INDEXES = {
    "contacts_contact_name_trgm": ("contacts_contact", "name"),
    "contacts_contact_subject_trgm": ("contacts_contact", "subject"),
    "contacts_contact_email_trgm": ("contacts_contact", "email_normalized"),
    "contacts_customer_name_trgm": ("contacts_customer", "name"),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (UPPER("{column}") gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_schedule_mailbox_poll_and_reply_resend")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
