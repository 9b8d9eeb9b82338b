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
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Self, TypeVar

from core.models import Period

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
