"""GIN indexes for the search (strategy.search) on PostgreSQL: one per searched table, on the
very expression the search matches (title weighted A, the other fields B, the ``english``
configuration). Without them a search reads every row (about 2-5 s for 20,000 objectives on the
development machine; with them a few ms). Other databases search with ``icontains``: nothing to
create. ``tests/strategy/test_search.py`` checks on PostgreSQL that the planner uses them."""

from django.db import migrations

# (app, model, title field, other fields, index name)
SEARCHED = [
    ("strategy", "Objective", "title", ("description",), "objective_search"),
    ("initiatives", "Initiative", "title", ("description",), "initiative_search"),
    ("metrics", "KPI", "name", ("key", "description"), "kpi_search"),
]


def _index(title, others, name):
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    vector = SearchVector(title, weight="A", config="english")
    for field in others:
        vector += SearchVector(field, weight="B", config="english")
    return GinIndex(vector, name=name)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for app, model, title, others, name in SEARCHED:
        schema_editor.add_index(apps.get_model(app, model), _index(title, others, name))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for app, model, title, others, name in SEARCHED:
        schema_editor.remove_index(apps.get_model(app, model), _index(title, others, name))


class Migration(migrations.Migration):
    dependencies = [
        ("strategy", "0011_history"),
        ("initiatives", "0011_history"),
        ("metrics", "0017_webhook_alert_kinds"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
