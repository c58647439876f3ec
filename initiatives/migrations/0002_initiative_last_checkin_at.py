"""Initiative.last_checkin_at: the time of its newest check-in, kept by the database.

Backfilled with one UPDATE, then kept true by triggers whatever writes the rows (the check-in
service, bulk inserts of the demo, the admin, a stale model instance saved over a newer value):

* a check-in inserted, moved or deleted recomputes its initiative's value;
* any write of an initiative row recomputes it too, so an instance loaded before a check-in
  and saved after it cannot put back the older time.

Each recomputation is one probe of the (initiative, -created_at) index. On SQLite, a later
migration that remakes either table (how SQLite alters columns) drops these triggers and must
create them again: tests/initiatives/test_last_checkin.py fails if it does not.
"""

from django.db import migrations, models

LAST = (
    "(SELECT MAX(c.created_at) FROM initiatives_checkin c "
    "WHERE c.initiative_id = initiatives_initiative.id)"
)

POSTGRESQL = [
    """
    CREATE FUNCTION initiatives_initiative_last_checkin() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.last_checkin_at := (
            SELECT MAX(c.created_at) FROM initiatives_checkin c WHERE c.initiative_id = NEW.id
        );
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER initiative_last_checkin BEFORE INSERT OR UPDATE ON initiatives_initiative
    FOR EACH ROW EXECUTE FUNCTION initiatives_initiative_last_checkin()
    """,
    f"""
    CREATE FUNCTION initiatives_checkin_last_checkin() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            UPDATE initiatives_initiative SET last_checkin_at = {LAST}
            WHERE id = OLD.initiative_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            UPDATE initiatives_initiative SET last_checkin_at = {LAST}
            WHERE id = NEW.initiative_id;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER checkin_last_checkin
    AFTER INSERT OR DELETE OR UPDATE OF created_at, initiative_id ON initiatives_checkin
    FOR EACH ROW EXECUTE FUNCTION initiatives_checkin_last_checkin()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER checkin_last_checkin ON initiatives_checkin",
    "DROP FUNCTION initiatives_checkin_last_checkin()",
    "DROP TRIGGER initiative_last_checkin ON initiatives_initiative",
    "DROP FUNCTION initiatives_initiative_last_checkin()",
]

# SQLite cannot assign NEW in a trigger: the initiative's triggers correct the row after the
# write instead, only when it differs from the truth (so they never fire themselves again).
_CORRECT = f"""
    WHEN NEW.last_checkin_at IS NOT (
        SELECT MAX(c.created_at) FROM initiatives_checkin c WHERE c.initiative_id = NEW.id
    )
    BEGIN
        UPDATE initiatives_initiative SET last_checkin_at = {LAST} WHERE id = NEW.id;
    END
"""
SQLITE = [
    f"CREATE TRIGGER initiative_last_checkin_insert AFTER INSERT ON initiatives_initiative {_CORRECT}",
    f"CREATE TRIGGER initiative_last_checkin_update AFTER UPDATE ON initiatives_initiative {_CORRECT}",
    f"""
    CREATE TRIGGER checkin_last_checkin_insert AFTER INSERT ON initiatives_checkin
    BEGIN
        UPDATE initiatives_initiative SET last_checkin_at = {LAST} WHERE id = NEW.initiative_id;
    END
    """,
    f"""
    CREATE TRIGGER checkin_last_checkin_update
    AFTER UPDATE OF created_at, initiative_id ON initiatives_checkin
    BEGIN
        UPDATE initiatives_initiative SET last_checkin_at = {LAST}
        WHERE id IN (OLD.initiative_id, NEW.initiative_id);
    END
    """,
    f"""
    CREATE TRIGGER checkin_last_checkin_delete AFTER DELETE ON initiatives_checkin
    BEGIN
        UPDATE initiatives_initiative SET last_checkin_at = {LAST} WHERE id = OLD.initiative_id;
    END
    """,
]
SQLITE_DROP = [
    f"DROP TRIGGER {name}"
    for name in (
        "checkin_last_checkin_delete",
        "checkin_last_checkin_update",
        "checkin_last_checkin_insert",
        "initiative_last_checkin_update",
        "initiative_last_checkin_insert",
    )
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in statements:
        raise NotImplementedError(f"No last check-in triggers for {vendor}.")
    for sql in statements[vendor]:
        schema_editor.execute(sql)


def backfill_and_create_triggers(apps, schema_editor):
    schema_editor.execute(f"UPDATE initiatives_initiative SET last_checkin_at = {LAST}")
    _run(schema_editor, {"postgresql": POSTGRESQL, "sqlite": SQLITE})


def drop_triggers(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP})


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="initiative",
            name="last_checkin_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="When its newest check-in was made. Kept by the database (triggers "
                "of migration 0002): always the latest check-in's time, whatever the "
                "application writes.",
                null=True,
            ),
        ),
        migrations.RunPython(backfill_and_create_triggers, drop_triggers),
    ]
