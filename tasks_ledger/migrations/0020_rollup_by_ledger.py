"""The roll-up by ledger too: its rows (and its changes) count a unit's subtree's items of
one ledger, light and tab, so a province's battle map reads the rows of the units under the
province (a few thousand) instead of summing every unit's counts (110,000 rows, 100 ms).
The triggers append each change with its ledger; the fold, the rebuild and the readers' view
carry it; the rows are recomputed from the counts at the end."""

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


EMPTY = """
DELETE FROM tasks_ledger_ledgeritemrollupchange;
DELETE FROM tasks_ledger_ledgeritemrollup;
"""

REBUILD_NOW = "SELECT tasks_ledger_rollup_rebuild();"

BY_LEDGER = """
DROP VIEW tasks_ledger_subtree_counts;
CREATE VIEW tasks_ledger_subtree_counts AS
    SELECT r.id * 2 AS id, r.unit_id, r.ledger_id, r.light_rank, r.three_list, r.items
    FROM tasks_ledger_ledgeritemrollup AS r
    UNION ALL
    SELECT c.id * 2 + 1, c.unit_id, c.ledger_id, c.light_rank, c.three_list, c.items
    FROM tasks_ledger_ledgeritemrollupchange AS c;
CREATE OR REPLACE FUNCTION tasks_ledger_rollup_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('tasks_ledger_rollup', 0));
    LOCK TABLE tasks_ledger_ledgeritem IN SHARE MODE;
    DELETE FROM tasks_ledger_ledgeritemrollupchange;
    DELETE FROM tasks_ledger_ledgeritemrollup;
    INSERT INTO tasks_ledger_ledgeritemrollup (unit_id, ledger_id, light_rank, three_list, items)
    SELECT a.id, c.ledger_id, c.light_rank, c.three_list, SUM(c.items)
    FROM tasks_ledger_ledgeritemcount AS c
    JOIN accounts_unit AS u ON u.id = c.unit_id
    CROSS JOIN LATERAL generate_series(1, u.depth) AS k
    JOIN accounts_unit AS a ON a.path = left(u.path, k * 4)
    GROUP BY a.id, c.ledger_id, c.light_rank, c.three_list;
END
$$;
CREATE OR REPLACE FUNCTION tasks_ledger_rollup_fold() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    folded bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('tasks_ledger_rollup', 0));
    WITH moved AS (
        DELETE FROM tasks_ledger_ledgeritemrollupchange
        RETURNING unit_id, ledger_id, light_rank, three_list, items
    ), summed AS (
        SELECT unit_id, ledger_id, light_rank, three_list, SUM(items) AS items, COUNT(*) AS n
        FROM moved GROUP BY unit_id, ledger_id, light_rank, three_list
    ), added AS (
        INSERT INTO tasks_ledger_ledgeritemrollup AS r
            (unit_id, ledger_id, light_rank, three_list, items)
        SELECT unit_id, ledger_id, light_rank, three_list, items FROM summed
        WHERE items <> 0
        ORDER BY unit_id, ledger_id, light_rank, three_list
        ON CONFLICT (unit_id, ledger_id, light_rank, three_list)
        DO UPDATE SET items = r.items + EXCLUDED.items
        RETURNING 1
    )
    SELECT COALESCE(SUM(n), 0) INTO folded FROM summed;
    RETURN folded;
END
$$;
"""

