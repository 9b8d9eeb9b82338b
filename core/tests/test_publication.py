"""The publication registry (core.publication): builders registered by their modules, run in order when
a period is published, with the job's step per builder, all or nothing, and read back typed."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from conftest import district_time
from core import publication
from core.models import Job, Period, PublishedRecord
from org.models import User

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class PeriodCount(publication.Snapshot):
    """A test module's snapshot: how many periods were published before this one, and its date."""

    KIND = "test.period_count"
    VERSION = 2
    UPGRADES = {1: lambda data, period: {**data, "as_of": period.last_day.isoformat() if period else None}}

    earlier: int
    as_of: dt.date

    def to_data(self) -> publication.JSON:
        return {"earlier": self.earlier, "as_of": self.as_of.isoformat()}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> PeriodCount:
        as_of = publication.date_value(data["as_of"])
        assert as_of is not None
        return cls(earlier=publication.integer(data["earlier"]), as_of=as_of)


CALLS: list[str] = []


def build_count(*, period: Period, as_of: dt.date, now: dt.datetime) -> int:
    CALLS.append(f"count {period.label} {as_of.isoformat()}")
    # It runs after dispatch's builders: the period's own snapshot is already there to read.
    assert period.snapshot is not None  # type: ignore[attr-defined]
    publication.records_clear(period=period, schema=PeriodCount)
    earlier = Period.objects.filter(state=Period.State.PUBLISHED).count()
    publication.record_write(period=period, snapshot=PeriodCount(earlier=earlier, as_of=as_of))
    return 1


def read_count(period: Period) -> list[PeriodCount]:
    return [snapshot for _key, snapshot in publication.records_read(period, PeriodCount)]


