# The notification model moves to core (same table, same rows): dispatch forgets it without touching the table.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0005_notification_from_dispatch"),
        ("dispatch", "0004_period_in_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