WITHOUT_LEDGER = """
DROP VIEW tasks_ledger_subtree_counts;
CREATE VIEW tasks_ledger_subtree_counts AS
    SELECT r.id * 2 AS id, r.unit_id, r.light_rank, r.three_list, r.items
    FROM tasks_ledger_ledgeritemrollup AS r
    UNION ALL
    SELECT c.id * 2 + 1, c.unit_id, c.light_rank, c.three_list, c.items
    FROM tasks_ledger_ledgeritemrollupchange AS c;
CREATE OR REPLACE FUNCTION tasks_ledger_rollup_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('tasks_ledger_rollup', 0));
    LOCK TABLE tasks_ledger_ledgeritem IN SHARE MODE;
    DELETE FROM tasks_ledger_ledgeritemrollupchange;
    DELETE FROM tasks_ledger_ledgeritemrollup;
    INSERT INTO tasks_ledger_ledgeritemrollup (unit_id, light_rank, three_list, items)
    SELECT a.id, c.light_rank, c.three_list, SUM(c.items)
    FROM tasks_ledger_ledgeritemcount AS c
    JOIN accounts_unit AS u ON u.id = c.unit_id
    CROSS JOIN LATERAL generate_series(1, u.depth) AS k
    JOIN accounts_unit AS a ON a.path = left(u.path, k * 4)
    GROUP BY a.id, c.light_rank, c.three_list;
END
$$;
CREATE OR REPLACE FUNCTION tasks_ledger_rollup_fold() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    folded bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('tasks_ledger_rollup', 0));
    WITH moved AS (
        DELETE FROM tasks_ledger_ledgeritemrollupchange
        RETURNING unit_id, light_rank, three_list, items
    ), summed AS (
        SELECT unit_id, light_rank, three_list, SUM(items) AS items, COUNT(*) AS n
        FROM moved GROUP BY unit_id, light_rank, three_list
    ), added AS (
        INSERT INTO tasks_ledger_ledgeritemrollup AS r
            (unit_id, light_rank, three_list, items)
        SELECT unit_id, light_rank, three_list, items FROM summed
        WHERE items <> 0
        ORDER BY unit_id, light_rank, three_list
        ON CONFLICT (unit_id, light_rank, three_list)
        DO UPDATE SET items = r.items + EXCLUDED.items
        RETURNING 1
    )
    SELECT COALESCE(SUM(n), 0) INTO folded FROM summed;
    RETURN folded;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_notifications"),
        ("tasks_ledger", "0019_item_fillfactor"),
    ]

    operations = [
        migrations.RunSQL(EMPTY, REBUILD_NOW),
        pgtrigger.migrations.RemoveTrigger(
            model_name="ledgeritem",
            name="count_inserted_items",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="ledgeritem",
            name="count_deleted_items",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="ledgeritem",
            name="count_updated_items",
        ),
        migrations.RemoveConstraint(
            model_name="ledgeritemrollup",
            name="item_rollup_unique_key",
        ),
        migrations.AddField(
            model_name="ledgeritemrollup",
            name="ledger",
            field=models.ForeignKey(
                db_constraint=False,
                default=0,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="tasks_ledger.ledger",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="ledgeritemrollupchange",
            name="ledger",
            field=models.ForeignKey(
                db_constraint=False,
                default=0,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="tasks_ledger.ledger",
            ),
            preserve_default=False,
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="ledgeritem",
            trigger=pgtrigger.compiler.Trigger(
                name="count_inserted_items",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\n        INSERT INTO tasks_ledger_ledgeritemcount AS c\n            (unit_id, ledger_id, light_rank, three_list, items)\n        SELECT unit_id, ledger_id, light_rank, three_list, SUM(n)\n        FROM (SELECT unit_id, ledger_id, light_rank, three_list, 1 AS n FROM new_rows) AS d\n        GROUP BY unit_id, ledger_id, light_rank, three_list\n        HAVING SUM(n) <> 0\n        ORDER BY unit_id, ledger_id, light_rank, three_list\n        ON CONFLICT (unit_id, ledger_id, light_rank, three_list)\n        DO UPDATE SET items = c.items + EXCLUDED.items;\n        INSERT INTO tasks_ledger_ledgeritemrollupchange\n            (unit_id, ledger_id, light_rank, three_list, items)\n        SELECT a.id, d.ledger_id, d.light_rank, d.three_list, SUM(d.n)\n        FROM (SELECT unit_id, ledger_id, light_rank, three_list, 1 AS n FROM new_rows) AS d\n        JOIN accounts_unit AS u ON u.id = d.unit_id\n        CROSS JOIN LATERAL generate_series(1, u.depth) AS k\n        JOIN accounts_unit AS a ON a.path = left(u.path, k * 4)\n        GROUP BY a.id, d.ledger_id, d.light_rank, d.three_list\n        HAVING SUM(d.n) <> 0;\n        RETURN NULL;\n    ",
                    hash="2fa6b728c1e88ef8ad3b89de8277b55cfdb394cd",
                    level="STATEMENT",
                    operation="INSERT",
                    pgid="pgtrigger_count_inserted_items_777a0",
                    referencing="REFERENCING NEW TABLE AS new_rows ",
                    table="tasks_ledger_ledgeritem",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="ledgeritem",
            trigger=pgtrigger.compiler.Trigger(
                name="count_deleted_items",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\n        INSERT INTO tasks_ledger_ledgeritemcount AS c\n            (unit_id, ledger_id, light_rank, three_list, items)\n        SELECT unit_id, ledger_id, light_rank, three_list, SUM(n)\n        FROM (SELECT unit_id, ledger_id, light_rank, three_list, -1 AS n FROM old_rows) AS d\n        GROUP BY unit_id, ledger_id, light_rank, three_list\n        HAVING SUM(n) <> 0\n        ORDER BY unit_id, ledger_id, light_rank, three_list\n        ON CONFLICT (unit_id, ledger_id, light_rank, three_list)\n        DO UPDATE SET items = c.items + EXCLUDED.items;\n        INSERT INTO tasks_ledger_ledgeritemrollupchange\n            (unit_id, ledger_id, light_rank, three_list, items)\n        SELECT a.id, d.ledger_id, d.light_rank, d.three_list, SUM(d.n)\n        FROM (SELECT unit_id, ledger_id, light_rank, three_list, -1 AS n FROM old_rows) AS d\n        JOIN accounts_unit AS u ON u.id = d.unit_id\n        CROSS JOIN LATERAL generate_series(1, u.depth) AS k\n        JOIN accounts_unit AS a ON a.path = left(u.path, k * 4)\n        GROUP BY a.id, d.ledger_id, d.light_rank, d.three_list\n        HAVING SUM(d.n) <> 0;\n        RETURN NULL;\n    ",
                    hash="b54e7b037b6f1db052fa27112196a95ae0c88bb7",
                    level="STATEMENT",
                    operation="DELETE",
                    pgid="pgtrigger_count_deleted_items_4d41c",
                    referencing="REFERENCING OLD TABLE AS old_rows ",
                    table="tasks_ledger_ledgeritem",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="ledgeritem",
            trigger=pgtrigger.compiler.Trigger(
                name="count_updated_items",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\n        INSERT INTO tasks_ledger_ledgeritemcount AS c\n            (unit_id, ledger_id, light_rank, three_list, items)\n        SELECT unit_id, ledger_id, light_rank, three_list, SUM(n)\n        FROM (SELECT unit_id, ledger_id, light_rank, three_list, 1 AS n FROM new_rows UNION ALL SELECT unit_id, ledger_id, light_rank, three_list, -1 AS n FROM old_rows) AS d\n        GROUP BY unit_id, ledger_id, light_rank, three_list\n        HAVING SUM(n) <> 0\n        ORDER BY unit_id, ledger_id, light_rank, three_list\n        ON CONFLICT (unit_id, ledger_id, light_rank, three_list)\n        DO UPDATE SET items = c.items + EXCLUDED.items;\n        INSERT INTO tasks_ledger_ledgeritemrollupchange\n            (unit_id, ledger_id, light_rank, three_list, items)\n        SELECT a.id, d.ledger_id, d.light_rank, d.three_list, SUM(d.n)\n        FROM (SELECT unit_id, ledger_id, light_rank, three_list, 1 AS n FROM new_rows UNION ALL SELECT unit_id, ledger_id, light_rank, three_list, -1 AS n FROM old_rows) AS d\n        JOIN accounts_unit AS u ON u.id = d.unit_id\n        CROSS JOIN LATERAL generate_series(1, u.depth) AS k\n        JOIN accounts_unit AS a ON a.path = left(u.path, k * 4)\n        GROUP BY a.id, d.ledger_id, d.light_rank, d.three_list\n        HAVING SUM(d.n) <> 0;\n        RETURN NULL;\n    ",
                    hash="268188ead4ef2f01b95245f4061264f5a25d0e6d",
                    level="STATEMENT",
                    operation="UPDATE",
                    pgid="pgtrigger_count_updated_items_a0205",
                    referencing="REFERENCING OLD TABLE AS old_rows  NEW TABLE AS new_rows ",
                    table="tasks_ledger_ledgeritem",
                    when="AFTER",
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="ledgeritemrollup",
            constraint=models.UniqueConstraint(
                fields=("unit", "ledger", "light_rank", "three_list"), name="item_rollup_unique_key"
            ),
        ),
        migrations.AddField(
            model_name="ledgeritemsubtree",
            name="ledger",
            field=models.ForeignKey(
                db_constraint=False,
                default=0,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="tasks_ledger.ledger",
            ),
            preserve_default=False,
        ),
        migrations.RunSQL(BY_LEDGER, WITHOUT_LEDGER),
        migrations.RunSQL(REBUILD_NOW, EMPTY),
    ]
