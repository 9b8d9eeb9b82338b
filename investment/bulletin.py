"""The 招商引资 section of the monthly bulletin (core.hooks.bulletin_parts, registered in InvestmentConfig.ready).

For a published month it is written from the month's snapshot only (investment.snapshot); before publication
from the data as it stands (the preview). Every sentence is chosen by the figures it states: a month with new
leads never reads "无新增", a month without any never gives a count of 0. The ranking table holds units'
aggregates only, never a lead (leads are commercial secrets and the bulletin is read widely).
"""
from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from core.hooks import BulletinBlock, BulletinPart
from core.models import Period
from investment import targets as tg
from investment.snapshot import Attraction, attraction_for
from projects.rules import money_text

KEY = "attraction"


def _day(attraction: Attraction) -> str:
    return _("%(month)s月%(day)s日") % {"month": attraction.as_of.month, "day": attraction.as_of.day}


def month_sentences(a: Attraction) -> list[str]:
    """The month's leads, signings, starts and money, a sentence each."""
    f = a.figures
    head = _("%(year)s年%(month)s月（截至%(day)s）") % {"year": a.year, "month": a.month, "day": _day(a)}
    parts: list[str] = []
    if f.new_leads:
        parts.append(_("新增招商线索 %(n)s 条") % {"n": f.new_leads})
    else:
        parts.append(_("无新增招商线索"))
    if f.signed_count:
        text = _("签约项目 %(n)s 个，签约额 %(amount)s") % {"n": f.signed_count,
                                                        "amount": tg.money_words(f.signed_amount)}
        if f.big_count:
            text += _("，其中亿元以上项目 %(n)s 个") % {"n": f.big_count}
        else:
            text += _("，无亿元以上项目")
        if f.signed_pending:
            text += _("（其中 %(n)s 个涉及待裁定撞单，暂按录入单位计）") % {"n": f.signed_pending}
        parts.append(text)
    else:
        parts.append(_("无新签约项目"))
    if f.started_count:
        parts.append(_("开工项目 %(n)s 个，开工额 %(amount)s") % {"n": f.started_count,
                                                           "amount": tg.money_words(f.started_amount)})
    else:
        parts.append(_("无新开工项目"))
    if f.funds_amount:
        parts.append(_("到位资金 %(amount)s") % {"amount": tg.money_words(f.funds_amount)})
    else:
        parts.append(_("无到位资金"))
    return [head + _("，") + _("；").join(parts) + _("。")]


def year_sentences(a: Attraction) -> list[str]:
    """The district's year to date against the units' targets summed, with the time-elapsed schedule."""
    intro = _("1—%(month)s月累计（年度目标为各单位目标之和）：") % {"month": a.month}
    return [intro + _("；").join(tg.progress_words(f, a.schedule) for f in a.totals) + _("。")]


def follow_up_sentences(a: Attraction) -> list[str]:
    f = a.figures
    values = {"day": _day(a), "resolved": f.collisions_resolved, "open": f.collisions_open,
              "yellow_days": f.yellow_days, "red_days": f.red_days, "yellow": f.stale_yellow, "red": f.stale_red}
    if f.collisions_resolved and f.collisions_open:
        collisions = _("本月裁定撞单 %(resolved)s 起；截至%(day)s，尚有 %(open)s 起撞单待项目办裁定。") % values
    elif f.collisions_resolved:
        collisions = _("本月裁定撞单 %(resolved)s 起；截至%(day)s，没有待裁定的撞单。") % values
    elif f.collisions_open:
        collisions = _("本月没有裁定撞单；截至%(day)s，尚有 %(open)s 起撞单待项目办裁定。") % values
    else:
        collisions = _("本月没有裁定撞单，截至%(day)s也没有待裁定的撞单。") % values
    if f.stale_yellow or f.stale_red:
        stale = _("截至%(day)s，满 %(yellow_days)s 天未洽谈的黄灯线索 %(yellow)s 条，满 %(red_days)s 天未洽谈的"
                  "红灯线索 %(red)s 条，请相关单位加快跟进。") % values
    else:
        stale = _("截至%(day)s，没有满 %(yellow_days)s 天未洽谈的线索。") % values
    return [collisions, stale]


