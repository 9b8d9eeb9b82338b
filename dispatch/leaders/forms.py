"""The instruction form (批示): one text, required, at most ``services.TEXT_MAX_LENGTH`` characters."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dispatch.leaders.services import TEXT_MAX_LENGTH


class InstructionForm(forms.Form):
    text = forms.CharField(
        label=_("批示内容"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("请填写批示内容。"),
            "max_length": _("批示内容不能超过 %(limit_value)d 个字（现有 %(show_value)d 个字）。"),
        },
    )
