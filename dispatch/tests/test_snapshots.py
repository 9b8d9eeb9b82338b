"""dispatch.periods.snapshots and core.publication: typed, versioned snapshots, and the bulletin built from them.

The sha256 below are those of the April and March bulletins of the ``april`` fixture as the
code before typed snapshots wrote them (reading ``data.get("…")``): the documents of a published
period must not change by a byte when the way they are read does, nor when the rows are old ones.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from core import publication
from core.models import Period
from dispatch.bulletins.docx import bulletin_docx
from dispatch.bulletins.figures import bulletin_figures
from dispatch.bulletins.xlsx import bulletin_xlsx
from dispatch.models import PeriodSnapshot, ProjectSnapshot, default_sections
from dispatch.periods.snapshots import (
    BulletinText,
    Letterhead,
    PeriodFigures,
    ProjectFigures,
    SnapshotMilestone,
    SnapshotProblem,
    SnapshotReason,
    SnapshotUnit,
)

# The shared fixture; "as april" marks the re-export, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april

TZ = ZoneInfo("Asia/Shanghai")
BEFORE = {
    # period: (docx sha256, xlsx sha256) of the bulletins as published. Taken again when the bulletin changed
    # on purpose: 28 characters a line in LibreOffice and the 版记, then its new figures (total investment, the
    # splits by 建设性质, 项目类别 and 资金来源, 滞后项目, 形象进度分布, 提前开工/竣工, new annex rows and columns)
    # with the planned-completion light rule, which makes P5 yellow (issue 8, 2026-12-02).
    "period": ("b130a7f2cac17211070899b89154087d4783691f1e449831d12a8a785e564169",
               "64522ff3f9113af0c34e576203263416d9fff86ba3ded645dfb14083b0f54107"),
    "march": ("226f18658ab7c17076a9171353096ccd19a299fe404cba3dfb3c8177a062f83a",
              "ad0c1a384317c0bea3e13a867c384c7b84172e56fa174c09f8b668e9ec8b9fa7"),
}
# The same periods read from rows of the oldest schemas, which recorded no category or funding source: the
# bulletin counts those projects as not recorded and says so, so its bytes differ from the current rows' by
# that note, and by nothing else.
OLD_ROWS = {
    "period": ("5081fe67dd44c18225ae901295d342a613a7742812863820f888829b760e115b",
               "0b6f4ed3ae314042a91b771f016139aba5a8120c905812c8da14a76ccd37d31d"),
    "march": ("3af899263640550769af953f2e9d765a5d05fb587e541a7696a67609277c09b6",
              "61f6cf47ffd4df675773b69109f7009fa931e32e7804c085830f79e6c8728f10"),
}


def _hashes(period: Period) -> tuple[str, str]:
    period.refresh_from_db()
    figures = bulletin_figures(period)
    return (
        hashlib.sha256(bulletin_docx(figures, published_at=period.published_at)).hexdigest(),
        hashlib.sha256(bulletin_xlsx(figures, published_at=period.published_at)).hexdigest(),
    )


# --- strategies ---------------------------------------------------------------------------------

texts = st.text(max_size=20)
ids = st.integers(min_value=1, max_value=2**31 - 1)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
    lambda d: d.replace(tzinfo=TZ)
)
amounts = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2, allow_nan=False,
                      allow_infinity=False)
lights = st.sampled_from(["red", "yellow", "green"])

project_figures = st.builds(
    ProjectFigures,
    name=texts, level=texts, level_label=texts, project_type=texts, type_label=texts, industry=texts,
    stage=texts, stage_label=texts, construction=texts, is_special_bond=st.booleans(),
    lead_unit_id=st.none() | ids, lead_unit=texts, lead_unit_kind=texts, town_id=st.none() | ids, town=texts,
    leader=texts, total_investment=st.none() | amounts, annual_plan=st.none() | amounts,
    invested_period=st.none() | amounts, invested_ytd=amounts, invested_since_start=st.none() | amounts,
    planned_start=st.none() | dates, actual_start=st.none() | dates, planned_completion=st.none() | dates,
    started=st.booleans(), started_in_period=st.booleans(), completed=st.booleans(),
    completed_in_period=st.booleans(), light=lights,
    reasons=st.lists(st.builds(SnapshotReason, light=lights, text=texts), max_size=3).map(tuple),
    milestones_behind=st.lists(
        st.builds(SnapshotMilestone, name=texts, planned=dates, days_overdue=st.integers(0, 5000)), max_size=3
    ).map(tuple),
    progress_percent=st.none() | st.integers(0, 100), physical_progress=texts, problems=texts,
    reported=st.booleans(), unit_report_state=st.none() | texts,
    unreviewed=st.lists(texts, max_size=3).map(tuple),
    category=st.none() | texts, funding_source=st.none() | texts,
)
period_figures = st.builds(
    PeriodFigures,
    units=st.lists(
        st.builds(
            SnapshotUnit, unit_id=ids, unit=texts, kind=texts, state=texts, state_label=texts,
            submitted_at=st.none() | moments, late=st.booleans(), late_days=st.none() | st.integers(0, 400),
            reported=st.booleans(),
        ),
        max_size=4,
    ).map(tuple),
    problems=st.lists(
        st.builds(
            SnapshotProblem, id=ids, project=texts, description=texts, unit=texts, leader=texts, deadline=dates,
            state=texts, state_label=texts, overdue_days=st.integers(0, 5000), escalation=texts,
            escalation_text=texts, closed_at=st.none() | moments,
        ),
        max_size=4,
    ).map(tuple),
    taken_on=st.none() | dates,
    as_of=dates,
)
letterheads = st.builds(Letterhead, district_name=texts, document_prefix=texts)
bulletin_texts = st.builds(BulletinText, problems=texts, next_steps=texts)
STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    ProjectFigures.KIND: project_figures, PeriodFigures.KIND: period_figures, Letterhead.KIND: letterheads,
    BulletinText.KIND: bulletin_texts,
}


# --- schemas ------------------------------------------------------------------------------------

def test_every_registered_dispatch_schema_has_a_strategy_here() -> None:
    dispatch_kinds = {kind for kind in publication.schemas() if kind.startswith("dispatch.")}
    assert dispatch_kinds == set(STRATEGIES)


@pytest.mark.parametrize("kind", sorted(STRATEGIES))
@given(data=st.data())
def test_round_trip_through_json(kind: str, data: st.DataObject) -> None:
    schema = publication.schemas()[kind]
    snapshot = data.draw(STRATEGIES[kind])
    stored = json.loads(json.dumps(snapshot.to_data()))  # what a JSONField gives back
    assert schema.from_data(stored, version=schema.VERSION) == snapshot
    assert stored == snapshot.to_data()


def test_money_is_a_string_with_two_decimals_and_dates_are_iso(april: dict[str, Any]) -> None:
    row = ProjectSnapshot.objects.filter(period=april["period"]).order_by("code").first()
    assert row is not None and row.schema_version == ProjectFigures.VERSION
    assert row.data["invested_ytd"] == "300.00" and row.data["annual_plan"] == "1000.00"
    assert row.data["actual_start"] == "2026-03-10"
    figures = ProjectFigures.from_data(row.data, version=row.schema_version)
    assert figures.invested_ytd == Decimal("300.00") and figures.actual_start == dt.date(2026, 3, 10)
    assert figures.to_data() == row.data


def test_a_missing_field_is_an_error_not_none() -> None:
    period = PeriodFigures(units=(), problems=(), taken_on=None, as_of=dt.date(2026, 4, 30)).to_data()
    del period["as_of"]
    with pytest.raises(publication.SnapshotError):
        PeriodFigures.from_data(period, version=PeriodFigures.VERSION)
    with pytest.raises(publication.SnapshotError):
        PeriodFigures.from_data({**period, "as_of": "2026-04-30"}, version=PeriodFigures.VERSION + 1)


def test_the_registry_refuses_upgrades_that_do_not_reach_the_version() -> None:
    class Broken(publication.Snapshot):
        KIND = "test.broken"
        VERSION = 3
        UPGRADES = {1: lambda data, period: data}

    with pytest.raises(ValueError, match="do not lead from 1 to 3"):
        publication.register(Broken)
    assert "test.broken" not in publication.schemas()


# --- old rows -----------------------------------------------------------------------------------

def test_a_version_1_period_snapshot_without_as_of_is_as_of_the_last_day() -> None:
    period = Period(year=2026, month=2, half=0)
    old = {
        "units": [{"unit_id": 1, "unit": "发改局", "kind": "department", "state": "approved", "state_label": "已通过",
                   "submitted_at": "2026-03-01T09:00:00+08:00", "late": False}],
        "problems": [],
        "taken_on": "2026-03-06",
    }
    figures = PeriodFigures.from_data(old, version=1, period=period)
    assert figures.as_of == dt.date(2026, 2, 28)
    # Before "reported" was stored, an approved or submitted report said it; the first release had no late_days.
    assert figures.units[0].reported and figures.units[0].late_days is None
    with pytest.raises(publication.SnapshotError):
        PeriodFigures.from_data(old, version=1)  # without its period an old row cannot be dated


def test_a_version_1_project_snapshot_reads_missing_later_fields_as_empty(april: dict[str, Any]) -> None:
    row = ProjectSnapshot.objects.filter(period=april["period"]).order_by("code").first()
    assert row is not None
    old = {k: v for k, v in row.data.items() if k not in {"milestones_behind", "unreviewed"}}
    figures = ProjectFigures.from_data(old, version=1, period=april["period"])
    assert figures.milestones_behind == () and figures.unreviewed == ()
    assert figures.name == row.data["name"]


def test_the_bulletins_are_byte_identical_to_those_before_typed_snapshots(april: dict[str, Any]) -> None:
    for key, expected in BEFORE.items():
        assert _hashes(april[key]) == expected, key


def test_old_rows_give_the_same_bulletins(april: dict[str, Any]) -> None:
    """Rows as issue 6 wrote them, marked version 1 by the migration, and period rows still older
    (no ``as_of``, no ``reported``, no ``late_days``): they still read, and give the same bytes each time
    (``OLD_ROWS``: the current rows' bulletin plus the note that categories were not recorded)."""
    for key in BEFORE:
        period = april[key]
        ProjectSnapshot.objects.filter(period=period).update(schema_version=1)
        snapshot = PeriodSnapshot.objects.get(period=period)
        snapshot.data.pop("as_of")
        for unit in snapshot.data["units"]:
            unit.pop("reported")
            unit.pop("late_days")
        snapshot.schema_version = 1
        snapshot.save()
    for key, expected in OLD_ROWS.items():
        assert _hashes(april[key]) == expected, key


def test_the_registered_builders_read_every_published_snapshot_typed(april: dict[str, Any]) -> None:
    """Publishing ran dispatch's builders (core.publication); reading them back gives typed snapshots."""
    for key in BEFORE:
        period = april[key]
        counts = publication.verify(period)
        assert counts["dispatch.projects"] == ProjectSnapshot.objects.filter(period=period).count() > 0
        assert counts["dispatch.period"] == 1
        builders = {builder.name: builder for builder in publication.builders()}
        projects = builders["dispatch.projects"].read(period)
        assert all(isinstance(figures, ProjectFigures) for figures in projects)
        assert [figures.name for figures in projects] == list(
            ProjectSnapshot.objects.filter(period=period).order_by("code").values_list("data__name", flat=True)
        )
        (figures,) = builders["dispatch.period"].read(period)
        assert isinstance(figures, PeriodFigures) and figures.as_of <= period.last_day


def test_the_letterhead_is_frozen_at_publication(april: dict[str, Any], personas: dict[str, Any]) -> None:
    """The administrator may rename the district later; the period's documents keep the names of their day."""
    from core import district
    from dispatch.periods.snapshots import letterhead

    period = april["period"]
    before = letterhead(period)
    assert before == Letterhead(district_name=settings.DIAODU_DISTRICT_NAME,
                                document_prefix=district.district().document_prefix,
                                sections=tuple(default_sections()))
    district.district_settings_update(
        values={"district_name": "新区", "bulletin_prefix": "新重项办"}, version=0, by=personas["admin"]
    )
    assert letterhead(period) == before
    assert publication.verify(period)["dispatch.letterhead"] == 1
    # A period published before letterheads were frozen prints the current names, as it always did.
    from core.models import PublishedRecord

    PublishedRecord.objects.filter(period=period).delete()
    assert letterhead(period) == Letterhead(district_name="新区", document_prefix="新重项办")


def test_a_period_published_without_its_period_row_still_has_a_bulletin(april: dict[str, Any]) -> None:
    period = april["period"]
    PeriodSnapshot.objects.filter(period=period).delete()
    figures = bulletin_figures(period)
    assert figures.header.as_of == period.last_day and figures.units == 0 and not figures.problems_open


# --- types --------------------------------------------------------------------------------------

def test_a_reader_asking_for_a_field_the_schema_lacks_fails_type_checking(tmp_path: Path) -> None:
    reader = tmp_path / "reader.py"
    reader.write_text(textwrap.dedent("""
        from dispatch.periods.snapshots import PeriodFigures, ProjectFigures

        def plan(figures: ProjectFigures) -> object:
            return figures.annual_plan_total

        def day(figures: PeriodFigures) -> object:
            return figures.as_of_day
    """))
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=silent", str(reader)],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert '"ProjectFigures" has no attribute "annual_plan_total"' in result.stdout
    assert '"PeriodFigures" has no attribute "as_of_day"' in result.stdout
