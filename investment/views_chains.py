"""Industry chain pages (产业链): the list, one chain's 产业招商图谱, the chain chief's desk (链长工作台) and the
office's pages to keep chains and their links. Lead counts come only from ``Lead.objects.visible_to``
(investment.chains); every write goes through investment.chains, which checks the rule again and records it."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.policies import can, require
from investment import chains
from investment.forms_chains import ChainForm, ChainNodeForm
from investment.models import Chain, ChainNode
from org.access import current_user


def _put_on_form(form: BaseForm, error: ValidationError) -> None:
    """A service's refusal on ``form``: with its field when the form shows it, else on the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for item in errors:
                form.add_error(name if name in form.fields else None, item.messages)
    else:
        form.add_error(None, error.messages)


def _chain(pk: int) -> Chain:
    return get_object_or_404(Chain.objects.select_related("chief"), pk=pk)


# --- reading ------------------------------------------------------------------------------------

def chain_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.view_chains")
    rows = chains.chain_rows(user)
    return render(request, "investment/chains.html", {
        "rows": rows,
        "legend": chains.status_legend(),
        "scope_note": chains.scope_note(user),
        "can_manage": can(user, "investment.manage_chains"),
        "desks": {row.chain.pk for row in rows if can(user, "investment.chain_desk", row.chain)},
    })


def chain_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.view_chains")
    chain = _chain(pk)
    rows, graph = chains.chain_map(chain, user)
    return render(request, "investment/chain_detail.html", {
        "chain": chain,
        "rows": rows,
        "graph": graph,
        "legend": chains.status_legend(),
        "scope_note": chains.scope_note(user),
        "can_manage": can(user, "investment.manage_chains"),
        "can_desk": can(user, "investment.chain_desk", chain),
    })


def chain_desk(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    chain = _chain(pk)
    require(user, "investment.chain_desk", chain)
    return render(request, "investment/chain_desk.html", {
        "chain": chain,
        "desk": chains.chain_desk(chain, user),
        "is_chief": chain.chief_id == user.pk,
    })


# --- keeping chains (the office) ----------------------------------------------------------------

def _chain_form(request: HttpRequest, chain: Chain | None) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.manage_chains")
    form = ChainForm(request.POST or None, instance=chain)
    if request.method == "POST" and form.is_valid():
        try:
            saved = chains.chain_save(by=user, chain=form.save(commit=False))
        except ValidationError as error:
            _put_on_form(form, error)
        else:
            messages.success(request, _("已保存产业链“%(name)s”。") % {"name": saved.name})
            return redirect("investment:chain_edit", pk=saved.pk)
    context: dict[str, Any] = {"form": form, "chain": chain}
    if chain is not None:
        context["nodes"] = chains.nodes_in_order(chain)
    return render(request, "investment/chain_form.html", context)


@require_http_methods(["GET", "POST"])
def chain_create(request: HttpRequest) -> HttpResponse:
    return _chain_form(request, None)


@require_http_methods(["GET", "POST"])
def chain_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(current_user(request), "investment.manage_chains")
    return _chain_form(request, _chain(pk))


def _node_form(request: HttpRequest, chain: Chain, node: ChainNode) -> HttpResponse:
    user = current_user(request)
    form = ChainNodeForm(request.POST or None, instance=node)
    if request.method == "POST" and form.is_valid():
        entered = form.save(commit=False)
        entered.chain = chain
        entered.local_enterprises = form.cleaned_data["enterprises"]
        try:
            saved = chains.chain_node_save(by=user, node=entered)
        except ValidationError as error:
            _put_on_form(form, error)
        else:
            messages.success(request, _("已保存环节“%(name)s”。") % {"name": saved.name})
            return redirect("investment:chain_edit", pk=chain.pk)
    return render(request, "investment/chain_node_form.html", {"form": form, "chain": chain, "node": node})


@require_http_methods(["GET", "POST"])
def chain_node_create(request: HttpRequest, pk: int) -> HttpResponse:
    require(current_user(request), "investment.manage_chains")
    chain = _chain(pk)
    return _node_form(request, chain, ChainNode(chain=chain))


@require_http_methods(["GET", "POST"])
def chain_node_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(current_user(request), "investment.manage_chains")
    node = get_object_or_404(ChainNode.objects.select_related("chain__chief"), pk=pk)
    return _node_form(request, node.chain, node)


@require_POST
def chain_node_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.manage_chains")
    node = get_object_or_404(ChainNode.objects.select_related("chain"), pk=pk)
    try:
        chains.chain_node_delete(by=user, node=node)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已删除环节“%(name)s”。") % {"name": node.name})
    return redirect("investment:chain_edit", pk=node.chain_id)
