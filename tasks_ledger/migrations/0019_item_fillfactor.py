"""Ledger items keep room on each table page (fillfactor 90): an updated row (progress,
light, tab) is written beside its old version, on the same page, while there is room, so
the items of a unit that were stored together stay together (a county's keyword search or
list reads its few hundred pages, not one page per item). PostgreSQL honours the setting
for rows written from now on; ``CLUSTER`` or a rewrite applies it to existing pages."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tasks_ledger", "0018_item_unit_chain_index"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE tasks_ledger_ledgeritem SET (fillfactor = 90)",
            "ALTER TABLE tasks_ledger_ledgeritem RESET (fillfactor)",
        ),
    ]
