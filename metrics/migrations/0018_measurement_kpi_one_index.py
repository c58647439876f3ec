"""Drop the foreign key's own index on ``metrics_measurement.kpi_id`` (issue #19).

The unique ``(kpi_id, as_of)`` constraint's index serves every lookup by KPI; the single-column
index only cost writes and led PostgreSQL to read and sort a KPI's whole history for its newest
N. Only the index is dropped (on PostgreSQL and SQLite alike, by its name): the foreign key
constraint stays as it is, so the table is neither rebuilt nor revalidated."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "metrics_measurement_kpi_id_0d0dd74b"


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0017_webhook_alert_kinds"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="measurement",
                    name="kpi",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="measurements",
                        to="metrics.kpi",
                        verbose_name="KPI",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "metrics_measurement" ("kpi_id")',
                ),
            ],
        ),
    ]
