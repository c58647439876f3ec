"""Pause bookkeeping of initiatives (issue #14): days on hold, on hold since, resumed on.

As in migration 0007, the NOT NULL ``paused_days`` is added in place on SQLite (a table rebuild
would drop the triggers of migrations 0002/0004/0006); the two nullable dates are added in
place by Django itself.
"""

from django.db import migrations, models

PAUSED_DAYS = dict(
    db_default=0,
    default=0,
    editable=False,
    help_text="Days spent on hold in finished pauses (kept by initiative_save when the status "
    "changes); left out of the elapsed time that the schedule is judged on.",
)


def add_paused_days(apps, schema_editor):
    model = apps.get_model("initiatives", "initiative")
    if schema_editor.connection.vendor == "sqlite":
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(
            f'ALTER TABLE {table} ADD COLUMN "paused_days" integer unsigned NOT NULL DEFAULT 0 '
            'CHECK ("paused_days" >= 0)'
        )
    else:
        schema_editor.add_field(model, model._meta.get_field("paused_days"))


def remove_paused_days(apps, schema_editor):
    model = apps.get_model("initiatives", "initiative")
    if schema_editor.connection.vendor == "sqlite":
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f'ALTER TABLE {table} DROP COLUMN "paused_days"')
    else:
        schema_editor.remove_field(model, model._meta.get_field("paused_days"))


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0008_input_rules"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="initiative",
                    name="paused_days",
                    field=models.PositiveIntegerField(**PAUSED_DAYS),
                )
            ],
        ),
        migrations.RunPython(add_paused_days, remove_paused_days),
        migrations.AddField(
            model_name="initiative",
            name="paused_since",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text="The day it went on hold (while on hold).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="initiative",
            name="resumed_on",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text="The day it last came back from hold: check-ins are expected from "
                "then on.",
                null=True,
            ),
        ),
    ]
