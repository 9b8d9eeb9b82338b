"""The bulletin outside Word: LibreOffice's PDF of the .docx, and the PDF next to the Word and Excel files.

The layout tests convert the demo district's November bulletin (published on 2 December) with
LibreOffice and read the PDF back with pdftotext: every full line of a body paragraph holds 28
characters (26 after the two-character indent; one fewer where a punctuation mark may not start
the next line), the lines are 28.95 pt apart (22 to a page), nothing runs into the margins, no
amount in a table is broken over two lines, and the document is about 16 pages long (34
before the grid was fixed, with 14 characters a line; 10 before the 招商引资 section). Without
LibreOffice or pdftotext these tests skip with a message, or fail where DIAODU_REQUIRE_BROWSER=1
(CI installs both, .ci/run).

The rest runs anywhere: the conversion is exercised with a stand-in ``soffice`` (a script that
behaves like one), and the bulletin job and the download with a stand-in conversion.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import docx
import pytest
from django.test import Client
from django.urls import reverse
from docx.shared import Pt
from lxml import etree

from conftest import client_for, district_time
from core.models import Period
from dispatch.bulletins import jobs
from dispatch.bulletins import pdf as pdf_module
from dispatch.bulletins.docx import BODY_FONT, INDENT, MARGIN_LEFT, TEXT_WIDTH, bulletin_docx
from dispatch.bulletins.figures import bulletin_figures, fmt_money
from dispatch.bulletins.pdf import PdfError, docx_to_pdf

# The shared fixture; "as april" marks the re-export, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april
from org.models import User

MISSING_LIBREOFFICE = (
    "LibreOffice or pdftotext not found: install Debian's libreoffice-writer-nogui and poppler-utils "
    "(apt-get install libreoffice-writer-nogui poppler-utils) to run the bulletin PDF tests"
)
PITCH = 28.95  # pt, the line pitch: 22 lines in 225 mm
CHARACTER = 16 - 0.25  # pt, the character pitch: 3号 condensed by 0.25 pt
LEFT = MARGIN_LEFT.pt
RIGHT = MARGIN_LEFT.pt + TEXT_WIDTH.pt
TEXT_BOTTOM = (297 - 35) / 25.4 * 72  # the text block's lower edge; page numbers are below it


def require_libreoffice() -> tuple[str, str]:
    """soffice and pdftotext; without them the test skips, or fails where DIAODU_REQUIRE_BROWSER=1 (CI)."""
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if soffice and pdftotext:
        return soffice, pdftotext
    if os.environ.get("DIAODU_REQUIRE_BROWSER") == "1":
        pytest.fail(MISSING_LIBREOFFICE)
    pytest.skip(MISSING_LIBREOFFICE)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Off unless a test turns it on: a demo district built for this module converts no PDFs.
    settings.DIAODU_LIBREOFFICE = ""
    return tmp_path / "media"


@pytest.fixture
def clock_at() -> dt.datetime:
    """The demo district as on 2 December: November has just been published (dispatch/tests/test_demo.py)."""
    return district_time(2026, 12, 2)


# --- reading a PDF back ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """A line of text in the PDF: its page, baseline (from the top, in pt), left and right edges, text."""

    page: int
    y: float
    x0: float
    x1: float
    text: str  # without spaces (pdftotext gives words; the spaces around numbers are the document's)


def pdf_pages(data: bytes, folder: Path) -> list[list[Line]]:
    """The PDF's lines per page, top to bottom: pdftotext's words on one baseline (within 4 pt) make a line."""
    path = folder / "bulletin.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(out, etree.HTMLParser(encoding="utf-8"))
    pages: list[list[Line]] = []
    for number, page in enumerate(root.iter("page"), start=1):
        words = sorted(page.iter("word"), key=lambda w: float(w.get("ymax")))
        rows: list[list[Any]] = []
        for word in words:
            if rows and float(word.get("ymax")) - float(rows[-1][0].get("ymax")) < 4:
                rows[-1].append(word)
            else:
                rows.append([word])
        lines = []
        for row in rows:
            row.sort(key=lambda w: float(w.get("xmin")))
            lines.append(Line(
                page=number, y=max(float(w.get("ymax")) for w in row), x0=float(row[0].get("xmin")),
                x1=float(row[-1].get("xmax")), text="".join(w.text or "" for w in row),
            ))
        pages.append(lines)
    return pages


def wide(text: str) -> bool:
    """Every character full width (Chinese and full-width punctuation): one per grid position."""
    return bool(text) and all(unicodedata.east_asian_width(c) in {"F", "W"} for c in text)


def paragraph_lines(body_texts: list[str], pages: list[list[Line]]) -> dict[str, list[Line]]:
    """Each body paragraph's lines in the PDF, found as consecutive lines of the text block whose texts
    make up the paragraph's (page numbers left out, so a paragraph may run on to the next page)."""
    lines = [line for page in pages for line in page if line.y < TEXT_BOTTOM]
    found: dict[str, list[Line]] = {}
    for text in body_texts:
        target = "".join(text.split())
        for start, line in enumerate(lines):
            if not line.text or not target.startswith(line.text):
                continue
            joined, end = "", start
            while end < len(lines) and target.startswith(joined + lines[end].text) and joined != target:
                joined += lines[end].text
                end += 1
            if joined == target:
                found[text] = lines[start:end]
                break
    return found


