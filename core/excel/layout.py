"""Finding the table in a list as people actually make it, and which column is which.

Our own template has its headers in row 1 (``core.excel.reader``). A list a district already has
does not: a title merged across the top ("2026年XX县重点项目计划表"), perhaps a subtitle with the unit
("单位：亿元"), then the header, sometimes on two rows with a parent merged over its children
("投资情况" over "总投资" and "年度计划"), then the rows, with category headings ("一、工业项目（12个）"),
totals ("合计") and notes ("注：…") among them. The sheet can have any name.

- ``find_table`` picks the sheet and the header row(s): the row among the first ``SCAN_ROWS`` whose
  cells name the most known fields wins, and the sheet whose best row names the most wins. A merged
  cell's value counts in every cell it spans, in the header and in the rows.
- ``guess_mapping`` says which field each header names and how sure that is (exact, synonym,
  pattern, contains), with the year of a family ("2026年计划投资") and the money unit in brackets
  ("总投资（亿元）"). A header it does not know is returned with no field, never an error.
- ``read_rows`` gives the rows of the table, and the rows it skipped with their numbers and why
  (``skip_reason``: empty, total, category heading, note, a repeated header): nothing skipped is
  ever imported, and the page can show what was skipped.

This module knows nothing of projects: the fields are given by the caller, as ``KnownField``s or
anything with ``key``, ``label`` and ``synonyms`` (a ``core.excel.spec.Column`` will do; its
``pattern`` is used for a family). It only finds and reports; how a value is read is the caller's.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any, Protocol

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

from core.excel import guard
from core.excel.guard import MAX_CELLS, FileRejected, ReadCell, SheetData, hidden_warning, read_sheet
from core.excel.parsers import is_blank, normalize_header, parse_text

# The header is looked for in the first rows only: titles and subtitles take two or three.
SCAN_ROWS = 20
# Columns looked at in the header rows; a list is never wider, and a title merged to XFD is clipped.
MAX_COLUMNS = 200
# A header row must name at least this many known fields to be taken for one.
MIN_FIELDS = 2

EXACT, SYNONYM, PATTERN, CONTAINS, DUPLICATE = "exact", "synonym", "pattern", "contains", "duplicate"
CONFIDENCE = {EXACT: 1.0, SYNONYM: 0.95, PATTERN: 0.9, CONTAINS: 0.6}
# Which header text matched: the column's own (bottom) header, its parent and own together, the parent.
VIA_WEIGHT = {"header": 1.0, "combined": 0.95, "parent": 0.8}

# Why a row is skipped.
EMPTY, TOTAL, HEADING, NOTE, HEADER, NUMBERING = "empty", "total", "heading", "note", "header", "numbering"


def _reason_text(reason: str) -> str:
    return {
        EMPTY: _("空行"),
        TOTAL: _("合计/小计行"),
        HEADING: _("分类标题行"),
        NOTE: _("注释或落款行"),
        HEADER: _("重复的表头行"),
        NUMBERING: _("列序号行"),
    }[reason]


class LayoutError(FileRejected):
    """The file has no table that can be read; ``message`` says why, for the user."""


# --- the fields the caller knows ------------------------------------------------------------------

class FieldLike(Protocol):
    """What ``guess_mapping`` needs of a field: a ``core.excel.spec.Column`` has it.

    Optional, read with ``getattr``: ``pattern`` (a regular expression with one group, the family's
    parameter, matched against the whole normalized header) and ``year_family`` (True: a year in the
    header, "2026年计划投资" or "截至2025年底累计完成投资", is the family's parameter).
    """

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def synonyms(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class KnownField:
    """A field described for ``guess_mapping``: ``label`` is the usual header (matched as "exact"),
    ``synonyms`` the other headers people write ("synonym"). Both are compared after ``normalize``
    with any bracket removed ("总投资（亿元）" is "总投资"), and a synonym of three characters or more
    also matches inside a longer header ("contains": "项目总投资")."""

    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    year_family: bool = False
    pattern: str | None = None


# --- units of money ---------------------------------------------------------------------------------

# A unit of money as written in a header's brackets or after "单位：": 元, 万元, 亿元, 万美元, 人民币万元…
_MONEY_UNIT = r"(?:人民币)?[十百千万亿]{0,2}(?:[\u4e00-\u9fff]{0,4}?(?:元|币|美金|英镑|法郎))(?:人民币)?"
_MONEY_UNIT_RE = re.compile(f"^{_MONEY_UNIT}$")
_CAPTION_UNIT_RE = re.compile(r"单位[:：]\s*(?P<unit>[^\s,，、;；()（）\[\]【】/]{1,8})")
_BRACKETS_RE = re.compile(r"[(（\[【]([^()（）\[\]【】]*)[)）\]】]")
# Without brackets only with a magnitude, "总投资亿元", so that a header ending in 元 is not cut.
_TRAILING_UNIT_RE = re.compile(r"(?<=[^\d十百千万亿美欧港日])(?P<unit>[十百千]?[万亿](?:美|欧|港|日)?元)$")


def money_unit(text: Any) -> str | None:
    """The unit of money a header names, in brackets or at its end: "总投资（亿元）" → "亿元",
    "投资额（单位：万美元）" → "万美元", "总投资亿元" → "亿元"; None for "建设年限（年）"."""
    label = normalize_header(parse_text(text) if not isinstance(text, str) else text)
    for inside in _BRACKETS_RE.findall(label):
        unit = re.sub(r"^(?:金额)?单位[:：]?", "", inside)
        if _MONEY_UNIT_RE.match(unit):
            return unit
    found = _TRAILING_UNIT_RE.search(_BRACKETS_RE.sub("", label))
    return found["unit"] if found else None


def caption_unit(text: Any) -> str | None:
    """The unit of money a title or subtitle states: "单位：亿元" → "亿元", "（金额单位：万元）" → "万元"."""
    label = normalize_header(parse_text(text) if not isinstance(text, str) else text)
    for found in _CAPTION_UNIT_RE.finditer(label):
        unit = found["unit"]
        if _MONEY_UNIT_RE.match(unit):
            return unit
    return None


# A cell above or beside the header that describes the table, not a column.
_CAPTION_RE = re.compile(
    r"^(?:(?:金额|计量|填报|报送|编制|制表)?单位|填报日期|报送日期|制表日期|日期|时间|截至)[:：]"
)


def _is_caption(text: str) -> bool:
    return bool(_CAPTION_RE.match(normalize_header(text)))


# --- matching headers -----------------------------------------------------------------------------

@dataclass(frozen=True)
class TableColumn:
    """A column of the table: its number and its header texts as written, top to bottom (two for a
    two-row header whose parent differs, "投资情况" over "总投资"; one otherwise)."""

    index: int
    headers: tuple[str, ...]

    @property
    def letter(self) -> str:
        return get_column_letter(self.index)

    @property
    def header(self) -> str:
        """The column's own header as written (the bottom one)."""
        return self.headers[-1]

    @property
    def parent(self) -> str:
        """The parent header of a two-row header, or ""."""
        return self.headers[0] if len(self.headers) > 1 else ""

    @property
    def combined(self) -> str:
        """Parent and own header together ("投资情况总投资（亿元）"), or the header alone."""
        return "".join(self.headers)

    @property
    def label(self) -> str:
        """For messages and the mapping page: "投资情况 / 总投资（亿元）"."""
        return " / ".join(self.headers)


@dataclass(frozen=True)
class ColumnGuess:
    """What ``guess_mapping`` made of one column.

    ``key`` is the field's key, or None (unknown, or a duplicate of an earlier column, see ``note``);
    ``how`` is "exact" (the field's label), "synonym", "pattern" (a family's regular expression),
    "contains" (a synonym inside a longer header), "duplicate", or "" when unknown; ``confidence``
    is from 0 to 1; ``param`` a family's parameter (the year of "2026年计划投资"; None for "本年计划投资",
    which is the list's year); ``unit`` the money unit named in the column's headers (its own first,
    then its parent's), or None — the table's ``unit`` ("单位：亿元") applies then; ``matched`` the
    header text that matched; ``via`` which of the column's headers that was.
    """

    column: TableColumn
    key: str | None
    how: str = ""
    confidence: float = 0.0
    param: str | None = None
    unit: str | None = None
    matched: str = ""
    via: str = ""
    note: str = ""


_YEAR_RE = re.compile(r"(?:截至|截止|至|到)?(?P<year>(?:19|20)\d{2})(?:年度|年底|年末|年初|年)")
_LEADING_YEAR_RE = re.compile(r"^(?P<year>(?:19|20)\d{2})(?=\D)")
_MIN_CONTAINED = 3


@dataclass(frozen=True)
class _Match:
    key: str
    how: str
    param: str | None


class _Matcher:
    """The fields' names, normalized once, and the rules that match one header text."""

    def __init__(self, fields: Sequence[Any], normalize: Callable[[str], str]) -> None:
        self.normalize = normalize
        self.exact: dict[str, tuple[str, str]] = {}
        self.families: set[str] = set()
        self.patterns: list[tuple[str, re.Pattern[str]]] = []
        contained: list[tuple[str, str]] = []
        for known in fields:
            key = str(known.key)
            if getattr(known, "year_family", False):
                self.families.add(key)
            pattern = getattr(known, "pattern", None)
            if pattern:
                self.patterns.append((key, re.compile(f"^(?:{pattern})$")))
            names = [(str(known.label), EXACT), *((str(s), SYNONYM) for s in known.synonyms)]
            for name, how in names:
                if "{" in name:  # a family's template ("{}年计划投资(万元)"), matched by its pattern
                    continue
                text = self._bare(normalize(name))
                if not text:
                    continue
                self.exact.setdefault(text, (key, how))
                if len(text) >= _MIN_CONTAINED:
                    contained.append((text, key))
        # The longest name inside a header is the most specific ("建设单位" before "单位…").
        self.contained = sorted(contained, key=lambda pair: -len(pair[0]))

    @staticmethod
    def _bare(label: str) -> str:
        """Without brackets and a trailing unit: "总投资(亿元)" and "总投资亿元" are "总投资"."""
        bare = _BRACKETS_RE.sub("", label)
        bare = _TRAILING_UNIT_RE.sub("", bare) or bare
        return bare.rstrip(":：") or label

    def match(self, text: str) -> _Match | None:
        label = self.normalize(text)
        if not label:
            return None
        bare = self._bare(label)
        for candidate in (bare, label):
            if candidate in self.exact:
                key, how = self.exact[candidate]
                return _Match(key, how, None)
        for key, regex in self.patterns:
            for candidate in (label, bare):
                if found := regex.match(candidate):
                    return _Match(key, PATTERN, found.group(1) if regex.groups else None)
        year = _YEAR_RE.search(bare) or _LEADING_YEAR_RE.match(bare)
        if year is not None and self.families:
            rest = (bare[: year.start()] + bare[year.end():]).strip("-_:：")
            # The year stands where "年度" would: "2026年计划" is the "年度计划" of 2026.
            for candidate in (rest, "年度" + rest):
                if candidate in self.exact and self.exact[candidate][0] in self.families:
                    key, how = self.exact[candidate]
                    return _Match(key, how, year["year"])
        for name, key in self.contained:
            if name in bare:
                param = year["year"] if year is not None and key in self.families else None
                return _Match(key, CONTAINS, param)
        return None

    def guess(self, column: TableColumn) -> ColumnGuess:
        # The column's own header first; parent and own together when that adds a family's year
        # ("2026年" over "计划投资") or makes a name ("建设" over "年限"); the parent alone when the own
        # header names nothing ("总投资（亿元）" over "合计" and "其中：中央资金"); last, a name merely
        # contained in the two together.
        own = self.match(column.header)
        both = self.match(column.combined) if column.parent else None
        parent = self.match(column.parent) if column.parent else None
        chosen: tuple[_Match, str, str] | None = None
        if own is not None:
            chosen = (own, column.header, "header")
            if both is not None and both.key == own.key and both.param is not None and own.param is None:
                chosen = (both, column.combined, "combined")
        elif both is not None and both.how != CONTAINS:
            chosen = (both, column.combined, "combined")
        elif parent is not None:
            chosen = (parent, column.parent, "parent")
        elif both is not None:
            chosen = (both, column.combined, "combined")
        unit = next((u for text in reversed(column.headers) if (u := money_unit(self.normalize(text)))), None)
        if chosen is None:
            return ColumnGuess(column, None, unit=unit)
        found, text, via = chosen
        confidence = round(CONFIDENCE[found.how] * VIA_WEIGHT[via], 3)
        return ColumnGuess(column, found.key, found.how, confidence, found.param, unit, text, via)


def _resolve_duplicates(guesses: list[ColumnGuess]) -> list[ColumnGuess]:
    """One column per field (and family parameter): the surest, then the leftmost; the others are
    returned without a field and say which column they repeat."""
    best: dict[tuple[str, str | None], ColumnGuess] = {}
    for guess in guesses:
        if guess.key is None:
            continue
        slot = (guess.key, guess.param)
        kept = best.get(slot)
        if kept is None or guess.confidence > kept.confidence:
            best[slot] = guess
    result = []
    for guess in guesses:
        kept = best.get((guess.key, guess.param)) if guess.key is not None else None
        if kept is None or kept is guess:
            result.append(guess)
            continue
        result.append(ColumnGuess(
            guess.column, None, DUPLICATE, 0.0, guess.param, guess.unit, guess.matched, guess.via,
            _("与第 %(letter)s 列“%(header)s”对应同一项，未采用") % {
                "letter": kept.column.letter, "header": kept.column.label,
            },
        ))
    return result


def guess_mapping(
    headers: Sequence[TableColumn | str],
    fields: Sequence[FieldLike],
    *,
    normalize: Callable[[str], str] = normalize_header,
) -> list[ColumnGuess]:
    """Which field each column's header names, one guess per column in order (see ``ColumnGuess``).

    ``headers`` are a table's columns (``Table.columns``) or plain header texts (column numbers are
    then their positions from 1). ``normalize`` is applied to headers and to the fields' names alike
    (by default ``normalize_header``: full-width to ASCII, whitespace removed; a caller may fold
    traditional characters too). Matching, best first: the label or a synonym exactly; a ``pattern``;
    a year plus a label or synonym for a ``year_family`` field ("2026年计划投资"); a synonym of three
    characters or more inside the header. For a two-row header the column's own header is taken first
    (or parent and own together, when that adds a year or makes a name), the parent alone when the
    own header names nothing (see ``ColumnGuess.via``). When two columns name the same field (and
    year), the surer, else the leftmost, keeps it; the other is returned as a "duplicate".
    """
    columns = [h if isinstance(h, TableColumn) else TableColumn(i, (str(h),)) for i, h in enumerate(headers, 1)]
    matcher = _Matcher(fields, normalize)
    return _resolve_duplicates([matcher.guess(column) for column in columns])


def _score(guesses: Iterable[ColumnGuess]) -> float:
    return sum(g.confidence for g in guesses if g.key is not None)


# --- the sheet as a grid with merged cells filled -------------------------------------------------

class _Grid:
    """A sheet's cells with merged ranges' values spread over every cell they span, looked up per cell
    (for the header rows; the data rows are swept in order by ``_Sweep``)."""

    def __init__(self, data: SheetData, normalize: Callable[[str], str] = normalize_header) -> None:
        self.data = data
        self.normalize = normalize
        # A range spanning a million empty rows is one entry here, never expanded cell by cell.
        self.merges = sorted(
            (m for m in data.merged if m.size["rows"] * m.size["columns"] > 1), key=lambda m: (m.min_row, m.min_col)
        )
        self._starts = [m.min_row for m in self.merges]

    def merge_at(self, row: int, col: int) -> CellRange | None:
        # Excel does not let merged ranges overlap; the first one found is the one.
        for merged in self.merges[: bisect_right(self._starts, row)]:
            if merged.max_row >= row and merged.min_col <= col <= merged.max_col:
                return merged
        return None

    def cell(self, row: int, col: int) -> ReadCell | None:
        """The cell's own value, or else its merged range's."""
        own = self.data.cells.get((row, col))
        if own is not None:
            return own
        merged = self.merge_at(row, col)
        return None if merged is None else self.data.cells.get((merged.min_row, merged.min_col))

    def text(self, row: int, col: int) -> str:
        return _text(self.cell(row, col))

    def is_caption(self, text: str) -> bool:
        return _is_caption(self.normalize(text))

    def unit(self, text: str) -> str | None:
        return caption_unit(self.normalize(text))


def _value(cell: ReadCell | None) -> Any:
    return None if cell is None else cell.value


def _text(cell: ReadCell | None) -> str:
    if cell is None or is_blank(cell.value):
        return ""
    try:
        return parse_text(cell.value)
    except ValueError:  # a number too long to print is no header
        return ""


class _Sweep:
    """The merged ranges covering each row, for rows visited in increasing order: the ranges that
    start above are kept while they last, so each row looks only at the few that cover it."""

    def __init__(self, merges: Sequence[CellRange]) -> None:
        self.merges = merges
        self.next = 0
        self.active: list[CellRange] = []

    def at(self, row: int) -> list[CellRange]:
        while self.next < len(self.merges) and self.merges[self.next].min_row <= row:
            self.active.append(self.merges[self.next])
            self.next += 1
        self.active = [m for m in self.active if m.max_row >= row]
        return self.active


def _sheet_data(ws: Any) -> SheetData:
    """The cells and merged ranges of a sheet opened either way (read-only by ``open_upload``, or not)."""
    if not hasattr(ws, "merged_cells"):  # a read-only sheet: streamed, as the import reads it
        # The header is not known yet: the title rows above it do not count against the row limit.
        return read_sheet(ws, first_data_row=1, max_rows=guard.MAX_ROWS + SCAN_ROWS)
    data = SheetData()
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None and cell.value != "":
                data.cells[(cell.row, cell.column)] = ReadCell(cell.value, cell.data_type)
    data.merged = [CellRange(str(merged)) for merged in ws.merged_cells.ranges]
    return data


# --- the table --------------------------------------------------------------------------------------

@dataclass
class Table:
    """A table found in a sheet (see ``find_table``).

    ``header_rows`` are the header's row numbers (two for a two-row header), ``data_start`` the first
    row after it (and after ``numbering_row``, a row numbering the columns 1, 2, 3…, if there is
    one; ``read_rows`` reports it as skipped); ``columns`` the
    columns that have a header; ``guesses`` the mapping of those columns found with the fields given
    (``guess_mapping``); ``unit`` the money unit the title rows state ("单位：亿元" → "亿元"), None
    if they state none; ``title`` the text above the header; ``year`` the year in the title
    ("2026年…计划表" → 2026); ``score`` how well the header matched (the sum of the guesses'
    confidences); ``others`` the other sheets with a table, best first, as (name, score), so that the
    page can offer them.
    """

    sheet: str
    header_rows: tuple[int, ...]
    data_start: int
    columns: tuple[TableColumn, ...]
    guesses: tuple[ColumnGuess, ...]
    unit: str | None = None
    title: str = ""
    year: int | None = None
    score: float = 0.0
    others: tuple[tuple[str, float], ...] = ()
    numbering_row: int | None = None
    warnings: list[str] = field(default_factory=list)
    data: SheetData = field(default_factory=SheetData, repr=False, compare=False)
    # The headers' normalization, which the rows' checks use too (see ``guess_mapping``).
    normalize: Callable[[str], str] = field(default=normalize_header, repr=False, compare=False)

    def guess_for(self, key: str) -> ColumnGuess | None:
        return next((g for g in self.guesses if g.key == key), None)

    def column(self, index: int) -> TableColumn | None:
        return next((c for c in self.columns if c.index == index), None)

    def rows(self) -> TableRows:
        return read_rows(self)


def _row_columns(grid: _Grid, rows: Sequence[int], width: int) -> list[TableColumn]:
    """The header columns of ``rows`` (one or two): each column's distinct texts top to bottom."""
    columns = []
    for col in range(1, width + 1):
        texts: list[str] = []
        for row in rows:
            text = grid.text(row, col)
            if text and not grid.is_caption(text) and (not texts or texts[-1] != text):
                texts.append(text)
        if texts:
            columns.append(TableColumn(col, tuple(texts)))
    return columns


def _is_caption_row(grid: _Grid, row: int, width: int) -> bool:
    """A title or subtitle row: only captions ("单位：亿元"), or one value written alone or merged
    across half the table or more (a parent header over a few columns is not one)."""
    texts = {col: t for col in range(1, width + 1) if (t := grid.text(row, col))}
    if all(grid.is_caption(t) for t in texts.values()):
        return True
    if len(set(texts.values())) > 1:
        return False
    merged = grid.merge_at(row, next(iter(texts)))
    return merged is None or (merged.max_col - merged.min_col + 1) * 2 >= width


def _two_rows(grid: _Grid, top: int, width: int) -> bool:
    """Do rows ``top`` and ``top + 1`` read as one header: a cell merged down over both; or parents
    merged across children written in the row below, and nothing else in the row (a subtitle row
    beside a merged cell is not a row of parents)."""
    if top < 1 or _is_caption_row(grid, top, width):
        return False
    parents: dict[int, CellRange] = {}
    for merged in grid.merges:
        if merged.min_col > width or merged.min_row > top:
            continue
        if merged.min_row == top and merged.max_row == top + 1:
            return True
        if merged.min_row == merged.max_row == top and merged.max_col > merged.min_col:
            below = sum(1 for col in range(merged.min_col, min(merged.max_col, width) + 1)
                        if (top + 1, col) in grid.data.cells)
            if below >= 2:
                parents[merged.min_col] = merged
    own = [col for (row, col), cell in grid.data.cells.items() if row == top and col <= width and _text(cell)]
    return bool(parents) and all(col in parents for col in own)


def _numbering_row(values: Sequence[Any]) -> bool:
    """A row numbering the columns under the header: 1, 2, 3… (or 甲, 乙, 1, 2…)."""
    texts = [normalize_header(parse_text(v)) for v in values if not is_blank(v)]
    numbers = [int(t) for t in texts if t.isdigit()]
    letters = [t for t in texts if t in "甲乙丙丁戊己庚辛壬癸" and len(t) == 1]
    return len(numbers) >= 3 and len(numbers) + len(letters) == len(texts) and all(
        b == a + 1 for a, b in pairwise(numbers)
    )


@dataclass
class _Candidate:
    header_rows: tuple[int, ...]
    columns: list[TableColumn]
    guesses: list[ColumnGuess]
    score: float


def _find_header(grid: _Grid, matcher: _Matcher, scan_rows: int, forced: tuple[int, ...] | None) -> _Candidate | None:
    in_scan = [c for (r, c) in grid.data.cells if r <= scan_rows + 1]
    width = min(max(in_scan, default=0), MAX_COLUMNS)
    if width == 0:
        return None

    def candidate(rows: tuple[int, ...]) -> _Candidate:
        columns = _row_columns(grid, rows, width)
        guesses = _resolve_duplicates([matcher.guess(column) for column in columns])
        return _Candidate(rows, columns, guesses, _score(guesses))

    if forced is not None:
        if not 1 <= len(forced) <= 2 or forced[0] < 1 or (len(forced) == 2 and forced[1] != forced[0] + 1):
            raise LayoutError(_("表头应为一行，或相邻的两行。"))
        return candidate(forced)
    best: _Candidate | None = None
    for row in range(1, scan_rows + 1):
        found = candidate((row,))
        if best is None or found.score > best.score:
            best = found
    if best is None or best.score == 0:
        return None
    row = best.header_rows[0]
    pairs = [candidate((top, top + 1)) for top in (row - 1, row) if _two_rows(grid, top, width)]
    for pair in sorted(pairs, key=lambda c: -c.score):
        if pair.score >= best.score:
            return pair
    return best


def _title(grid: _Grid, header_rows: Sequence[int], width: int) -> tuple[str, str | None, int | None]:
    """The text above the header, the unit it (or a caption in the header rows) states, the year in it."""
    texts: list[str] = []
    for row in range(1, header_rows[0]):
        for col in range(1, width + 1):
            text = _text(grid.data.cells.get((row, col)))
            if text and text not in texts:
                texts.append(text)
    captions = [t for row in header_rows for col in range(1, width + 1) if grid.is_caption(t := grid.text(row, col))]
    unit = next((u for t in [*texts, *captions] if (u := grid.unit(t))), None)
    title = next((t for t in texts if not grid.is_caption(t)), "")
    year = _YEAR_RE.search(normalize_header(title))
    return title, unit, int(year["year"]) if year else None


def find_table(
    source: Any,
    fields: Sequence[FieldLike],
    *,
    sheet: str | None = None,
    header_rows: tuple[int, ...] | None = None,
    scan_rows: int = SCAN_ROWS,
    min_fields: int = MIN_FIELDS,
    normalize: Callable[[str], str] = normalize_header,
) -> Table:
    """Find the table in a workbook or a sheet (opened by ``open_upload``, read-only, or an ordinary
    openpyxl workbook) and guess its columns with ``fields``; raises ``LayoutError`` when none.

    The header is the row among the first ``scan_rows`` whose cells name the most fields (by
    ``guess_mapping``'s confidence), with at least ``min_fields`` named; when the row above or below
    joins it as a two-row header (a cell merged down over both, or a parent merged across children),
    the two are taken together. Of several visible sheets the one whose header names the most is
    taken (the first on a tie); hidden sheets are not looked at (a warning says so). ``sheet`` names
    the sheet to use and ``header_rows`` the header's rows (one or two), for a user who corrects the
    guess. The money unit comes from a "单位：…" above the header (or in the header row's captions).
    """
    matcher = _Matcher(fields, normalize)
    worksheets = list(source.worksheets) if hasattr(source, "worksheets") else [source]
    warnings: list[str] = []
    if sheet is not None:
        chosen = [ws for ws in worksheets if ws.title == sheet or normalize_header(ws.title) == normalize_header(sheet)]
        if not chosen:
            raise LayoutError(
                _("找不到名为“%(sheet)s”的工作表（文件中的工作表：%(names)s）。")
                % {"sheet": sheet, "names": "、".join(ws.title for ws in worksheets) or "—"}
            )
        worksheets = chosen
    else:
        hidden = [ws.title for ws in worksheets if getattr(ws, "sheet_state", "visible") != "visible"]
        if hidden:
            warnings.append(hidden_warning(hidden))
        worksheets = [ws for ws in worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    found: list[tuple[float, int, Table]] = []
    for order, ws in enumerate(worksheets):
        data = _sheet_data(ws)
        grid = _Grid(data, normalize)
        best = _find_header(grid, matcher, scan_rows, header_rows)
        named = sum(1 for g in best.guesses if g.key is not None) if best is not None else 0
        if best is None or named < min_fields:
            continue
        width = max(c.index for c in best.columns)
        title, unit, year = _title(grid, best.header_rows, width)
        data_start = best.header_rows[-1] + 1
        numbering = None
        if _numbering_row([_value(grid.cell(data_start, c.index)) for c in best.columns]):
            numbering, data_start = data_start, data_start + 1
        table = Table(
            sheet=ws.title, header_rows=best.header_rows, data_start=data_start, columns=tuple(best.columns),
            guesses=tuple(best.guesses), unit=unit, title=title, year=year, score=round(best.score, 3),
            numbering_row=numbering,
            warnings=list(warnings), data=data, normalize=normalize,
        )
        found.append((best.score, order, table))
    if not found:
        names = "".join(f"“{getattr(f, 'label', f.key)}”" for f in list(fields)[:3])
        raise LayoutError(
            _("没有找到表头：在各工作表的前 %(rows)d 行中，没有一行包含至少 %(count)d 个可识别的列名（如%(names)s）。"
              "请确认上传的是项目清单，或在页面上指定表头所在的行。")
            % {"rows": scan_rows, "count": min_fields, "names": names}
        )
    found.sort(key=lambda item: (-item[0], item[1]))
    table = found[0][2]
    table.others = tuple((t.sheet, t.score) for _s, _o, t in found[1:])
    if len(worksheets) > 1 and table.others:
        table.warnings.append(
            _("文件中有多个工作表像是清单，已选用“%(sheet)s”；其他：%(others)s。")
            % {"sheet": table.sheet, "others": "、".join(f"“{name}”" for name, _score in table.others)}
        )
    return table


# --- the rows ---------------------------------------------------------------------------------------

_TOTAL_RE = re.compile(
    r"^[\u4e00-\u9fff]{0,10}?(?:合计|总计|小计|共计|总合计)(?:[(（\[【].*[)）\]】])?[:：]?(?:共?\d+个(?:项目)?)?$"
)
_PART_RE = re.compile(r"^其中[:：]?")
_NUMERAL = "一二三四五六七八九十百零〇"
_HEADING_RE = re.compile(
    rf"^(?:(?P<top>[{_NUMERAL}]+|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+)(?:[、.．]|$)|(?P<sub>[(（][{_NUMERAL}]+[)）])"
    rf"|第[{_NUMERAL}\d]+(?:类|部分|批|项)(?:[、.．:：(（]|$))"
)
_COUNT_RE = re.compile(r"(?:[(（](?:共|计|計)?\d+[个個](?:项目|項目)?[)）]|(?:共|计|計)\d+[个個](?:项目|項目)?)[:：]?$")
_NOTE_RE = re.compile(
    r"^(?:(?:注|备注|说明|附注|注释)\s*\d*[:：]|注\d+[.、:：]|填报说明|填表说明|※|\*注"
    r"|(?:填报人|填表人|制表人|审核人|审核|负责人|单位负责人|分管领导|联系人|联系电话|电话|填报日期|制表日期|报送日期)[:：])"
)


def _texts(values: Iterable[Any], normalize: Callable[[str], str] = normalize_header) -> list[str]:
    texts = []
    for value in values:
        if is_blank(value):
            continue
        try:
            texts.append(normalize(parse_text(value)))
        except ValueError:
            continue
    return texts


# Totals and counted headings are short; longer texts are only looked at for how they begin (notes,
# numbered headings), and only what a rule looks at is normalized: folding traditional characters
# costs per character, and a province's list has 20,000 names.
_SHORT = 20
_START = 8


def _row_words(values: Sequence[Any]) -> tuple[bool, str | None, list[str]]:
    """Whether the row holds anything; its first value as text (None when it is a number, a row's
    序号); and its first four distinct texts that are not numbers (a row with more is data, so the
    rest need not be read)."""
    found, lead, words = False, None, []
    for value in values:
        if is_blank(value):
            continue
        first = not found
        found = True
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            continue
        try:
            text = normalize_header(parse_text(value))
        except ValueError:
            continue
        if first and not _is_number(text):
            lead = text
        if not _is_number(text) and text not in words:
            words.append(text)
            if len(words) > 3:
                break
    return found, lead, words


def skip_reason(values: Sequence[Any], *, normalize: Callable[[str], str] = normalize_header) -> str | None:
    """Why a row of a list is not a row of data, or None: ``EMPTY``, ``TOTAL`` ("合计", "小计",
    "全县合计（75个）", "其中：…"), ``HEADING`` ("一、工业项目（12个）", "（一）续建项目", "第二类"),
    ``NOTE`` ("注：…", "填报说明", "填报人：…"). ``values`` are the row's cells in column order;
    ``normalize`` as for ``guess_mapping`` (a caller that folds traditional characters reads "合計")."""
    found, lead_text, words = _row_words(values)
    if not found:
        return EMPTY
    if not words:
        return None
    short = len(words[0]) <= _SHORT
    first = normalize(words[0] if short else words[0][:_START])
    if _NOTE_RE.match(first):
        return NOTE
    if _PART_RE.match(first) or (short and _TOTAL_RE.match(first)):
        return TOTAL
    # A heading names a category and perhaps a count; its figures, if any, are numbers. A row that
    # begins with its number (序号) or has more words is a project, even "第二批…" or "新建幼儿园（3个）".
    if lead_text is None or len(words) > 3:
        return None
    lead = normalize(lead_text[:_START]) if lead_text != words[0] else first
    if _HEADING_RE.match(lead) or _HEADING_RE.match(first) or (short and _COUNT_RE.search(first)):
        return HEADING
    return None


def is_subtotal_row(values: Sequence[Any], *, normalize: Callable[[str], str] = normalize_header) -> bool:
    """A total ("合计", "小计") or a category heading ("一、工业项目（12个）"): figures of rows, not a row."""
    return skip_reason(values, normalize=normalize) in (TOTAL, HEADING)


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[+-]?\d+(?:\.\d+)?", text.replace(",", "")))


def section_title(values: Sequence[Any]) -> str:
    """The category a heading row names, without its numbering and count: "一、工业项目（12个）" →
    "工业项目"; "一" | "工业项目" → "工业项目"."""
    for text in _texts(values):
        bare = _HEADING_RE.sub("", text, count=1)
        bare = _COUNT_RE.sub("", bare).strip("、.．:： ")
        if bare and not _is_number(bare):
            return bare
    return ""


def _section_level(values: Sequence[Any]) -> int:
    found = next((m for t in _texts(values) if (m := _HEADING_RE.match(t))), None)
    return 1 if found is not None and found["sub"] else 0


@dataclass(frozen=True)
class DataRow:
    """A row of data: its number, its cells by column number (a merged range's value in every cell it
    spans; ``filled`` names the columns that got theirs so), and the category headings above it
    (``section``: ("工业项目", "续建项目")), which a list often uses instead of a category column."""

    number: int
    cells: Mapping[int, ReadCell]
    filled: frozenset[int] = frozenset()
    section: tuple[str, ...] = ()

    def value(self, col: int) -> Any:
        cell = self.cells.get(col)
        return cell.value if cell is not None else None


@dataclass(frozen=True)
class SkippedRow:
    """A row not imported: its number, why (``EMPTY``, ``TOTAL``, ``HEADING``, ``NOTE``, ``HEADER``,
    ``NUMBERING``) and what it says, shortened. Empty rows in a run are one ``SkippedRow``, from
    ``number`` to ``last``."""

    number: int
    reason: str
    text: str = ""
    last: int | None = None

    @property
    def rows(self) -> range:
        return range(self.number, (self.last or self.number) + 1)

    @property
    def message(self) -> str:
        rows = f"{self.number}—{self.last}" if self.last and self.last != self.number else str(self.number)
        return _("第 %(rows)s 行：%(reason)s，已跳过%(text)s") % {
            "rows": rows, "reason": _reason_text(self.reason), "text": f"（{self.text}）" if self.text else "",
        }


@dataclass
class TableRows:
    """The rows of a table, the rows skipped, and warnings (values in columns without a header)."""

    rows: list[DataRow] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_rows(table: Table) -> TableRows:
    """The table's rows from ``data_start``: data rows, and skipped rows with their reasons.

    Only rows with a value of their own in one of the table's columns are looked at (a value spread
    down by a merged cell does not make a row). A row is skipped when ``skip_reason`` says so, when
    it repeats the header (lists pasted together), or when one merged cell across at least half the
    table is all it holds (a heading without numbering); empty rows (or rows of spaces) between rows
    are reported as runs. Category headings set the ``section`` of the rows below them: "一、" starts
    a section, "（一）" a subsection.
    """
    data = table.data
    columns = sorted(c.index for c in table.columns)
    wanted = set(columns)
    numbers = sorted({r for (r, c), cell in data.cells.items()
                      if r >= table.data_start and c in wanted and not is_blank(cell.value)})
    headers = {c.index: table.normalize(c.header) for c in table.columns}
    longest = max((len(c.header) for c in table.columns), default=0)
    merges = sorted(
        (m for m in data.merged if m.size["rows"] * m.size["columns"] > 1 and m.max_row >= table.data_start),
        key=lambda m: m.min_row,
    )
    sweep = _Sweep(merges)
    result = TableRows()
    if table.numbering_row is not None:
        result.skipped.append(SkippedRow(table.numbering_row, NUMBERING))
    section: list[str] = []
    budget = MAX_CELLS
    previous = table.data_start - 1
    kept: set[int] = set()
    for number in numbers:
        if number > previous + 1:
            result.skipped.append(SkippedRow(previous + 1, EMPTY, last=number - 1))
        previous = number
        active = sweep.at(number)
        budget -= len(columns) + len(active)
        if budget < 0:
            raise LayoutError(_("表格的合并单元格过多，无法读取。请取消合并后再上传。"))
        cells: dict[int, ReadCell] = {}
        filled: set[int] = set()
        spans: dict[int, CellRange] = {}
        for merged in active:
            for col in columns[bisect_left(columns, merged.min_col): bisect_right(columns, merged.max_col)]:
                spans[col] = merged
        for col in columns:
            cell = data.cells.get((number, col))
            if cell is None and col in spans:
                merged = spans[col]
                cell = data.cells.get((merged.min_row, merged.min_col))
                if cell is not None and not is_blank(cell.value):
                    filled.add(col)
            if cell is not None and not is_blank(cell.value):
                cells[col] = cell
        values = [cells[col].value if col in cells else None for col in columns]
        reason = skip_reason(values, normalize=table.normalize)
        if reason is None:
            if _repeats_header(cells, headers, longest, table.normalize):
                reason = HEADER
            elif _one_wide_cell(cells, spans, columns):
                reason = HEADING
        if reason is None:
            result.rows.append(DataRow(number, cells, frozenset(filled), tuple(section)))
            kept.add(number)
            continue
        if reason == HEADING and (title := section_title(values)):
            section = [*section[: _section_level(values)], title]
        shown_text = " ".join(dict.fromkeys(t for v in values if (t := _text(ReadCell(v, "")))))
        result.skipped.append(SkippedRow(number, reason, shown_text[:40] + ("…" if len(shown_text) > 40 else "")))
    stray = sorted({
        c for (r, c), cell in data.cells.items() if r in kept and c not in wanted and not is_blank(cell.value)
    })
    for col in stray:
        result.warnings.append(
            _("第 %(letter)s 列没有列名，其中的内容已忽略。") % {"letter": get_column_letter(col)}
        )
    return result


def _repeats_header(
    cells: Mapping[int, ReadCell], headers: Mapping[int, str], longest: int, normalize: Callable[[str], str],
) -> bool:
    """At least half the row's cells say what the header says above them (lists pasted together)."""
    if len(cells) < 2:
        return False
    col, cell = next(iter(cells.items()))
    if normalize(_text(cell)[: longest + 2]) != headers.get(col):  # the row's first cell tells at once
        return False
    short = [(col, text) for col, cell in cells.items() if len(text := _text(cell)) <= longest + 2]
    if len(short) * 2 < len(cells):  # a row of long texts is no header; and nothing to normalize
        return False
    return sum(1 for col, text in short if normalize(text) == headers.get(col)) * 2 >= len(cells)


def _one_wide_cell(cells: Mapping[int, ReadCell], spans: Mapping[int, CellRange], columns: Sequence[int]) -> bool:
    """All the row holds is one merged cell, one row high, across at least half the table's columns."""
    ranges = {id(spans[col]): spans[col] for col in cells if col in spans}
    if len(ranges) != 1 or len(cells) != sum(1 for col in cells if col in spans):
        return False
    merged = next(iter(ranges.values()))
    inside = sum(1 for col in columns if merged.min_col <= col <= merged.max_col)
    return merged.min_row == merged.max_row and len(columns) >= 2 and inside * 2 >= len(columns)
