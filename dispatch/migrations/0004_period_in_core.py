# The period model moves to core (same table, same rows): dispatch's foreign keys now name core.Period.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("dispatch", "0003_publish_decision"),
        ("projects", "0006_progress_period_in_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="unitreport",
                    name="period",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="unit_reports", to="core.period", verbose_name="调度期"),
                ),
                migrations.AlterField(
                    model_name="projectsnapshot",
                    name="period",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="snapshots", to="core.period"),
                ),
                migrations.AlterField(
                    model_name="periodsnapshot",
                    name="period",
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="snapshot", to="core.period"),
                ),
                migrations.AlterField(
                    model_name="reminderlog",
                    name="period",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="reminders", to="core.period"),
                ),
                migrations.AlterField(
                    model_name="problem",
                    name="period",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="problems", to="core.period", verbose_name="调度期"),
                ),
                migrations.AlterField(
                    model_name="bulletin",
                    name="period",
                    field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="bulletin", to="core.period"),
                ),
                migrations.DeleteModel(name="Period"),
            ],
            database_operations=[],
        ),
    ]
