from __future__ import annotations

from django.urls import path

from projects import views, views_excel, views_lists

app_name = "projects"
urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("new/", views.project_create, name="create"),
    path("changes/", views.changes, name="changes"),
    path("changes/<int:pk>/decide/", views.change_decide, name="change_decide"),
    path("map/", views.project_map, name="map"),
    path("map/points.json", views.map_points, name="map_points"),
    path("excel/template.xlsx", views_excel.excel_template, name="excel_template"),
    path("excel/export.xlsx", views_excel.excel_export, name="excel_export"),
    path("excel/import/", views_excel.excel_import, name="excel_import"),
    path("excel/import/<slug:token>/errors.xlsx", views_excel.excel_import_errors, name="excel_import_errors"),
    path("lists/", views_lists.list_upload, name="list_upload"),
    path("lists/<str:token>/", views_lists.list_map, name="list_map"),
    path("lists/<str:token>/errors.xlsx", views_lists.list_errors, name="list_errors"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/delete/", views.project_delete, name="delete"),
    path("<int:pk>/adjust/", views.project_adjust, name="adjust"),
    path("<int:pk>/withdraw/", views.project_withdraw, name="withdraw"),
    path("<int:pk>/milestones/", views.milestones_edit, name="milestones"),
    path("<int:pk>/schedule/", views.schedule, name="schedule"),
    path("<int:pk>/progress/new/", views.progress_edit, name="progress_new"),
    path("<int:pk>/progress/<int:report_pk>/", views.progress_edit, name="progress_edit"),
    path("<int:pk>/opening/new/", views.opening_edit, name="opening_new"),
    path("<int:pk>/opening/<int:opening_pk>/", views.opening_edit, name="opening_edit"),
    path("<int:pk>/opening/<int:opening_pk>/delete/", views.opening_delete, name="opening_delete"),
]
