from django.db import migrations


def entries_to_ledger_storage(apps, schema_editor):
    """Entries made so far move to the ledger storage before the table goes: a restore must not
    forget them either."""
    from privacy.erasure_ledger import LedgerEntry, ledger_append

    Entry = apps.get_model("privacy", "ErasureLedgerEntry")
    for entry in Entry.objects.order_by("erased_at", "id").iterator():
        ledger_append(
            entry=LedgerEntry(
                controller_id=entry.controller_id,
                request_id=entry.request_id_ref,
                erased_at=entry.erased_at.isoformat(),
                identifier_hashes=list(entry.identifier_hashes),
                records={entry.record_type: list(entry.record_ids)},
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0004_letter_deliveries"),
    ]

    operations = [
        migrations.RunPython(entries_to_ledger_storage, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="ErasureLedgerEntry",
        ),
    ]
