"""The demo district is built by parts, one per module, each registered in its AppConfig.ready.

``manage.py load_demo`` (core) loads the parts in order (lower layers first: units and projects,
then the monthly dispatch on top of them), so a module adds its own part of the demo district
without the command importing it. Each part returns the lines it wants printed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

# The random seed the demo district is drawn with; every part uses the same one.
DEMO_SEED = 2026


class DemoError(Exception):
    """The demo cannot be loaded or reset here; the message says why."""


@dataclass(frozen=True)
class DemoPart:
    name: str
    order: int
    # load(seed=, as_of=, reset=) -> lines to print
    load: Callable[..., list[str]]
    # Whether the part's data is there already (load_demo --if-empty then does nothing).
    present: Callable[[], bool] = field(default=lambda: False)
    # Refuse a reset (DemoError) when the database holds more than the demo.
    check_reset: Callable[[], None] = field(default=lambda: None)
    # Remove the part's data before a reset; parts are removed in reverse order.
    delete: Callable[[], None] = field(default=lambda: None)
    # Lines printed after every part has loaded (figures that later parts change).
    summary: Callable[[], list[str]] = field(default=lambda: [])


_parts: dict[str, DemoPart] = {}


def register(part: DemoPart) -> None:
    _parts[part.name] = part


def parts() -> list[DemoPart]:
    return sorted(_parts.values(), key=lambda part: part.order)


def demo_load_all(*, seed: int, as_of: dt.date, reset: bool = False) -> list[str]:
    """Load every registered part (after removing them, with ``reset``); the lines to print."""
    ordered = parts()
    if reset:
        for part in ordered:
            part.check_reset()
        for part in reversed(ordered):
            part.delete()
    lines: list[str] = []
    for part in ordered:
        lines += part.load(seed=seed, as_of=as_of, reset=reset)
    for part in ordered:
        lines += part.summary()
    return lines