def body_paragraphs(data: bytes) -> list[str]:
    """The body paragraphs of two lines or more: 仿宋, two characters in, longer than a line."""
    document = docx.Document(io.BytesIO(data))
    texts = []
    for paragraph in document.paragraphs:
        runs = paragraph.runs
        fonts = runs[0]._element.rPr.rFonts if runs and runs[0]._element.rPr is not None else None
        if (paragraph.paragraph_format.first_line_indent == INDENT and fonts is not None
                and fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == BODY_FONT
                and len("".join(paragraph.text.split())) > 30):
            texts.append(paragraph.text)
    return texts


# --- the layout, in LibreOffice -------------------------------------------------------------------

# PDFs by the sha256 of their .docx: the documents are reproducible, so a module converts each once.
_converted: dict[str, bytes] = {}


def converted(data: bytes, settings: Any) -> bytes:
    soffice, _pdftotext = require_libreoffice()
    key = hashlib.sha256(data).hexdigest()
    if key not in _converted:
        settings.DIAODU_LIBREOFFICE = soffice
        pdf = docx_to_pdf(data)
        assert pdf is not None and pdf.startswith(b"%PDF")
        _converted[key] = pdf
    return _converted[key]


def _demo_november(settings: Any) -> tuple[Any, bytes, bytes]:
    period = Period.objects.get(year=2026, month=11, half=0)
    figures = bulletin_figures(period)
    data = bulletin_docx(figures, published_at=period.published_at)
    return figures, data, converted(data, settings)


