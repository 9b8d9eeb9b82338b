from __future__ import annotations

from typing import Any

from django.test import Client

from audit.models import AuditEntry
from conftest import PASSWORD
from projects.models import MilestoneTemplate


def test_office_admin_edits_a_template_step_and_it_is_recorded(personas: dict[str, Any]) -> None:
    template = MilestoneTemplate.objects.get(project_type="industry")
    steps = list(template.steps.all())
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    data: dict[str, Any] = {
        "name": template.name,
        "project_type": template.project_type,
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(len(steps)),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, step in enumerate(steps):
        data.update(
            {
                f"steps-{i}-id": str(step.pk),
                f"steps-{i}-template": str(template.pk),
                f"steps-{i}-order": str(step.order),
                f"steps-{i}-name": step.name,
                f"steps-{i}-duration_workdays": str(step.duration_workdays + (5 if i == 1 else 0)),
            }
        )
    response = client.post(f"/admin/projects/milestonetemplate/{template.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    steps[1].refresh_from_db()
    entry = AuditEntry.objects.get(model="projects.milestonetemplatestep", object_id=str(steps[1].pk))
    assert entry.subject_id == str(template.pk)
    assert list(entry.changes.values()) == [[str(steps[1].duration_workdays - 5), str(steps[1].duration_workdays)]]
    assert AuditEntry.objects.filter(model="projects.milestonetemplatestep").count() == 1
