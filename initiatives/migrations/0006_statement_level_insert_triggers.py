"""PostgreSQL: inserted check-ins and spend entries update each initiative once per statement.

The row-level triggers of migrations 0002 and 0004 updated the initiative once per inserted
row. A bulk insert of 10,000 check-ins over 300 initiatives wrote 10,000 new versions of those
initiative rows in one transaction, where no vacuum can reuse the space: the demo's
initiative table grew to 17 MB for 0.8 MB of rows (95 % empty), and every scan of it read all
of that. The INSERT triggers are now statement-level with a transition table: one UPDATE per
statement, of each initiative that got rows, and for check-ins only where the newest inserted
time is later than the stored one (a backdated check-in changes nothing). UPDATE and DELETE
keep the row-level triggers: PostgreSQL does not allow a transition table on a trigger with
a column list, and those writes are one row at a time.

SQLite has no statement-level triggers; its triggers stay as they are.
"""

from django.db import migrations

LAST = (
    "(SELECT MAX(c.created_at) FROM initiatives_checkin c "
    "WHERE c.initiative_id = initiatives_initiative.id)"
)
SUM = (
    "(SELECT COALESCE(SUM(s.amount), 0) FROM initiatives_spendentry s "
    "WHERE s.initiative_id = initiatives_initiative.id)"
)

FORWARD = [
    "DROP TRIGGER checkin_last_checkin ON initiatives_checkin",
    """
    CREATE TRIGGER checkin_last_checkin
    AFTER DELETE OR UPDATE OF created_at, initiative_id ON initiatives_checkin
    FOR EACH ROW EXECUTE FUNCTION initiatives_checkin_last_checkin()
    """,
    f"""
    CREATE FUNCTION initiatives_checkin_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE initiatives_initiative SET last_checkin_at = {LAST}
        FROM (
            SELECT initiative_id, MAX(created_at) AS newest FROM inserted GROUP BY initiative_id
        ) AS n
        WHERE initiatives_initiative.id = n.initiative_id
        AND (last_checkin_at IS NULL OR last_checkin_at < n.newest);
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER checkin_inserted AFTER INSERT ON initiatives_checkin
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION initiatives_checkin_inserted()
    """,
    "DROP TRIGGER spendentry_spent ON initiatives_spendentry",
    """
    CREATE TRIGGER spendentry_spent
    AFTER DELETE OR UPDATE OF amount, initiative_id ON initiatives_spendentry
    FOR EACH ROW EXECUTE FUNCTION initiatives_spendentry_spent()
    """,
    f"""
    CREATE FUNCTION initiatives_spendentry_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE initiatives_initiative SET spent = {SUM}
        WHERE id IN (SELECT initiative_id FROM inserted);
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER spendentry_inserted AFTER INSERT ON initiatives_spendentry
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION initiatives_spendentry_inserted()
    """,
]
BACKWARD = [
    "DROP TRIGGER spendentry_inserted ON initiatives_spendentry",
    "DROP FUNCTION initiatives_spendentry_inserted()",
    "DROP TRIGGER spendentry_spent ON initiatives_spendentry",
    """
    CREATE TRIGGER spendentry_spent
    AFTER INSERT OR DELETE OR UPDATE OF amount, initiative_id ON initiatives_spendentry
    FOR EACH ROW EXECUTE FUNCTION initiatives_spendentry_spent()
    """,
    "DROP TRIGGER checkin_inserted ON initiatives_checkin",
    "DROP FUNCTION initiatives_checkin_inserted()",
    "DROP TRIGGER checkin_last_checkin ON initiatives_checkin",
    """
    CREATE TRIGGER checkin_last_checkin
    AFTER INSERT OR DELETE OR UPDATE OF created_at, initiative_id ON initiatives_checkin
    FOR EACH ROW EXECUTE FUNCTION initiatives_checkin_last_checkin()
    """,
]


def _run(schema_editor, statements: list[str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in statements:
        schema_editor.execute(sql)


def forward(apps, schema_editor):
    _run(schema_editor, FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0005_list_order_indexes"),
    ]

    operations = [migrations.RunPython(forward, backward)]
