"""A version number on initiatives and milestones (optimistic concurrency, issue #12).

On SQLite, Django adds a NOT NULL column by rebuilding the table, which would drop the
triggers of migrations 0002/0004/0006 on ``initiatives_initiative``: there the column is added
in place (``ALTER TABLE ... ADD COLUMN`` with a constant default keeps the table and its
triggers). Elsewhere Django's own ``add_field`` runs.
"""

from django.db import migrations, models

FIELD = dict(
    db_default=1,
    default=1,
    editable=False,
    help_text="Raised by one at every save; a form or API client that read an older version "
    "is told that someone else changed it meanwhile.",
)
MODELS = ("initiative", "milestone")


def add_version(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("initiatives", name)
        field = model._meta.get_field("version")
        if schema_editor.connection.vendor == "sqlite":
            table = schema_editor.quote_name(model._meta.db_table)
            schema_editor.execute(
                f'ALTER TABLE {table} ADD COLUMN "version" integer unsigned NOT NULL DEFAULT 1 '
                'CHECK ("version" >= 0)'
            )
        else:
            schema_editor.add_field(model, field)


def remove_version(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("initiatives", name)
        if schema_editor.connection.vendor == "sqlite":
            table = schema_editor.quote_name(model._meta.db_table)
            schema_editor.execute(f'ALTER TABLE {table} DROP COLUMN "version"')
        else:
            schema_editor.remove_field(model, model._meta.get_field("version"))


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0006_statement_level_insert_triggers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name=name, name="version", field=models.PositiveIntegerField(**FIELD)
                )
                for name in MODELS
            ],
        ),
        # After the state change, so that the models given to it have the field.
        migrations.RunPython(add_version, remove_version),
    ]