def test_a_page_of_text_holds_22_lines_of_28_characters(
    april: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    """April's bulletin with forty paragraphs of plain text in its last section: the pages they fill."""
    period = april["period"]
    sentence = "请各镇街和部门对照问题清单逐项整改，明确责任领导和完成时限，按期报送整改情况。"
    figures = replace(bulletin_figures(period), reporting=tuple(sentence * 3 for _n in range(40)))
    data = bulletin_docx(figures, published_at=period.published_at)
    pages = pdf_pages(converted(data, settings), tmp_path)
    # The pages after the one with the section's heading hold nothing else, up to the one before the
    # 附件说明's (which may be short: the text's last paragraph goes over with the signature).
    start = next(i for i, page in enumerate(pages) if any(line.text == "七、报送情况" for line in page))
    end = next(i for i, page in enumerate(pages) if any(line.text.startswith("附件：") for line in page))
    full = [[line for line in page if line.y < TEXT_BOTTOM] for page in pages[start + 1:end - 1]]
    assert len(full) >= 2, len(pages)
    counted = 0
    for lines in full:
        assert len(lines) == 22, [line.text for line in lines]
        assert {round(b.y - a.y, 1) for a, b in itertools.pairwise(lines)} <= {28.9, 29.0}
        for line, following in itertools.pairwise(lines):
            assert wide(line.text), line
            assert line.x0 >= LEFT - 0.5 and line.x1 <= RIGHT + 0.5, line
            indented = abs(line.x0 - (LEFT + INDENT.pt)) < 1
            if abs(following.x0 - (LEFT + INDENT.pt)) < 1:
                continue  # the next line begins a paragraph: this one ends one
            # 26 characters after the two-character indent, 28 on the other lines; one fewer
            # where the next would be a punctuation mark, which may not start a line.
            assert line.x1 >= RIGHT - 1.1 * CHARACTER, line
            assert len(line.text) in ({25, 26} if indented else {27, 28}), line
            counted += 1
    assert counted >= 30


def test_the_demo_bulletin_runs_28_characters_a_line_on_few_pages(
    demo_district: str, settings: Any, tmp_path: Path
) -> None:
    _figures, data, pdf = _demo_november(settings)
    pages = pdf_pages(pdf, tmp_path)
    # 34 pages before (each character took two grid cells in LibreOffice); 10 for the demo's November, about 16
    # since the bulletin has the 招商引资 section (its ranking table lists the district's 32 units).
    assert len(pages) <= 17, f"the demo's November bulletin runs to {len(pages)} pages"

    texts = body_paragraphs(data)
    found = paragraph_lines(texts, pages)
    assert len(found) >= 15, f"only {len(found)} of {len(texts)} body paragraphs found in the PDF"
    counted = []
    for text, lines in found.items():
        assert len(lines) >= 2, text
        for i, line in enumerate(lines):
            # Inside the text block: nothing in the margins (no hanging punctuation either).
            assert line.x0 >= LEFT - 0.5 and line.x1 <= RIGHT + 0.5, (line, text)
            if i + 1 < len(lines) and lines[i + 1].page == line.page:
                assert abs(lines[i + 1].y - line.y - PITCH) < 0.3, (line, lines[i + 1])
            if i == len(lines) - 1:
                continue  # a paragraph's last line may be short
            # A full line reaches the right edge (两端对齐), or falls short by less than a character
            # (where the next is a punctuation mark that may not start a line), whatever its mix of
            # Chinese and digits.
            assert line.x1 >= RIGHT - 1.1 * CHARACTER, (line, text)
            # 28 characters' room (26 after the indent), 27 where the next would be a punctuation
            # mark, which may not start a line and so takes a character with it: counted where the
            # line is all Chinese, measured in character pitches where it mixes in digits.
            room = len(line.text) if wide(line.text) else round((line.x1 - line.x0) / CHARACTER)
            room += 2 if i == 0 else 0
            assert room in {27, 28}, (room, line, text)
            counted.append(room)
    assert len(counted) >= 15, f"only {len(counted)} full lines"
    assert counted.count(28) > len(counted) / 2, counted


def test_no_amount_or_header_in_the_demo_tables_is_broken_over_two_lines(
    demo_district: str, settings: Any, tmp_path: Path
) -> None:
    figures, _data, pdf = _demo_november(settings)
    lines = [line.text for page in pdf_pages(pdf, tmp_path) for line in page]
    amounts = {
        fmt_money(value)
        for row in (figures.investment, *figures.investment_by_level)
        for value in (row.plan, row.done)
    } | {
        fmt_money(value)
        for ranking in figures.rankings for row in ranking.by_investment for value in (row.plan, row.done)
    } | {fmt_money(p.total_investment) for p in (*figures.started, *figures.completed)}
    assert any(len(amount) >= 10 for amount in amounts)  # "1,971,868.00": it once broke as "1,971,868" / ".00"
    for amount in amounts:
        assert any(amount in line for line in lines), amount
    for header in ("年度计划(万元)", "累计完成(万元)", "总投资(万元)"):
        assert any(header in line for line in lines), header


def test_the_imprint_sits_at_the_foot_of_the_last_page(
    demo_district: str, settings: Any, tmp_path: Path
) -> None:
    """版记: its last line on the text block's lower edge, on the last page, after the signature;
    the 附件说明, the issuing office and the date together on one page, with some of the text."""
    figures, _data, pdf = _demo_november(settings)
    pages = pdf_pages(pdf, tmp_path)
    last = pages[-1]
    texts = [line.text for line in last]
    assert "抄送：区委、区人大、区政府、区政协领导。" in texts
    issued = next(line for line in last if line.text.endswith("印发"))
    assert issued.text.startswith("示范区重点项目建设指挥部办公室")
    assert TEXT_BOTTOM - PITCH < issued.y <= TEXT_BOTTOM + 1, issued
    day = figures.header.published_on
    date = next(line for page in pages for line in page if line.text == f"{day.year}年{day.month}月{day.day}日")
    # The last one: the first heads page 1 (发文机关标志).
    office = [line for page in pages for line in page if line.text == "示范区重点项目建设指挥部办公室"][-1]
    annex = next(line for page in pages for line in page if line.text == "附件：2026年11月调度通报附表.xlsx")
    assert annex.page == office.page == date.page and annex.y < office.y < date.y
    # The 版记 below the date, a line apart on the same page, or on the next page when the date ends a page.
    assert (date.page == issued.page and date.y < issued.y - PITCH) or date.page < issued.page
    # Not a page of signature alone: the text's last lines come with it.
    assert any(line.y < annex.y for line in pages[annex.page - 1])


def test_two_conversions_at_once_each_use_their_own_profile(april: dict[str, Any], settings: Any) -> None:
    soffice, _pdftotext = require_libreoffice()
    settings.DIAODU_LIBREOFFICE = soffice
    period = april["period"]
    data = bulletin_docx(bulletin_figures(period), published_at=period.published_at)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _n: docx_to_pdf(data), range(2)))
    assert all(result is not None and result.startswith(b"%PDF") for result in results)


