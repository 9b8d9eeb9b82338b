from __future__ import annotations

from django.urls import URLPattern, path

from investment import views_attachments

urlpatterns: list[URLPattern] = [
    path("leads/<int:pk>/attachments/", views_attachments.attachment_add, name="attachment_add"),
    path("leads/<int:pk>/attachments/<int:attachment_pk>/", views_attachments.attachment_download,
         name="attachment_download"),
    path("leads/<int:pk>/attachments/<int:attachment_pk>/delete/", views_attachments.attachment_delete,
         name="attachment_delete"),
]
