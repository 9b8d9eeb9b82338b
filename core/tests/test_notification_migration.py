"""Notifications moved from dispatch to core: the same table, and every row is still there, read through core."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def _before_the_move(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """The core and dispatch migrations the move builds on, whatever they are numbered."""
    graph = executor.loader.graph
    (move,) = [key for key in graph.nodes if key[0] == "core" and "notification" in key[1]]
    return sorted(parent.key for parent in graph.node_map[move].parents if parent.key[0] in {"core", "dispatch"})


@pytest.mark.django_db(transaction=True)
def test_upgrading_keeps_every_notification_and_its_content_type(personas: dict[str, Any]) -> None:
    executor = MigrationExecutor(connection)
    before = _before_the_move(executor)
    assert [app for app, _name in before] == ["core", "dispatch"]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldNotification = old_apps.get_model("dispatch", "Notification")
    ContentType = old_apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="core", model="notification").delete()
    old_type = ContentType.objects.get_or_create(app_label="dispatch", model="notification")[0]
    OldNotification.objects.create(user_id=personas["reporter"].pk, text="旧消息", url="/dispatch/")
    OldNotification.objects.create(user_id=personas["office"].pk, text="已读的旧消息")
    OldNotification.objects.filter(text="已读的旧消息").update(read_at=dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC))

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    from core.models import Notification

    rows = {(n.user.username, n.text, n.url, n.read_at is not None) for n in Notification.objects.all()}
    assert rows == {("reporter", "旧消息", "/dispatch/", False), ("office", "已读的旧消息", "", True)}
    assert Notification._meta.db_table == "dispatch_notification"
    # Permissions and admin history attached to the old content type follow the model.
    moved = CurrentContentType.objects.get(pk=old_type.pk)
    assert (moved.app_label, moved.model) == ("core", "notification")
    assert not CurrentContentType.objects.filter(app_label="dispatch", model="notification").exists()
    CurrentContentType.objects.clear_cache()
