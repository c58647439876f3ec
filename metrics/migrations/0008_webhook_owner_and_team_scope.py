"""Webhooks get an owner (whose eyes they see through) and a team scope.

Existing webhooks: the owner is the person who created them (``created_by``), else the first
active superuser (by id), else the first superuser; with no superuser at all the webhook stays
without an owner and receives nothing until one is set (admin or API). Their team scope is empty
(every team the owner may see), so a webhook made by the strategy office keeps receiving every
alert.

Deliveries still pending were addressed before any scope existed (every alert to every
webhook; 0006 already made their texts neutral): they are not sent (marked failed, saying why).
Those already delivered or failed stay as the record of what was sent; only the strategy office
can read them (admin).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def webhooks_give_owners(apps, schema_editor):
    Webhook = apps.get_model("metrics", "Webhook")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    superusers = User.objects.filter(is_superuser=True).order_by("-is_active", "id")
    fallback = superusers.values_list("id", flat=True).first()
    for webhook in Webhook.objects.filter(owner__isnull=True):
        webhook.owner_id = webhook.created_by_id or fallback
        webhook.save(update_fields=["owner"])


def deliveries_unscoped_cancel(apps, schema_editor):
    WebhookDelivery = apps.get_model("metrics", "WebhookDelivery")
    WebhookDelivery.objects.filter(status="pending").update(
        status="failed",
        last_error="Not sent: built before webhooks had an owner and a team scope "
        "(migration metrics 0008).",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0007_version"),
        ("strategy", "0003_api_tokens"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="webhook",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                help_text="It receives only alerts this person may see. Without an owner (the person was deleted) it receives nothing.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="webhooks",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="webhook",
            name="team",
            field=models.ForeignKey(
                blank=True,
                help_text="Only alerts of this team and the teams below it. Empty: every team its owner may see.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="webhooks",
                to="strategy.team",
            ),
        ),
        migrations.RunPython(webhooks_give_owners, migrations.RunPython.noop),
        migrations.RunPython(deliveries_unscoped_cancel, migrations.RunPython.noop),
    ]
