"""The trigram indexes of the search write each new row into the index at once (PostgreSQL).

By default a GIN index collects new entries in a pending list, up to 4 MB, which every search
reads through until (auto)vacuum merges it: with contacts arriving all day, the agents' search
slowed by one to two orders of magnitude between vacuums (0.05 ms after a vacuum, 4–8 ms with
100,000 rows pending; docs/benchmarks.md, Load). PostgreSQL's advice when steady response time
matters more than insert speed is `fastupdate = off`; an insert costs about 0.3 ms more. On
SQLite there is nothing to do.
"""

from django.db import migrations

INDEXES = (
    "contacts_contact_name_trgm",
    "contacts_contact_subject_trgm",
    "contacts_contact_email_trgm",
    "contacts_customer_name_trgm",
)


def pending_list_off(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'ALTER INDEX "{name}" SET (fastupdate = off)')
        # Entries already pending stay there until merged: merge them now.
        schema_editor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])


def pending_list_on(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'ALTER INDEX "{name}" RESET (fastupdate)')


class Migration(migrations.Migration):
    dependencies = [("contacts", "0004_search_trigram_indexes")]

    operations = [migrations.RunPython(pending_list_off, pending_list_on, elidable=False)]