def ranking_sentences(a: Attraction) -> list[str]:
    ranked = [r for r in a.rows if r.ranked]
    unranked = [r.unit_name for r in a.rows if not r.ranked]
    values = {"n": len(ranked), "cap": tg.RATE_CAP, "schedule": a.schedule, "names": "、".join(unranked)}
    if not ranked:
        text = _("本年度尚未下达招商引资目标，不排名。")
    else:
        text = _("按各单位已下达目标的完成率平均值（单项最高按 %(cap)s%% 计）排名，共 %(n)s 个单位参与排名，"
                 "序时进度 %(schedule)s%%。") % values
        first = ranked[0]
        text += _("%(name)s居首，得分 %(score)s。") % {"name": first.unit_name, "score": first.score}
    if unranked:
        text += _("%(names)s未下达目标，不参与排名。") % values
    return [text]


def cell(figure: tg.MetricFigure) -> str:
    actual = tg.number_words(figure.actual) if figure.metric in tg.COUNTS else money_text(figure.actual)
    if figure.target is None:
        return actual
    target = tg.number_words(figure.target) if figure.metric in tg.COUNTS else money_text(figure.target)
    rate = "—" if figure.rate is None else f"{figure.rate}%"
    return f"{actual} / {target}（{rate}）"


def page_headers() -> tuple[str, ...]:
    """The ranking's columns on the page, where each metric shows actual / target (rate)."""
    return (_("排名"), _("单位"), _("得分"), *[
        _("%(label)s(个)") % {"label": tg.label(m)} if m in tg.COUNTS else _("%(label)s(万元)") % {"label": tg.label(m)}
        for m in tg.METRICS
    ])


def ranking_table(a: Attraction) -> BulletinBlock:
    """The bulletin's table: the ranked units with their score and each target's completion rate (— for a target
    not set), short enough to stay a line a unit on the page; the figures behind the rates are in the text
    above and on the ranking page."""
    headers = (_("排名"), _("单位"), _("得分"), *[_("%(label)s完成率") % {"label": tg.label(m)} for m in tg.METRICS])
    rows = tuple(
        (str(r.rank), r.unit_name, str(r.score), *["—" if f.rate is None else f"{f.rate}%" for f in r.figures])
        for r in a.rows if r.ranked
    )
    return BulletinBlock(kind="table", headers=headers, rows=rows)


def attraction_blocks(a: Attraction) -> tuple[BulletinBlock, ...]:
    blocks = [BulletinBlock(kind="heading", text=_("招引进展"))]
    blocks += [BulletinBlock(kind="text", text=t) for t in month_sentences(a) + year_sentences(a)]
    blocks.append(BulletinBlock(kind="heading", text=_("撞单裁定和线索跟进")))
    blocks += [BulletinBlock(kind="text", text=t) for t in follow_up_sentences(a)]
    blocks.append(BulletinBlock(kind="heading", text=_("单位排名")))
    blocks += [BulletinBlock(kind="text", text=t) for t in ranking_sentences(a)]
    if any(r.ranked for r in a.rows):
        blocks.append(ranking_table(a))
        # How the score is made, under the table that shows it.
        blocks.append(BulletinBlock(kind="text", text=tg.score_rule()))
    return tuple(blocks)


# Printed in the district's language, whoever asks.
@translation.override(settings.LANGUAGE_CODE)
def bulletin_part(*, period: Period) -> BulletinPart | None:
    """The hook's answer: the section for a monthly ``period`` (see the module docstring), or None."""
    attraction = attraction_for(period)
    if attraction is None:
        return None
    return BulletinPart(key=KEY, blocks=attraction_blocks(attraction))
