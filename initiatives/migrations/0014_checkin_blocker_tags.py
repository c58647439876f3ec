"""Optional blocker tags on check-ins (issue #18).

As in migrations 0007 and 0009, the NOT NULL column is added in place on SQLite (a table
rebuild would drop the triggers of migrations 0002/0004/0006).
"""

from django.db import migrations, models

import initiatives.models

BLOCKER_TAGS = dict(
    blank=True,
    db_default="",
    default="",
    help_text="What kind of blocker: skills, resources, dependency, decision (comma-separated, "
    "see BlockerTag; empty: none).",
    max_length=60,
    validators=[initiatives.models.validate_blocker_tags],
)


def add_blocker_tags(apps, schema_editor):
    model = apps.get_model("initiatives", "checkin")
    if schema_editor.connection.vendor == "sqlite":
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN \"blocker_tags\" varchar(60) NOT NULL DEFAULT ''"
        )
    else:
        schema_editor.add_field(model, model._meta.get_field("blocker_tags"))


def remove_blocker_tags(apps, schema_editor):
    model = apps.get_model("initiatives", "checkin")
    if schema_editor.connection.vendor == "sqlite":
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f'ALTER TABLE {table} DROP COLUMN "blocker_tags"')
    else:
        schema_editor.remove_field(model, model._meta.get_field("blocker_tags"))


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0013_kind"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="checkin",
                    name="blocker_tags",
                    field=models.CharField(**BLOCKER_TAGS),
                )
            ],
        ),
        migrations.RunPython(add_blocker_tags, remove_blocker_tags),
    ]
