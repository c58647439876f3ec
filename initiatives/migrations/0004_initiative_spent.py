"""Initiative.spent: the sum of its spend entries, kept by the database.

The same scheme as last_checkin_at (migration 0002): backfilled with one UPDATE, then triggers
recompute it when a spend entry is inserted, changed, moved or deleted, and on any write of the
initiative row, so a stale instance saved later cannot put an older sum back. Each
recomputation sums the initiative's entries on their (initiative, date) index. On SQLite, a
later migration that remakes either table must create the triggers again:
tests/initiatives/test_spent.py fails if it does not. Adding this column is such a remake, and
SQLite refuses it while triggers name the table: those of migration 0002 are dropped before
and created again after (both ways).
"""

import importlib

from django.db import migrations, models

SUM = (
    "(SELECT COALESCE(SUM(s.amount), 0) FROM initiatives_spendentry s "
    "WHERE s.initiative_id = initiatives_initiative.id)"
)

POSTGRESQL = [
    """
    CREATE FUNCTION initiatives_initiative_spent() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.spent := (
            SELECT COALESCE(SUM(s.amount), 0) FROM initiatives_spendentry s
            WHERE s.initiative_id = NEW.id
        );
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER initiative_spent BEFORE INSERT OR UPDATE ON initiatives_initiative
    FOR EACH ROW EXECUTE FUNCTION initiatives_initiative_spent()
    """,
    f"""
    CREATE FUNCTION initiatives_spendentry_spent() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            UPDATE initiatives_initiative SET spent = {SUM} WHERE id = OLD.initiative_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            UPDATE initiatives_initiative SET spent = {SUM} WHERE id = NEW.initiative_id;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER spendentry_spent
    AFTER INSERT OR DELETE OR UPDATE OF amount, initiative_id ON initiatives_spendentry
    FOR EACH ROW EXECUTE FUNCTION initiatives_spendentry_spent()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER spendentry_spent ON initiatives_spendentry",
    "DROP FUNCTION initiatives_spendentry_spent()",
    "DROP TRIGGER initiative_spent ON initiatives_initiative",
    "DROP FUNCTION initiatives_initiative_spent()",
]

# SQLite cannot assign NEW: the initiative's triggers correct the row after the write, only
# when it differs from the truth (so they never fire themselves again).
_CORRECT = f"""
    WHEN NEW.spent IS NOT (
        SELECT COALESCE(SUM(s.amount), 0) FROM initiatives_spendentry s
        WHERE s.initiative_id = NEW.id
    )
    BEGIN
        UPDATE initiatives_initiative SET spent = {SUM} WHERE id = NEW.id;
    END
"""
SQLITE = [
    f"CREATE TRIGGER initiative_spent_insert AFTER INSERT ON initiatives_initiative {_CORRECT}",
    f"CREATE TRIGGER initiative_spent_update AFTER UPDATE ON initiatives_initiative {_CORRECT}",
    f"""
    CREATE TRIGGER spendentry_spent_insert AFTER INSERT ON initiatives_spendentry
    BEGIN
        UPDATE initiatives_initiative SET spent = {SUM} WHERE id = NEW.initiative_id;
    END
    """,
    f"""
    CREATE TRIGGER spendentry_spent_update
    AFTER UPDATE OF amount, initiative_id ON initiatives_spendentry
    BEGIN
        UPDATE initiatives_initiative SET spent = {SUM}
        WHERE id IN (OLD.initiative_id, NEW.initiative_id);
    END
    """,
    f"""
    CREATE TRIGGER spendentry_spent_delete AFTER DELETE ON initiatives_spendentry
    BEGIN
        UPDATE initiatives_initiative SET spent = {SUM} WHERE id = OLD.initiative_id;
    END
    """,
]
SQLITE_DROP = [
    f"DROP TRIGGER {name}"
    for name in (
        "spendentry_spent_delete",
        "spendentry_spent_update",
        "spendentry_spent_insert",
        "initiative_spent_update",
        "initiative_spent_insert",
    )
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in statements:
        raise NotImplementedError(f"No spend triggers for {vendor}.")
    for sql in statements[vendor]:
        schema_editor.execute(sql)


def _last_checkin_sqlite(schema_editor, *, create: bool) -> None:
    """SQLite remakes the initiative table to add or drop a column, which fails while triggers
    name it: the triggers of migration 0002 are dropped around it and created again."""
    if schema_editor.connection.vendor != "sqlite":
        return
    last_checkin = importlib.import_module("initiatives.migrations.0002_initiative_last_checkin_at")
    for sql in last_checkin.SQLITE if create else last_checkin.SQLITE_DROP:
        schema_editor.execute(sql)


def last_checkin_triggers_drop(apps, schema_editor):
    _last_checkin_sqlite(schema_editor, create=False)


def last_checkin_triggers_create(apps, schema_editor):
    _last_checkin_sqlite(schema_editor, create=True)


def backfill_and_create_triggers(apps, schema_editor):
    last_checkin_triggers_create(apps, schema_editor)
    schema_editor.execute(f"UPDATE initiatives_initiative SET spent = {SUM}")
    _run(schema_editor, {"postgresql": POSTGRESQL, "sqlite": SQLITE})


def drop_triggers(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP})
    last_checkin_triggers_drop(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0003_checkin_created_index"),
    ]

    operations = [
        migrations.RunPython(last_checkin_triggers_drop, last_checkin_triggers_create),
        migrations.AddField(
            model_name="initiative",
            name="spent",
            field=models.DecimalField(
                decimal_places=2,
                default=0,
                editable=False,
                help_text="The sum of its spend entries. Kept by the database (triggers of "
                "migration 0004), whatever the application writes.",
                max_digits=16,
            ),
        ),
        migrations.RunPython(backfill_and_create_triggers, drop_triggers),
    ]
