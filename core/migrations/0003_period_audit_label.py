# The period's change history keeps its records: entries written as "dispatch.period" now name core.period.

from django.db import migrations


def relabel(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditEntry.objects.filter(model="dispatch.period").update(model="core.period")
    AuditEntry.objects.filter(subject_model="dispatch.period").update(subject_model="core.period")


def unlabel(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditEntry.objects.filter(model="core.period").update(model="dispatch.period")
    AuditEntry.objects.filter(subject_model="core.period").update(subject_model="dispatch.period")


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_period_kind"),
        ("audit", "0002_initial"),
    ]

    operations = [migrations.RunPython(relabel, unlabel)]
