"""An initiative's kind: ``plan`` (the strategy's work, every existing row) or ``support`` (a
support measure of the execution-support plan, issue #18).

The column is added in place in SQL with its database default: on SQLite Django's AddField
would rebuild the table, which drops the triggers of the initiatives' migrations 0002/0004/0006
(see initiatives 0009 and 0012).
"""

from django.db import migrations, models

TABLE = "initiatives_initiative"
KIND = models.CharField(
    choices=[("plan", "Plan"), ("support", "Support")],
    db_default="plan",
    default="plan",
    editable=False,
    help_text="'plan': work of the strategy; 'support': a support measure of the "
    "execution-support plan (set by the support app, linked to its barrier there). A support "
    "initiative is scored and alerted like any other but left out of its objective's score, so "
    "it never moves the plan's health.",
    max_length=7,
)


def add_kind(apps, schema_editor):
    schema_editor.execute(
        f'ALTER TABLE "{TABLE}" ADD COLUMN "kind" varchar(7) NOT NULL DEFAULT \'plan\''
    )


def remove_kind(apps, schema_editor):
    schema_editor.execute(f'ALTER TABLE "{TABLE}" DROP COLUMN "kind"')


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0012_external_key"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddField(model_name="initiative", name="kind", field=KIND)],
        ),
        migrations.RunPython(add_kind, remove_kind),
        migrations.AddField(model_name="historicalinitiative", name="kind", field=KIND),
    ]
