"""Writing cells: a text is always written as a string cell, and the kit's shared styles.

openpyxl turns any ``str`` that starts with "=" into a formula, so a project named
``=HYPERLINK(...)`` would become a live link in the office's export, and the importer (which
refuses formulas) would then refuse the office's own file. Every writer puts its values through
``put``/``append``/``set_value``/``text_cell``; a formula the code means to write is wrapped in
``Formula``.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

MONEY_FORMAT = "#,##0.00"
COORD_FORMAT = "0.000000"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
INTEGER_FORMAT = "0"

HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
DERIVED_FILL = PatternFill("solid", fgColor="D9D9D9")
WRAP = Alignment(wrap_text=True, vertical="top")


class Formula(str):
    """A formula the code writes on purpose (never a user's text), e.g. "=120+N(G2)"."""


def set_value(cell: Cell, value: Any) -> Cell:
    """Give ``cell`` the value; a text stays text, whatever it starts with."""
    cell.value = value
    if isinstance(value, str) and not isinstance(value, Formula):
        # Set after the value: openpyxl has just made a "=..." text a formula ("f").
        cell.data_type = "s"
    return cell


def put(ws: Any, row: int, column: int, value: Any) -> Cell:
    """``ws.cell(row, column, value)`` for a normal (not write-only) sheet, with text kept as text."""
    return set_value(ws.cell(row=row, column=column), value)


def text_cell(ws: Any, value: Any) -> Cell:
    """A cell to pass to ``ws.append``, in either kind of sheet."""
    return set_value(WriteOnlyCell(ws), value)


def append(ws: Any, values: Iterable[Any]) -> None:
    """``ws.append(values)`` with every text written as a string cell."""
    ws.append([
        value if isinstance(value, Cell) or value is None else text_cell(ws, value) for value in values
    ])


def header_cell(ws: Any, label: Any, fill: PatternFill) -> Cell:
    """A bold, wrapped, filled header cell (the text as a string cell)."""
    cell = text_cell(ws, str(label))
    cell.font = HEADER_FONT
    cell.fill = fill
    cell.alignment = WRAP
    return cell


def wrapped(ws: Any, text: Any) -> Cell:
    cell = text_cell(ws, str(text))
    cell.alignment = WRAP
    return cell


def styled(ws: Any, value: Any, number_format: str) -> Cell:
    cell = set_value(WriteOnlyCell(ws), value)
    cell.number_format = number_format
    return cell
