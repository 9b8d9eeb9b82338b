# Periods of every kind: month, half-month, quarter (assessment) and year (targets).

from django.db import migrations, models


def halves(apps, schema_editor):
    Period = apps.get_model("core", "Period")
    Period.objects.filter(half__gt=0).update(kind="half")


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="period",
            name="kind",
            field=models.CharField(choices=[("month", "月度"), ("half", "半月"), ("quarter", "季度"), ("year", "年度")], default="month", max_length=8, verbose_name="类型"),
        ),
        migrations.RunPython(halves, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="period", name="period_unique"),
        migrations.AddConstraint(
            model_name="period",
            constraint=models.UniqueConstraint(fields=("kind", "year", "month", "half"), name="period_unique"),
        ),
    ]
