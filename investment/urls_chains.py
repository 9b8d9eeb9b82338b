from __future__ import annotations

from django.urls import URLPattern, path

from investment import views_chains

urlpatterns: list[URLPattern] = [
    path("chains/", views_chains.chain_list, name="chains"),
    path("chains/new/", views_chains.chain_create, name="chain_create"),
    path("chains/<int:pk>/", views_chains.chain_detail, name="chain_detail"),
    path("chains/<int:pk>/edit/", views_chains.chain_edit, name="chain_edit"),
    path("chains/<int:pk>/desk/", views_chains.chain_desk, name="chain_desk"),
    path("chains/<int:pk>/nodes/new/", views_chains.chain_node_create, name="chain_node_create"),
    path("chains/nodes/<int:pk>/edit/", views_chains.chain_node_edit, name="chain_node_edit"),
    path("chains/nodes/<int:pk>/delete/", views_chains.chain_node_delete, name="chain_node_delete"),
]
