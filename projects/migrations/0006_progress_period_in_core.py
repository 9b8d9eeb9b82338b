# The period model now lives in core (same table): only Django's view of the foreign key changes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("projects", "0005_project_changes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="progressreport",
                    name="period",
                    field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="progress_reports", to="core.period", verbose_name="调度期"),
                ),
            ],
            database_operations=[],
        ),
    ]
