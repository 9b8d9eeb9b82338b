import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    # Numbered after the bulletin heartbeat migration of the same round so the graph has one leaf.
    dependencies = [
        ("dispatch", "0002_bulletin_heartbeat"),
        ("projects", "0004_progress_approved"),
    ]

    operations = [
        migrations.AddField(
            model_name="period",
            name="publish_reason",
            field=models.TextField(blank=True, verbose_name="发布说明"),
        ),
        migrations.AlterField(
            model_name="projectsnapshot",
            name="project",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="snapshots",
                to="projects.project",
            ),
        ),
    ]
