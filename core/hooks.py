"""Questions a lower layer asks and a higher layer answers, so that imports go one way.

``projects`` must not import ``dispatch`` (the layers contract in pyproject.toml), yet a project
may not be moved out of a unit report already handed in, and the project page shows the
project's supervised problems. The lower layer asks through a :class:`Hook`; the module that
knows the answer registers a function in its ``AppConfig.ready``. With nothing registered the
question has no answer (None), which is right for a district that runs no such module.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from core.models import Period

T = TypeVar("T")


class Hook(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._answers: list[Callable[..., T | None]] = []

    def register(self, answer: Callable[..., T | None]) -> Callable[..., T | None]:
        if answer not in self._answers:
            self._answers.append(answer)
        return answer

    def first(self, **question: Any) -> T | None:
        """The first answer that is not None."""
        for answer in self._answers:
            result = answer(**question)
            if result is not None:
                return result
        return None

    def all(self, **question: Any) -> list[T]:
        """Every answer that is not None, in the order the modules registered."""
        return [result for answer in self._answers if (result := answer(**question)) is not None]


@dataclass(frozen=True)
class HandedIn:
    """A unit's report for a period that is submitted or approved, so its projects are closed to changes."""

    unit: str
    period: Period
    state_label: str


@dataclass(frozen=True)
class Section:
    """A part of a page that another module contributes: a template and its context."""

    template: str
    context: dict[str, Any]


# handed_in(unit_ids: Iterable[int], period: Period | None) -> HandedIn | None: a report of one of
# these units, submitted or approved, for ``period`` (or, without it, for any unpublished period).
handed_in: Hook[HandedIn] = Hook("handed_in")

# project_sections(project, user) -> Section | None: what other modules show on a project's page.
project_sections: Hook[Section] = Hook("project_sections")


@dataclass(frozen=True)
class BulletinBlock:
    """One piece of a bulletin section another module writes: a level-2 heading (the bulletin numbers it
    （一）（二）… in order), a paragraph of text, or a table (headers and rows of text)."""

    kind: str  # "heading", "text" or "table"
    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class BulletinPart:
    """A level-1 section of the monthly bulletin written by another module (招商引资, say), read from what
    was frozen with the period once it is published. ``key`` is the section's key in
    dispatch.models.BulletinSection; the bulletin prints the part where its template puts that key."""

    key: str
    blocks: tuple[BulletinBlock, ...]


# bulletin_parts(period: Period) -> BulletinPart | None: a module's section of ``period``'s bulletin. For a
# published period it comes from the period's snapshot only (never from live data); before publication
# it is computed from the data as it stands (the preview).
bulletin_parts: Hook[BulletinPart] = Hook("bulletin_parts")


def unit_ids_of(values: Iterable[int | None]) -> set[int]:
    return {pk for pk in values if pk is not None}

# restored(tables: set[str]) -> None: after a restore has loaded an archive's tables (inside its
# transaction), a module rebuilds what it derives from them when the archive predates the table
# that holds it (an archive made before projects' yearly figures existed, say).
restored: Hook[None] = Hook("restored")
