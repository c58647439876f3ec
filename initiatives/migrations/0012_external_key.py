"""A stable external key for every initiative (unique, editable), for spreadsheets and integrations.

Existing rows get the key the application would propose today (``strategy.keys``): the
title's slug, then ``-2``, ``-3`` ... in id order, so every database backfills the same keys.

The column is added in place, filled, then indexed as unique, in SQL: on SQLite Django's
AddField/AlterField would rebuild the table, which drops the triggers of the initiatives'
migrations 0002/0004/0006 (see initiatives 0009).
"""

from django.db import migrations, models
from django.utils.text import slugify

TABLE = "initiatives_initiative"
KEY = models.SlugField(
    blank=True,
    help_text="Stable identifier for spreadsheets and integrations, e.g. 'crm-rollout'. "
    "Empty: proposed from the title.",
    max_length=80,
    unique=True,
)


def add_key(apps, schema_editor):
    model = apps.get_model("initiatives", "Initiative")
    execute = schema_editor.execute
    execute(f'ALTER TABLE "{TABLE}" ADD COLUMN "key" varchar(80) NOT NULL DEFAULT \'\'')
    taken = set()
    rows = list(model.objects.order_by("id").only("id", "title"))
    for row in rows:
        base = slugify(row.title or "")[:72].strip("-_") or "initiative"
        key, n = base, 2
        while key in taken:
            key, n = f"{base}-{n}", n + 1
        taken.add(key)
        row.key = key
    model.objects.bulk_update(rows, ["key"], batch_size=1000)
    if schema_editor.connection.vendor == "postgresql":
        execute(f'ALTER TABLE "{TABLE}" ALTER COLUMN "key" DROP DEFAULT')
        execute(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{TABLE}_key_uniq" UNIQUE ("key")')
        execute(f'CREATE INDEX "{TABLE}_key_like" ON "{TABLE}" ("key" varchar_pattern_ops)')
    else:
        execute(f'CREATE UNIQUE INDEX "{TABLE}_key_uniq" ON "{TABLE}" ("key")')


def remove_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{TABLE}_key_like"')
    else:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{TABLE}_key_uniq"')
    schema_editor.execute(f'ALTER TABLE "{TABLE}" DROP COLUMN "key"')


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0011_history"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddField(model_name="initiative", name="key", field=KEY)],
        ),
        migrations.RunPython(add_key, remove_key),
        # The history (django-simple-history) keeps the key of each version; versions recorded
        # before this migration have none.
        migrations.AddField(
            model_name="historicalinitiative",
            name="key",
            field=models.SlugField(blank=True, help_text=KEY.help_text, max_length=80),
        ),
    ]
