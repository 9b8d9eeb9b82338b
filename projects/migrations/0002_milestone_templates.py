"""Standard milestone templates for reverse scheduling; districts edit them in admin."""
from __future__ import annotations

from typing import Any

from django.db import migrations

TEMPLATES = {
    ("产业项目标准节点", "industry"): [
        ("立项备案", 0), ("土地摘牌", 40), ("规划许可", 20), ("施工许可", 15), ("开工", 10),
        ("主体完工", 120), ("竣工验收", 60), ("投产", 30),
    ],
    ("基础设施项目标准节点", "infrastructure"): [
        ("立项批复", 0), ("可研批复", 30), ("用地预审", 20), ("初步设计批复", 25), ("施工许可", 20),
        ("开工", 10), ("主体完工", 150), ("竣工验收", 40),
    ],
    ("社会民生项目标准节点", "livelihood"): [
        ("立项批复", 0), ("可研批复", 30), ("规划许可", 25), ("施工许可", 15), ("开工", 10),
        ("主体完工", 120), ("竣工验收", 40), ("交付使用", 20),
    ],
    ("其他项目标准节点", "other"): [
        ("立项", 0), ("手续办理", 40), ("开工", 15), ("主体完工", 120), ("竣工", 40),
    ],
}


def create(apps: Any, schema_editor: Any) -> None:
    template_model = apps.get_model("projects", "MilestoneTemplate")
    step_model = apps.get_model("projects", "MilestoneTemplateStep")
    for (name, project_type), steps in TEMPLATES.items():
        template, _ = template_model.objects.get_or_create(name=name, defaults={"project_type": project_type})
        for order, (step, days) in enumerate(steps, start=1):
            step_model.objects.get_or_create(
                template=template, order=order, defaults={"name": step, "duration_workdays": days}
            )


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
