# Snapshots record the schema version they were written with (dispatch/snapshots.py). Every row
# written before is version 1: the default fills them, and the readers upgrade them on read.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("dispatch", "0005_notification_in_core"),
    ]

    operations = [
        migrations.AddField(
            model_name="periodsnapshot",
            name="schema_version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="projectsnapshot",
            name="schema_version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
    ]
