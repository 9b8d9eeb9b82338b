#!/usr/bin/env python3
"""Install the pinned front-end packages from npm and copy the files we serve into static/vendor.

Nothing of theirs is committed and nothing is loaded from a CDN at run time: the
government intranet a district runs on is often offline. Run by `make run` and `make test`.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
# package -> files (relative to node_modules/<package>) to serve, and where under vendor/
FILES: dict[str, list[tuple[str, str]]] = {
    "htmx.org": [("dist/htmx.min.js", "htmx/htmx.min.js")],
    "echarts": [("dist/echarts.min.js", "echarts/echarts.min.js")],
    "frappe-gantt": [
        ("dist/frappe-gantt.umd.js", "frappe-gantt/frappe-gantt.umd.js"),
        ("dist/frappe-gantt.css", "frappe-gantt/frappe-gantt.css"),
    ],
    "leaflet": [
        ("dist/leaflet.js", "leaflet/leaflet.js"),
        # leaflet.js names its source map; collectstatic's manifest storage refuses a reference to a missing file.
        ("dist/leaflet.js.map", "leaflet/leaflet.js.map"),
        ("dist/leaflet.css", "leaflet/leaflet.css"),
        ("dist/images", "leaflet/images"),
    ],
}


def installed_versions_match() -> bool:
    wanted = json.loads((ROOT / "package.json").read_text())["dependencies"]
    for name, version in wanted.items():
        meta = ROOT / "node_modules" / name / "package.json"
        if not meta.exists() or json.loads(meta.read_text())["version"] != version:
            return False
    return True


def main() -> int:
    if not installed_versions_match():
        npm = shutil.which("npm")
        if npm is None:
            print("需要 npm 来安装前端依赖 / npm is required to fetch front-end packages", file=sys.stderr)
            return 1
        lock = ROOT / "package-lock.json"
        command = [npm, "ci" if lock.exists() else "install", "--no-audit", "--no-fund", "--loglevel=error"]
        subprocess.run(command, cwd=ROOT, check=True)
    for package, files in FILES.items():
        for source, target in files:
            src = ROOT / "node_modules" / package / source
            dst = VENDOR / target
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)
    print(f"front-end assets ready in {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
