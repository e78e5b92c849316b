from django.db import migrations


class Migration(migrations.Migration):
    """The grams of every unit's names, indexed (GIN), for the keyword: a province's office
    searched 5,000 names with two LIKEs each (2 ms of every keyword search). Made here, not
    in ``accounts``, because the grams' function is this app's (0009); the keyword's
    ``UnitNameGrams`` writes the same expression, which PostgreSQL matches to the index."""

    dependencies = [
        ("accounts", "0003_notifications"),
        ("tasks_ledger", "0023_reports_follow_item_unit_per_row"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX unit_name_grams_idx ON accounts_unit"
            " USING gin (tasks_ledger_bigrams(name::text || ' ' || short_name::text))",
            "DROP INDEX unit_name_grams_idx",
        ),
    ]
