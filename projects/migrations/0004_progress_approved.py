from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Q


def mark_reviewed(apps: Any, schema_editor: Any) -> None:
    """Rows already reviewed before the flag existed: those of published periods, of approved unit
    reports, entered outside any period, or entered by the office itself."""
    ProgressReport = apps.get_model("projects", "ProgressReport")
    UnitReport = apps.get_model("dispatch", "UnitReport")
    approved_report = UnitReport.objects.filter(
        period_id=OuterRef("period_id"), unit_id=OuterRef("project__lead_unit_id"), state="approved"
    )
    ProgressReport.objects.filter(
        Q(period__isnull=True) | Q(period__state="published") | Q(reported_by__role="office") | Exists(approved_report)
    ).update(approved=True)


class Migration(migrations.Migration):

    dependencies = [
        ("dispatch", "0001_initial"),
        ("projects", "0003_progress_in_periods"),
    ]

    operations = [
        migrations.AddField(
            model_name="progressreport",
            name="approved",
            field=models.BooleanField(default=False, editable=False, verbose_name="已审核"),
        ),
        migrations.RunPython(mark_reviewed, migrations.RunPython.noop),
    ]
