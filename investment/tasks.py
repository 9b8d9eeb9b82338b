"""Background work of the investment module.

- Leads' lights (红黄绿灯) change as days pass without contact: refreshed daily by the scheduler
  (``RECURRING``), like the projects' lights.
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from django_tasks import task

from core import tasks as core_tasks
from core.models import Job
from investment import services

RECURRING = [
    core_tasks.Recurring(name="lead_lights", task_path="investment.tasks.lead_lights_task", every="day", hour=1),
]


@task()
def lead_lights_task(job_pk: int) -> None:
    with core_tasks.job_running(job_pk):
        core_tasks.job_progress(job_pk, 10, _("正在重新计算招商线索的红黄绿灯"))
        counts = services.lights_refresh_all()
        Job.objects.filter(pk=job_pk).update(result=counts)
