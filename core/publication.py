"""Publication: the typed, versioned snapshots a module freezes when it publishes a period.

A published period is read from its snapshots only, so its documents can be rebuilt years
later byte for byte. For that a snapshot must mean the same thing in every release: each kind
is a frozen dataclass (a :class:`Snapshot`) with a ``VERSION``, written with ``to_data()``
(JSON-safe: money as strings with two decimals, dates ISO) and read with ``from_data()``.
Readers get attributes that mypy checks, never ``data.get("…")`` strings that quietly give
None for a field nobody wrote.

Rows keep the version they were written with. When a schema changes, its ``VERSION`` goes up
and ``UPGRADES[n]`` turns the JSON of version n into that of n + 1 (filling what version n
did not record, from the period when needed: an old dispatch snapshot without ``as_of`` is as
of the period's last day). Stored rows are never rewritten: the upgrade runs on every read,
so the bytes published stay the evidence.

A module registers its schemas with :func:`register` (at import of its snapshots module); the
registry refuses a schema whose upgrades do not lead from version 1 to its ``VERSION``, and
lists every kind so one test can round-trip them all.

Builders. What a module freezes at publication it says with a :class:`Builder`, registered in its
``AppConfig.ready`` with :func:`register_builder`: a name, the schema (and so the version) it
writes, ``build(period=, as_of=, now=)`` that writes its snapshots of the period, ``read(period)``
that gives them back typed, and the step in words a job shows while it runs. Publishing a period
(dispatch.periods.services.period_publish) runs :func:`build_all`: every builder in order, in the
publication's transaction, reporting each step. :func:`verify` reads every builder's snapshots of a
published period back through its schema, so a period that can no longer be rebuilt into its
documents is found by a check, not by the reader of a bulletin. A module without tables of its own
keeps its snapshots in :class:`core.models.PublishedRecord` (:func:`record_write`, :func:`records_read`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol, Self, TypeVar

from django.utils import timezone
from django.utils.functional import Promise

from core.models import Period, PublishedRecord

JSON = dict[str, Any]
# Turns the JSON of one version into that of the next; the period answers what old rows lack.
Upgrade = Callable[[JSON, Period | None], JSON]

CENT = Decimal("0.01")


class SnapshotError(ValueError):
    """Stored data that does not fit its schema: a bug or a damaged row, never a user's mistake."""


class Snapshot:
    """The base of every snapshot kind. Subclasses are frozen dataclasses."""

    KIND: ClassVar[str]
    VERSION: ClassVar[int]
    # UPGRADES[n] turns version n's JSON into version n + 1's, for every n below VERSION.
    UPGRADES: ClassVar[Mapping[int, Upgrade]] = {}

    def to_data(self) -> JSON:
        raise NotImplementedError

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self:
        """Read the JSON of the current version; a missing or wrongly typed field raises."""
        raise NotImplementedError

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, version: int, period: Period | None = None) -> Self:
        """Read a stored row of any version up to the current one, upgrading it step by step."""
        if not 1 <= version <= cls.VERSION:
            raise SnapshotError(f"{cls.KIND}: version {version} is not between 1 and {cls.VERSION}")
        current: JSON = dict(data)
        for step in range(version, cls.VERSION):
            current = cls.UPGRADES[step](current, period)
        try:
            return cls.parse(current)
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise SnapshotError(f"{cls.KIND} version {version}: {exc!r}") from exc


S = TypeVar("S", bound=type[Snapshot])
_SCHEMAS: dict[str, type[Snapshot]] = {}


def register(schema: S) -> S:
    """Register a snapshot kind (use as a class decorator); its upgrades must cover 1 → VERSION."""
    kind = schema.KIND
    if kind in _SCHEMAS and _SCHEMAS[kind] is not schema:
        raise ValueError(f"snapshot kind {kind!r} is registered twice")
    if schema.VERSION < 1 or set(schema.UPGRADES) != set(range(1, schema.VERSION)):
        raise ValueError(f"{kind}: upgrades {sorted(schema.UPGRADES)} do not lead from 1 to {schema.VERSION}")
    _SCHEMAS[kind] = schema
    return schema


def schemas() -> dict[str, type[Snapshot]]:
    """Every registered kind, by name."""
    return dict(_SCHEMAS)


# --- builders: what each module freezes when a period is published ---------------------------------

class BuildFunction(Protocol):
    def __call__(self, *, period: Period, as_of: dt.date, now: dt.datetime) -> int:
        """Write the module's snapshots of ``period`` (replacing any), every figure as of ``as_of``; the count."""
        ...