COUNT = publication.Builder(
    name="test.count", schema=PeriodCount, build=build_count, read=read_count, step="正在统计", order=50,
)


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The apps' builders and schemas plus the test's, removed after the test."""
    monkeypatch.setattr(publication, "_SCHEMAS", dict(publication._SCHEMAS))
    monkeypatch.setattr(publication, "_BUILDERS", dict(publication._BUILDERS))
    publication.register(PeriodCount)
    publication.register_builder(COUNT)
    CALLS.clear()
    yield
    CALLS.clear()


def _closed_january() -> Period:
    return Period.objects.create(
        year=2026, month=1, opens_on=dt.date(2026, 1, 1), deadline=dt.date(2026, 1, 23), state=Period.State.CLOSED,
    )


# --- the registry ---------------------------------------------------------------------------------

def test_dispatch_registers_its_builders_in_order() -> None:
    names = [builder.name for builder in publication.builders()]
    assert names[:4] == ["dispatch.projects", "dispatch.period", "dispatch.letterhead", "dispatch.narrative"]
    kinds = {builder.name: (builder.schema.KIND, builder.version) for builder in publication.builders()}
    assert kinds["dispatch.projects"] == ("dispatch.project", 3)
    assert kinds["dispatch.period"] == ("dispatch.period", 2)


def test_a_test_builder_is_gone_after_its_test() -> None:
    assert "test.count" not in {builder.name for builder in publication.builders()}
    assert PeriodCount.KIND not in publication.schemas()


def test_a_builder_needs_its_schema_registered_and_a_name_of_its_own(registry: None) -> None:
    @dataclass(frozen=True)
    class Unregistered(publication.Snapshot):
        KIND = "test.unregistered"
        VERSION = 1

    with pytest.raises(ValueError, match="is not registered"):
        publication.register_builder(publication.Builder(
            name="test.other", schema=Unregistered, build=build_count, read=read_count, step="x",
        ))
    publication.register_builder(COUNT)  # the same builder again (a module imported twice) is fine
    with pytest.raises(ValueError, match="registered twice"):
        publication.register_builder(publication.Builder(
            name="test.count", schema=PeriodCount, build=build_count, read=read_count, step="另一个",
        ))


def test_builders_run_in_their_order(registry: None) -> None:
    assert [b.name for b in publication.builders()] == [
        "dispatch.projects", "dispatch.period", "dispatch.letterhead", "dispatch.narrative", "test.count",
        "investment.attraction",
    ]


# --- publishing runs every builder ------------------------------------------------------------------

def test_publishing_runs_every_registered_builder_and_a_reader_gets_typed_snapshots(
    registry: None, personas: dict[str, User]
) -> None:
    from dispatch.periods import services

    period = _closed_january()
    steps: list[tuple[int, int, str]] = []
    services.period_publish(
        period=period, by=personas["office"], now=district_time(2026, 2, 10),
        progress=lambda index, total, builder: steps.append((index, total, builder.name)),
    )
    assert steps == [(0, 6, "dispatch.projects"), (1, 6, "dispatch.period"), (2, 6, "dispatch.letterhead"),
                     (3, 6, "dispatch.narrative"), (4, 6, "test.count"), (5, 6, "investment.attraction")]
    assert CALLS == ["count 2026年1月 2026-01-31"]
    snapshots = COUNT.read(period)
    assert snapshots == [PeriodCount(earlier=0, as_of=dt.date(2026, 1, 31))]
    assert isinstance(snapshots[0], PeriodCount) and snapshots[0].as_of.year == 2026
    assert PublishedRecord.objects.get(period=period, kind=PeriodCount.KIND).schema_version == 2
    assert publication.verify(period) == {
        "dispatch.projects": 0, "dispatch.period": 1, "dispatch.letterhead": 1, "dispatch.narrative": 0,
        "test.count": 1, "investment.attraction": 0,
    }


def test_the_publishing_job_shows_a_step_per_builder(
    registry: None, personas: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dispatch import tasks

    period = _closed_january()
    shown: list[tuple[int, str]] = []
    real = tasks._progress_now

    def record(job_pk: int, progress: int, step: str) -> None:
        shown.append((progress, step))
        real(job_pk, progress, step)

    monkeypatch.setattr(tasks, "_progress_now", record)
    job = tasks.period_publish_start(period=period, by=personas["office"], now=district_time(2026, 2, 10))
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    assert shown == [
        (10, "正在生成项目快照"), (23, "正在生成调度期快照（单位报送与督办问题）"),
        (36, "正在记录通报抬头"), (50, "正在冻结通报正文（存在的主要问题、下步工作安排）"), (63, "正在统计"),
        (76, "正在冻结招商引资月度数据和单位排名"),
    ]
    assert CALLS == ["count 2026年1月 2026-01-31"]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_page_sees_the_step_while_the_publication_runs(
    registry: None, personas: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The publication is one transaction; its steps are written beside it, so a poll sees them meanwhile."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: there the steps are seen when the publication commits")
    from dispatch import tasks

    seen: list[tuple[int, str]] = []

    def look(*, period: Period, as_of: dt.date, now: dt.datetime) -> int:
        # What another process (the page's poll) reads while this builder runs inside the transaction.
        poll = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with poll.cursor() as cursor:
                cursor.execute("SELECT progress, step FROM core_job WHERE kind = %s", ["publish"])
                seen.extend(cursor.fetchall())
        finally:
            poll.close()
        return 0

    monkeypatch.setitem(publication._BUILDERS, "test.count", publication.Builder(
        name="test.count", schema=PeriodCount, build=look, read=read_count, step="正在统计", order=50,
    ))
    period = _closed_january()
    job = tasks.period_publish_start(period=period, by=personas["office"], now=district_time(2026, 2, 10))
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    assert seen == [(63, "正在统计")]


def test_publishing_is_all_or_nothing(
    registry: None, personas: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dispatch.models import PeriodSnapshot
    from dispatch.periods import services

    def broken(*, period: Period, as_of: dt.date, now: dt.datetime) -> int:
        raise RuntimeError("builder failed")

    monkeypatch.setitem(publication._BUILDERS, "test.count", publication.Builder(
        name="test.count", schema=PeriodCount, build=broken, read=read_count, step="正在统计", order=50,
    ))
    period = _closed_january()
    with pytest.raises(RuntimeError):
        services.period_publish(period=period, by=personas["office"], now=district_time(2026, 2, 10))
    period.refresh_from_db()
    assert period.state == Period.State.CLOSED
    assert not PeriodSnapshot.objects.filter(period=period).exists()
    assert not PublishedRecord.objects.filter(period=period).exists()  # nor the letterhead


def test_verify_finds_a_row_that_no_longer_reads(registry: None, personas: dict[str, User]) -> None:
    from dispatch.periods import services

    period = _closed_january()
    services.period_publish(period=period, by=personas["office"], now=district_time(2026, 2, 10))
    PublishedRecord.objects.filter(period=period, kind=PeriodCount.KIND).update(data={"earlier": "two"})
    with pytest.raises(publication.SnapshotError):
        publication.verify(period)


def test_an_old_record_is_upgraded_on_reading(registry: None) -> None:
    period = _closed_january()
    PublishedRecord.objects.create(period=period, kind=PeriodCount.KIND, data={"earlier": 3}, schema_version=1)
    assert read_count(period) == [PeriodCount(earlier=3, as_of=dt.date(2026, 1, 31))]


def test_as_of_is_never_after_the_moment_nor_after_the_period() -> None:
    period = Period(year=2026, month=1, half=0, opens_on=dt.date(2026, 1, 1), deadline=dt.date(2026, 1, 23))
    assert publication.as_of(period=period, now=district_time(2026, 1, 20)) == dt.date(2026, 1, 20)
    assert publication.as_of(period=period, now=district_time(2026, 3, 1)) == dt.date(2026, 1, 31)
