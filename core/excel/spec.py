"""Declarative sheet specs: what a sheet's columns are, once, for the template, the export and the import.

A module describes its sheet as a ``SheetSpec`` of ``Column``s; ``core.excel.writer`` writes the
template and the export from it and ``core.excel.reader`` reads an upload back with it, so the
three never disagree. A header is part of the file format, the same in every UI language (files
travel between offices): mark it with ``gettext_noop`` for extraction, never translate it.

A column with a ``pattern`` is a family ("2026年计划投资(万元)", "2027年…"): the pattern's one group is
the family's parameter, and ``expand`` gives the column of one parameter. A ``read_only`` column is
written for reading (derived figures) and recognised and ignored on upload.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.utils.translation import gettext_lazy
from openpyxl.worksheet.datavalidation import DataValidation

from core.excel.cells import TEXT_FORMAT
from core.excel.parsers import normalize_header, parse_text

Parser = Callable[[Any], Any]
DEFAULT_TEMPLATE_NAME = gettext_lazy("下载的模板")


@dataclass(frozen=True)
class Column:
    key: str
    # As written in row 1; for a family, a template with one "{}" for the parameter.
    header: str
    parser: Parser | None = parse_text
    required: bool = False
    # Said in the instructions sheet (or the header's comment); may be a lazy translation.
    help: Any = ""
    # A dropdown: the labels to choose from, or a range on another sheet ("'可选值'!$A$2:$A$9"),
    # which only warns, since other names (a short name, a user name) are accepted too.
    choices: Sequence[str] | str = ()
    # Other headers people write for this column (compared after ``normalize_header``).
    synonyms: tuple[str, ...] = ()
    width: int = 14
    number_format: str | None = None
    # A text people type (a code, a phone number): the column is formatted as text in the template
    # so that what is typed later stays as typed. Every text is written as a string cell anyway.
    user_text: bool = False
    read_only: bool = False
    # A family of columns: a regular expression with one group (the parameter) for the header.
    pattern: str | None = None
    # An error message for a family's parameter read from a header, or None when it is acceptable.
    param_check: Callable[[str], str | None] | None = None
    # The instructions' name for the family ("YYYY年计划投资(万元)").
    family_header: str = ""
    # A data validation beyond a choice list (a range of numbers), made fresh for each sheet.
    validation: Callable[[], DataValidation] | None = None
    # What the instructions say may be typed; by default the choices.
    allowed: Any = ""
    # Set by ``expand``: the family's key and this column's parameter.
    family: str | None = None
    param: str | None = None

    @property
    def label(self) -> str:
        return self.header

    @property
    def format(self) -> str | None:
        """The column's number format, text for a user's text."""
        return self.number_format or (TEXT_FORMAT if self.user_text else None)

    @property
    def is_family(self) -> bool:
        return self.pattern is not None

    @cached_property
    def regex(self) -> re.Pattern[str] | None:
        return re.compile(f"^(?:{self.pattern})$") if self.pattern else None

    def expand(self, param: Any) -> Column:
        """The column of one member of a family (its key is "family:param")."""
        assert self.pattern is not None, self.key
        return dataclasses.replace(
            self, key=f"{self.key}:{param}", header=self.header.format(param), pattern=None,
            family=self.key, param=str(param),
        )

    def allowed_text(self) -> str:
        if self.allowed:
            return str(self.allowed)
        if self.choices and not isinstance(self.choices, str):
            return "、".join(str(choice) for choice in self.choices)
        return ""


@dataclass(frozen=True)
class SheetSpec:
    title: str
    columns: tuple[Column, ...]
    header_row: int = 1
    # Lines at the end of the instructions sheet (or a function giving them, for figures read at writing).
    instructions: Sequence[Any] | Callable[[], Sequence[Any]] = ()
    notes_title: str = "填写说明"
    # The instructions sheet lists the columns (name, required, allowed values, help).
    column_table: bool = True
    # The help also as a comment on each header cell.
    help_comments: bool = False
    # Labels of rows at the top of the instructions sheet (label in A, value in B) that the upload
    # gives back to the caller, e.g. the unit and the period a sheet was made for.
    stamp: tuple[str, ...] = ()
    freeze: str | None = "A2"
    # How messages name the file to use instead of a wrong one.
    template_name: Any = DEFAULT_TEMPLATE_NAME
    # Widths of the instructions sheet's columns.
    notes_widths: tuple[int, ...] = (28, 10, 36, 60)

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def fixed(self, *, read_only: bool = False) -> list[Column]:
        """The columns that are not families; with ``read_only`` also the read-only ones."""
        return [c for c in self.columns if not c.is_family and (read_only or not c.read_only)]

    def bind(self, **parsers: Parser) -> SheetSpec:
        """The same spec with some columns' parsers given now (a parser that needs the database)."""
        unknown = set(parsers) - {column.key for column in self.columns}
        assert not unknown, unknown
        return dataclasses.replace(self, columns=tuple(
            dataclasses.replace(column, parser=parsers[column.key]) if column.key in parsers else column
            for column in self.columns
        ))

    def with_columns(self, **changes: dict[str, Any]) -> SheetSpec:
        """The same spec with some columns changed (``{key: {attribute: value}}``)."""
        return dataclasses.replace(self, columns=tuple(
            dataclasses.replace(column, **changes[column.key]) if column.key in changes else column
            for column in self.columns
        ))

    def match(self, label: str) -> tuple[Column, str | None] | None:
        """The column (and a family's parameter) a normalized header names, or None."""
        for column in self.columns:
            if column.is_family:
                continue
            if label == normalize_header(column.header) or label in {normalize_header(s) for s in column.synonyms}:
                return column, None
        for column in self.columns:
            if column.regex is not None and (found := column.regex.match(label)):
                return column, found.group(1)
        return None


# --- validations beyond a choice list ------------------------------------------------------------

def whole_between(low: int, high: int, error: Any) -> Callable[[], DataValidation]:
    def make() -> DataValidation:
        dv = DataValidation(type="whole", operator="between", formula1=str(low), formula2=str(high), allow_blank=True)
        dv.error = str(error)
        dv.showErrorMessage = True
        return dv

    return make


def decimal_at_least(low: int, error: Any) -> Callable[[], DataValidation]:
    def make() -> DataValidation:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1=str(low), allow_blank=True)
        dv.error = str(error)
        dv.showErrorMessage = True
        return dv

    return make
