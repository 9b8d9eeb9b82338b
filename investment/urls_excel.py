from __future__ import annotations

from django.urls import URLPattern, path

from investment import views_excel

urlpatterns: list[URLPattern] = [
    path("leads/excel/template/", views_excel.excel_template, name="excel_template"),
    path("leads/excel/export/", views_excel.excel_export, name="excel_export"),
    path("leads/excel/import/", views_excel.excel_import, name="excel_import"),
    path("leads/excel/import/<slug:token>/errors.xlsx", views_excel.excel_import_errors, name="excel_import_errors"),
    path("leads/signed/excel/template/", views_excel.signed_template, name="signed_template"),
    path("leads/signed/excel/export/", views_excel.signed_export, name="signed_export"),
    path("leads/signed/excel/import/", views_excel.signed_import, name="signed_import"),
    path("leads/signed/excel/import/<slug:token>/errors.xlsx", views_excel.signed_import_errors,
         name="signed_import_errors"),
]
