"""The roll-up's rebuild in statements of their own (0013 deleted the rows and inserted them
again in one statement, which PostgreSQL refuses as a duplicate key whenever the roll-up
held rows), with item writers held off while it runs: each statement of a plpgsql function
reads the database afresh, so a write committed between taking the changes away and
recounting would otherwise be counted twice (in its change and in the counts)."""

from django.db import migrations

REBUILD = """
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
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION tasks_ledger_rollup_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('tasks_ledger_rollup', 0));
    WITH changes AS (DELETE FROM tasks_ledger_ledgeritemrollupchange RETURNING 1),
    rows AS (DELETE FROM tasks_ledger_ledgeritemrollup RETURNING 1)
    INSERT INTO tasks_ledger_ledgeritemrollup (unit_id, light_rank, three_list, items)
    SELECT a.id, c.light_rank, c.three_list, SUM(c.items)
    FROM tasks_ledger_ledgeritemcount AS c
    JOIN accounts_unit AS u ON u.id = c.unit_id
    CROSS JOIN LATERAL generate_series(1, u.depth) AS k
    JOIN accounts_unit AS a ON a.path = left(u.path, k * 4)
    GROUP BY a.id, c.light_rank, c.three_list;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("tasks_ledger", "0014_report_pending_item_index")]

    operations = [migrations.RunSQL(REBUILD, PREVIOUS)]