def test_the_bulletin_job_keeps_a_pdf_that_everyone_downloads(
    april: dict[str, Any], personas: dict[str, User], settings: Any, media: Path
) -> None:
    soffice, _pdftotext = require_libreoffice()
    settings.DIAODU_LIBREOFFICE = soffice
    period = april["period"]
    bulletin = jobs.bulletin_generate(period=period, by=personas["office"])
    assert (bulletin.state, bulletin.error) == ("done", "")
    assert bulletin.pdf.name.startswith("bulletins/2026/04-0/bulletin-2026-04-0") and bulletin.pdf.name.endswith(".pdf")
    with bulletin.pdf.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == bulletin.pdf_sha256
    response = client_for(personas["other_reporter"]).get(reverse("dispatch:bulletin_pdf", args=[period.pk]))
    assert response.status_code == 200 and response.content == data
    html = client_for(personas["viewer"]).get(reverse("dispatch:bulletin", args=[period.pk])).content.decode()
    assert "下载 PDF 通报" in html and "2026年4月调度通报.pdf" in html


def test_missing_libreoffice_skips_with_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("DIAODU_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install libreoffice-writer-nogui poppler-utils"):
        require_libreoffice()


def test_missing_libreoffice_fails_where_it_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("DIAODU_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception) as failure:
        require_libreoffice()
    assert str(failure.value) == MISSING_LIBREOFFICE


# --- the conversion, with a stand-in soffice ---------------------------------------------------------

def fake_soffice(folder: Path, body: str) -> str:
    """A program called like soffice: it records its arguments and environment, then runs ``body``
    (Python, with ``out``, the --outdir folder, ``source``, the document, and ``log``)."""
    script = folder / "soffice"
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent("""\
        import json, os, sys, time
        from pathlib import Path
        args = sys.argv[1:]
        out = Path(args[args.index("--outdir") + 1])
        source = Path(args[-1])
        log = Path(os.environ["FAKE_SOFFICE_LOG"])
        with log.open("a") as handle:
            handle.write(json.dumps({"args": args, "home": os.environ.get("HOME"), "pid": os.getpid()}) + "\\n")
        """) + textwrap.dedent(body), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


CONVERTS = """\
    out.mkdir(parents=True, exist_ok=True)
    (out / (source.stem + ".pdf")).write_bytes(b"%PDF-1.4 " + source.read_bytes()[:2])
"""


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "soffice.log"
    monkeypatch.setenv("FAKE_SOFFICE_LOG", str(path))
    return path


def _calls(log: Path) -> list[dict[str, Any]]:
    import json

    return [json.loads(line) for line in log.read_text().splitlines()]


def test_without_libreoffice_there_is_no_pdf(settings: Any) -> None:
    settings.DIAODU_LIBREOFFICE = ""
    assert not pdf_module.libreoffice_available() and docx_to_pdf(b"PK") is None
    settings.DIAODU_LIBREOFFICE = "no-such-soffice-program"
    assert not pdf_module.libreoffice_available() and docx_to_pdf(b"PK") is None


def test_each_conversion_has_its_own_folder_profile_and_home(settings: Any, tmp_path: Path, log: Path) -> None:
    settings.DIAODU_LIBREOFFICE = fake_soffice(tmp_path, CONVERTS)
    assert pdf_module.libreoffice_available()
    assert docx_to_pdf(b"PK-one") == b"%PDF-1.4 PK"
    assert docx_to_pdf(b"PK-two") == b"%PDF-1.4 PK"
    first, second = _calls(log)
    profiles = [
        next(a for a in call["args"] if a.startswith("-env:UserInstallation=file://")) for call in (first, second)
    ]
    assert profiles[0] != profiles[1]
    for call, profile in zip((first, second), profiles, strict=True):
        assert "--headless" in call["args"] and call["args"][call["args"].index("--convert-to") + 1].startswith("pdf")
        folder = Path(profile.removeprefix("-env:UserInstallation=file://")).parent
        assert call["home"] == str(folder)
        assert not folder.exists()  # the temporary folder, profile and all, is gone


def test_a_failing_conversion_says_why(settings: Any, tmp_path: Path, log: Path) -> None:
    settings.DIAODU_LIBREOFFICE = fake_soffice(tmp_path, "sys.stderr.write('Error: source file could not be loaded')\n"
                                                         "sys.exit(1)\n")
    with pytest.raises(PdfError, match=r"退出码 1）：Error: source file could not be loaded"):
        docx_to_pdf(b"PK")
    # LibreOffice may also end "well" without writing anything.
    settings.DIAODU_LIBREOFFICE = fake_soffice(tmp_path, "pass\n")
    with pytest.raises(PdfError, match="未能转换（退出码 0）：没有输出"):
        docx_to_pdf(b"PK")


# Like soffice, which starts soffice.bin: a child that would outlive its parent.
HANGS = """\
    import subprocess
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    (log.parent / "child.pid").write_text(str(child.pid))
    time.sleep(60)
"""


def _all_ended(log: Path) -> None:
    for pid in (_calls(log)[0]["pid"], int((log.parent / "child.pid").read_text())):
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), pid