@dataclass(frozen=True)
class Builder:
    """One module's part of a publication: the snapshots of one schema, how to write and read them."""

    name: str  # "<app>.<what>", e.g. "dispatch.projects"
    schema: type[Snapshot]
    build: BuildFunction
    read: Callable[[Period], Sequence[Snapshot]]
    step: str | Promise  # what the publishing job shows while this builder runs, e.g. "正在生成项目快照"
    order: int = 100  # lower runs first: a builder may read what an earlier one wrote

    @property
    def version(self) -> int:
        """The schema version this builder writes (stored beside each row)."""
        return self.schema.VERSION


_BUILDERS: dict[str, Builder] = {}
# Called before each builder runs: (index, number of builders, the builder).
Progress = Callable[[int, int, Builder], None]


def register_builder(builder: Builder) -> Builder:
    """Register a module's builder (in its AppConfig.ready); its schema must be registered too."""
    known = _BUILDERS.get(builder.name)
    if known is not None and known != builder:
        raise ValueError(f"snapshot builder {builder.name!r} is registered twice")
    if _SCHEMAS.get(builder.schema.KIND) is not builder.schema:
        raise ValueError(f"{builder.name}: schema {builder.schema.KIND!r} is not registered")
    _BUILDERS[builder.name] = builder
    return builder


def unregister_builder(name: str) -> None:
    """Take a builder out (tests register their own and remove it after)."""
    _BUILDERS.pop(name, None)


def builders() -> list[Builder]:
    """Every registered builder, in the order publishing runs them."""
    return sorted(_BUILDERS.values(), key=lambda b: (b.order, b.name))


def as_of(*, period: Period, now: dt.datetime) -> dt.date:
    """The date every figure of a snapshot taken at ``now`` is "as of": never after the moment taken,
    never after the period's last day (a period published after its end is described at its end)."""
    return min(timezone.localdate(now), period.last_day)


def build_all(*, period: Period, now: dt.datetime, progress: Progress | None = None) -> dict[str, int]:
    """Run every registered builder for ``period`` in order; the rows each wrote, by builder name.

    The caller holds the transaction (publishing is all or nothing) and checks that the period may be
    published; this only writes the snapshots.
    """
    day = as_of(period=period, now=now)
    steps = builders()
    written: dict[str, int] = {}
    for index, builder in enumerate(steps):
        if progress is not None:
            progress(index, len(steps), builder)
        written[builder.name] = builder.build(period=period, as_of=day, now=now)
    return written


def verify(period: Period) -> dict[str, int]:
    """Read every builder's snapshots of ``period`` through its schema; the count by builder name.

    Raises :class:`SnapshotError` at the first row that no longer reads: the period's documents could
    not be rebuilt from it.
    """
    counts: dict[str, int] = {}
    for builder in builders():
        rows = builder.read(period)
        for row in rows:
            if not isinstance(row, builder.schema):
                raise SnapshotError(f"{builder.name}: read {type(row).__name__}, not {builder.schema.__name__}")
        counts[builder.name] = len(rows)
    return counts


# --- the shared store, for modules without snapshot tables of their own ------------------------------

def record_write(*, period: Period, snapshot: Snapshot, key: str = "") -> PublishedRecord:
    """Store one snapshot of ``period`` (replacing the one of the same kind and key) at its version."""
    record, _created = PublishedRecord.objects.update_or_create(
        period=period, kind=snapshot.KIND, key=key,
        defaults={"data": snapshot.to_data(), "schema_version": snapshot.VERSION},
    )
    return record


def records_clear(*, period: Period, schema: type[Snapshot]) -> None:
    """Remove every stored snapshot of ``schema`` for ``period`` (a builder starts from nothing)."""
    PublishedRecord.objects.filter(period=period, kind=schema.KIND).delete()


SnapshotT = TypeVar("SnapshotT", bound=Snapshot)


def records_read(period: Period, schema: type[SnapshotT]) -> list[tuple[str, SnapshotT]]:
    """Every stored snapshot of ``schema`` for ``period``, typed and upgraded, with its key, by key."""
    rows = PublishedRecord.objects.filter(period=period, kind=schema.KIND).order_by("key")
    return [
        (key, schema.from_data(data, version=version, period=period))
        for key, version, data in rows.values_list("key", "schema_version", "data")
    ]


# --- JSON encodings shared by every schema --------------------------------------------------------

def money_text(value: Decimal | None) -> str | None:
    """万元 with two decimals as a string, exact (a float would not be)."""
    return None if value is None else str(value.quantize(CENT))


def money_value(text: Any) -> Decimal | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError(f"money must be a string, not {text!r}")
    return Decimal(text)


def date_text(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def date_value(text: Any) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def datetime_text(value: dt.datetime | None) -> str | None:
    """ISO with the offset the writer gave it (the district's local time)."""
    return None if value is None else value.isoformat()


def datetime_value(text: Any) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, not {value!r}")
    return value


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, not {value!r}")
    return value


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, not {value!r}")
    return value


def optional_integer(value: Any) -> int | None:
    return None if value is None else integer(value)
