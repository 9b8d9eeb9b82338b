"""The demo logins, one per role; shared by the demo loader and `demo_logins`."""
from __future__ import annotations

# Demo only: printed by `make run`; a real district creates its own users.
DEMO_PASSWORD = "diaodu-demo-2026"  # noqa: S105
DEMO_LOGINS = [
    ("admin", "admin", "系统管理员"),
    ("office", "office", "项目办（发改局）审核"),
    ("leader", "leader", "区领导"),
    ("reporter", "reporter", "单位填报员（高新区街道）"),
    ("viewer", "viewer", "只读查看"),
]