def test_an_overrunning_conversion_is_killed_with_what_it_started(
    settings: Any, tmp_path: Path, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DIAODU_LIBREOFFICE = fake_soffice(tmp_path, HANGS)
    monkeypatch.setattr(pdf_module, "BEAT_SECONDS", 0.2)
    beats: list[float] = []
    began = time.monotonic()
    with pytest.raises(PdfError, match="超时（超过 1 秒），已终止"):
        docx_to_pdf(b"PK", timeout=1, heartbeat=lambda: beats.append(time.monotonic()))
    assert time.monotonic() - began < 10
    assert len(beats) >= 2  # alive while it waited
    _all_ended(log)


def test_libreoffice_does_not_outlive_a_failing_heartbeat(
    settings: Any, tmp_path: Path, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DIAODU_LIBREOFFICE = fake_soffice(tmp_path, HANGS)
    monkeypatch.setattr(pdf_module, "BEAT_SECONDS", 0.2)

    def beat() -> None:
        if (tmp_path / "child.pid").exists():
            raise RuntimeError("database connection lost")

    with pytest.raises(RuntimeError, match="database connection lost"):
        docx_to_pdf(b"PK", timeout=30, heartbeat=beat)
    _all_ended(log)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (ended, not yet reaped by its parent) is no longer running.
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(")")[-1].split()[0] == "Z")


# --- the bulletin job and the downloads, with a stand-in conversion -----------------------------------

@pytest.fixture
def converts(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """LibreOffice "installed", converting each .docx to a small PDF; the documents it was given."""
    given: list[bytes] = []

    def convert(docx_bytes: bytes, heartbeat: Any = None) -> bytes:
        given.append(docx_bytes)
        return b"%PDF-1.7 bulletin " + hashlib.sha256(docx_bytes).hexdigest().encode()

    monkeypatch.setattr(pdf_module, "libreoffice_available", lambda: True)
    monkeypatch.setattr(jobs, "build_pdf", convert)
    return given


def test_the_pdf_is_made_from_the_kept_word_document(
    april: dict[str, Any], personas: dict[str, User], converts: list[bytes]
) -> None:
    seen: list[str] = []
    real = jobs._progress

    def watching(pk: int, progress: int, step: str, job_pk: int | None = None, **fields: Any) -> None:
        seen.append(step)
        real(pk, progress, step, job_pk, **fields)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "_progress", watching)
        bulletin = jobs.bulletin_generate(period=april["period"], by=personas["office"])
    assert "正在生成 PDF" in seen
    with bulletin.docx.open("rb") as handle:
        assert converts == [handle.read()]
    with bulletin.pdf.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-1.7") and hashlib.sha256(data).hexdigest() == bulletin.pdf_sha256
    assert (bulletin.state, bulletin.error) == ("done", "")


def test_without_libreoffice_the_bulletin_has_no_pdf_and_no_error(
    april: dict[str, Any], personas: dict[str, User], media: Path
) -> None:
    bulletin = jobs.bulletin_generate(period=april["period"], by=personas["office"])
    assert (bulletin.state, bulletin.error, bulletin.pdf.name, bulletin.pdf_sha256) == ("done", "", "", "")
    assert sorted(p.suffix for p in media.rglob("*") if p.is_file()) == [".docx", ".xlsx"]
    period = april["period"]
    html = client_for(personas["office"]).get(reverse("dispatch:bulletin", args=[period.pk])).content.decode()
    assert "下载 Word 通报" in html
    assert "下载 PDF 通报" not in html and reverse("dispatch:bulletin_pdf", args=[period.pk]) not in html
    assert client_for(personas["office"]).get(reverse("dispatch:bulletin_pdf", args=[period.pk])).status_code == 404


def test_a_failed_conversion_leaves_word_and_excel_and_says_why(
    april: dict[str, Any], personas: dict[str, User], converts: list[bytes], monkeypatch: pytest.MonkeyPatch,
    media: Path,
) -> None:
    period = april["period"]
    first = jobs.bulletin_generate(period=period, by=personas["office"])
    assert first.pdf_sha256

    def overrun(docx_bytes: bytes, heartbeat: Any = None) -> bytes:
        raise PdfError("LibreOffice 转换超时（超过 300 秒），已终止。")

    monkeypatch.setattr(jobs, "build_pdf", overrun)
    again = jobs.bulletin_generate(period=period, by=personas["office"], regenerate=True)
    assert again.state == "done" and again.docx_sha256 and again.xlsx_sha256
    assert again.error == "PDF 未能生成（Word 和 Excel 文件不受影响）：LibreOffice 转换超时（超过 300 秒），已终止。"
    # The PDF of the previous files is no longer linked: a PDF always goes with the Word document beside it.
    assert (again.pdf.name, again.pdf_sha256) == ("", "")
    office = client_for(personas["office"])
    html = office.get(reverse("dispatch:bulletin_status", args=[period.pk])).content.decode()
    assert "PDF 未能生成（Word 和 Excel 文件不受影响）：LibreOffice 转换超时" in html
    assert "下载 Word 通报" in html and "下载 PDF 通报" not in html
    assert office.get(reverse("dispatch:bulletin_pdf", args=[period.pk])).status_code == 404
    assert office.get(reverse("dispatch:bulletin_docx", args=[period.pk])).status_code == 200
    # The next generation that converts clears the message.
    monkeypatch.setattr(jobs, "build_pdf", lambda docx_bytes, heartbeat=None: b"%PDF-1.7")
    third = jobs.bulletin_generate(period=period, by=personas["office"], regenerate=True)
    assert (third.error, third.pdf_sha256) == ("", hashlib.sha256(b"%PDF-1.7").hexdigest())


def test_the_pdf_download(april: dict[str, Any], personas: dict[str, User], converts: list[bytes]) -> None:
    period = april["period"]
    bulletin = jobs.bulletin_generate(period=period, by=personas["office"])
    response = client_for(personas["reporter"]).get(reverse("dispatch:bulletin_pdf", args=[period.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''2026%E5%B9%B44%E6%9C%88%E8%B0%83%E5%BA%A6%E9%80%9A%E6%8A%A5.pdf"
    )
    assert response["X-Content-SHA256"] == bulletin.pdf_sha256
    html = client_for(personas["leader"]).get(reverse("dispatch:bulletin_status", args=[period.pk])).content.decode()
    assert "下载 PDF 通报" in html and f"SHA-256 {bulletin.pdf_sha256[:12]}" in html


def test_a_damaged_pdf_is_refused(april: dict[str, Any], personas: dict[str, User], converts: list[bytes]) -> None:
    period = april["period"]
    bulletin = jobs.bulletin_generate(period=period, by=personas["office"])
    Path(bulletin.pdf.path).write_bytes(b"%PDF changed")
    response = client_for(personas["viewer"]).get(reverse("dispatch:bulletin_pdf", args=[period.pk]))
    assert response.status_code == 409 and "文件校验失败" in response.content.decode()


@pytest.mark.parametrize("role", ["admin", "office", "leader", "viewer", "reporter", "other_reporter"])
def test_whoever_reads_the_word_document_reads_the_pdf(
    april: dict[str, Any], personas: dict[str, User], converts: list[bytes], role: str
) -> None:
    period = april["period"]
    jobs.bulletin_generate(period=period, by=personas["office"])
    client = client_for(personas[role])
    for name in ("bulletin_docx", "bulletin_pdf"):
        assert client.get(reverse(f"dispatch:{name}", args=[period.pk])).status_code == 200, name


def test_anonymous_users_are_sent_to_log_in_for_the_pdf(
    april: dict[str, Any], personas: dict[str, User], converts: list[bytes]
) -> None:
    jobs.bulletin_generate(period=april["period"], by=personas["office"])
    response = Client().get(reverse("dispatch:bulletin_pdf", args=[april["period"].pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_body_font_is_what_the_layout_test_looks_for(april: dict[str, Any]) -> None:
    """The layout test picks body paragraphs by font and indent; it must find them (here, in April's)."""
    period = april["period"]
    data = bulletin_docx(bulletin_figures(period), published_at=period.published_at)
    texts = body_paragraphs(data)
    assert any(text.startswith("截至2026年4月30日，全区纳入调度的重点项目共") for text in texts)
    assert Pt(32) == INDENT
