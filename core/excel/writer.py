"""Writing a ``SheetSpec``: one styled writer for the template and the export.

The sheet is written in openpyxl's write-only mode, so an export of 20,000 rows is streamed: the
header (bold, filled by required, optional or read-only), the widths, the columns' number formats
(what Excel gives the cells people type into later), dropdowns for the choices, then the rows.
Every text is written as a string cell (``core.excel.cells``): a name starting with "=" is never a
formula; a formula the code means is a ``cells.Formula``. The instructions sheet lists the columns
with their help, after the optional stamp rows, and ends with the spec's instructions.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.excel import cells
from core.excel.spec import Column, SheetSpec

# Rows of a template that the dropdowns and the validations cover.
TEMPLATE_ROWS = 2_000


class CellPool:
    """One formatted cell per column, reused row after row.

    The write-only sheet writes an appended row before ``append`` returns, so a cell can carry the
    next row's value; creating and styling a cell per value costs more than all the rest of a
    20,000-row export.
    """

    def __init__(self, ws: Any, formats: Sequence[str | None]) -> None:
        self.ws = ws
        self.cells = [cells.styled(ws, None, number_format) if number_format else None for number_format in formats]

    def fill(self, values: Sequence[Any]) -> list[Any]:
        row: list[Any] = []
        for index, value in enumerate(values):
            cell = self.cells[index] if index < len(self.cells) else None
            if value is None or value == "":
                row.append(None)
            elif isinstance(value, Cell):
                row.append(value)
            elif cell is None:
                row.append(cells.text_cell(self.ws, value))
            else:
                row.append(cells.set_value(cell, value))
        return row


class SheetWriter:
    """The spec's sheet (and its instructions) in a new write-only workbook.

    ``columns`` are the columns to write, in order (a family's members expanded with
    ``Column.expand``); by default every column of the spec that is not a family.
    ``validation_rows`` is how many rows under the header the dropdowns cover.
    """

    def __init__(
        self, spec: SheetSpec, *, columns: Sequence[Column] | None = None, validation_rows: int = TEMPLATE_ROWS,
        above_header: Sequence[str] = (), above_header_font: Font | None = None,
    ) -> None:
        self.spec = spec
        self.columns = list(columns) if columns is not None else spec.fixed(read_only=True)
        self.workbook = Workbook(write_only=True)
        self.ws = self.workbook.create_sheet(spec.title)
        self.count = 0
        for index, column in enumerate(self.columns, start=1):
            dimension = self.ws.column_dimensions[get_column_letter(index)]
            dimension.width = column.width
            if column.format and not column.read_only:
                dimension.number_format = column.format
        if spec.freeze:
            self.ws.freeze_panes = spec.freeze
        self._validations(spec.header_row + max(validation_rows, 1))
        # The rows above the header: the ``above_header`` lines (a watermark, say) one a row, then blank rows.
        assert len(above_header) < spec.header_row, (len(above_header), spec.header_row)
        for line in above_header:
            cell = cells.text_cell(self.ws, line)
            if above_header_font is not None:
                cell.font = above_header_font
            self.ws.append([cell])
        for _blank in range(spec.header_row - 1 - len(above_header)):
            self.ws.append([])
        self.ws.append([self._header(column) for column in self.columns])
        self.pool = CellPool(self.ws, [column.format for column in self.columns])

    def _header(self, column: Column) -> Cell:
        if column.read_only:
            fill = cells.DERIVED_FILL
        else:
            fill = cells.REQUIRED_FILL if column.required else cells.OPTIONAL_FILL
        cell = cells.header_cell(self.ws, column.header, fill)
        if self.spec.help_comments and column.help:
            cell.comment = Comment(str(column.help), "diaodu", width=300, height=120)
        return cell

    def _validations(self, last_row: int) -> None:
        first = self.spec.first_data_row
        for index, column in enumerate(self.columns, start=1):
            if column.read_only:
                continue
            letter = get_column_letter(index)
            made: list[DataValidation] = []
            if isinstance(column.choices, str) and column.choices:
                # A range on another sheet: a warning, not a stop, since other names are accepted too.
                made.append(DataValidation(type="list", formula1=column.choices, allow_blank=True,
                                           errorStyle="warning"))
            elif column.choices:
                formula = '"' + ",".join(str(choice) for choice in column.choices) + '"'
                made.append(DataValidation(type="list", formula1=formula, allow_blank=True, errorStyle="stop"))
            for dv in made:
                dv.error = _("请从下拉列表中选择，或参见“%(sheet)s”表。") % {"sheet": self.spec.notes_title}
                dv.showErrorMessage = True
            if column.validation is not None:
                made.append(column.validation())
            for dv in made:
                dv.add(f"{letter}{first}:{letter}{last_row}")
                self.ws.data_validations.append(dv)

    def append(self, values: Sequence[Any] | Mapping[str, Any]) -> None:
        """One data row: values in the columns' order, or by column key."""
        if isinstance(values, Mapping):
            values = [values.get(column.key) for column in self.columns]
        self.count += 1
        self.ws.append(self.pool.fill(values))

    def write_notes(self, *, stamp: Sequence[tuple[str, Any]] = ()) -> Any:
        """The instructions sheet: the stamp rows, the columns with their help, the spec's instructions."""
        spec = self.spec
        ws = self.workbook.create_sheet(spec.notes_title)
        for index, width in enumerate(spec.notes_widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        for label, value in stamp:
            value_cell = (
                cells.styled(ws, value, cells.DATE_FORMAT) if isinstance(value, dt.date) else cells.text_cell(ws, value)
            )
            ws.append([cells.text_cell(ws, label), value_cell])
        if stamp:
            ws.append([])
        if spec.column_table:
            self._column_table(ws)
            ws.append([])
        lines = spec.instructions() if callable(spec.instructions) else spec.instructions
        for line in lines:
            # Beside the stamp's values when there is one, so the lines read as its notes.
            ws.append([None, cells.wrapped(ws, line)] if stamp else [cells.text_cell(ws, str(line))])
        return ws

    def _column_table(self, ws: Any) -> None:
        titles = (_("列名"), _("是否必填"), _("可填写的值"), _("格式与说明"))
        ws.append([cells.header_cell(ws, text, cells.OPTIONAL_FILL) for text in titles])
        families: set[str] = set()
        for column in self.columns:
            if column.read_only:
                cells.append(ws, [column.header, _("只读"), "", _wrapped(ws, str(column.help))])
                continue
            name = column.header
            help_text = str(column.help)
            if column.family is not None:
                if column.family in families:
                    continue
                families.add(column.family)
                members = [c.header for c in self.columns if c.family == column.family]
                name = column.family_header or name
                if "%(headers)s" in help_text:
                    help_text = help_text % {"headers": "、".join(members)}
            cells.append(ws, [
                name, _("必填") if column.required else _("选填"), column.allowed_text(), _wrapped(ws, help_text),
            ])

    def save(self, target: IO[bytes]) -> int:
        self.workbook.save(target)
        return self.count


def _wrapped(ws: Any, text: str) -> Cell | None:
    return cells.wrapped(ws, text) if text else None


def write_workbook(
    target: IO[bytes],
    spec: SheetSpec,
    rows: Iterable[Sequence[Any] | Mapping[str, Any]] = (),
    *,
    columns: Sequence[Column] | None = None,
    stamp: Sequence[tuple[str, Any]] = (),
    validation_rows: int = TEMPLATE_ROWS,
) -> int:
    """The template (no rows) or the export of a spec, with its instructions sheet; returns the row count."""
    writer = SheetWriter(spec, columns=columns, validation_rows=validation_rows)
    for row in rows:
        writer.append(row)
    writer.write_notes(stamp=stamp)
    return writer.save(target)
