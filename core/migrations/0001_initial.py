# The period moves from dispatch to core: the same table and rows, now the platform's model.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The table was created by dispatch; this migration only tells Django that core owns it now.
        ("dispatch", "0003_publish_decision"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Period",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                        ("month", models.PositiveSmallIntegerField(verbose_name="月份")),
                        ("half", models.PositiveSmallIntegerField(default=0, verbose_name="半月")),
                        ("opens_on", models.DateField(verbose_name="开始填报日期")),
                        ("deadline", models.DateField(verbose_name="截止日期")),
                        ("state", models.CharField(choices=[("open", "填报中"), ("closed", "已截止"), ("published", "已发布")], default="open", max_length=10, verbose_name="状态")),
                        ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="截止时间")),
                        ("published_at", models.DateTimeField(blank=True, null=True, verbose_name="发布时间")),
                        ("publish_reason", models.TextField(blank=True, verbose_name="发布说明")),
                        ("published_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="发布人")),
                    ],
                    options={
                        "verbose_name": "调度期",
                        "verbose_name_plural": "调度期",
                        "db_table": "dispatch_period",
                        "ordering": ["-year", "-month", "-half"],
                        "constraints": [models.UniqueConstraint(fields=("year", "month", "half"), name="period_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
