"""The layers contract (pyproject.toml, run by `make lint`) holds, and a reverse import breaks it."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("audit", "org", "core", "projects", "dispatch", "investment", "diaodu")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "lint-imports")], cwd=root, capture_output=True, text=True, timeout=120,
        check=False,
    )


def test_the_layers_contract_holds() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_a_reverse_import_breaks_the_contract(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.html", "*.pyc", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    # projects reaching up into dispatch: exactly what the layers forbid.
    (tmp_path / "projects" / "reverse_probe.py").write_text("from dispatch import models  # noqa: F401\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "projects.reverse_probe -> dispatch.models" in result.stdout
