"""Import a district's own list of key projects from the command line (the import page without the page).

    manage.py import_projects LIST.xlsx [--profile NAME] [--dry-run] [--format json] [--user NAME]

Without ``--profile`` the columns are mapped by guessing from their headers. The list is checked
in full first; nothing is saved unless every row is right (then all rows are saved in one
transaction), and nothing at all with ``--dry-run``. ``--format json`` prints one object: ``rows``,
``mapping`` (column header → field), ``total_investment_wan`` (the parsed 总投资 of every row read,
in 万元, even when other cells fail), ``unknown_values`` (field → values it could not map), ``errors``
(row, column letter, header, message) and, after saving, ``created``/``updated``/``unchanged``.
The exit status is 1 when there are errors.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from org.models import User
from projects.importing.run import Choices, ImportRefused, analyse, save
from projects.models import ImportProfile


class Command(BaseCommand):
    help = "导入区县自己的重点项目清单（.xlsx）：自动识别表头和列，全部正确才一次性保存。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="清单文件（.xlsx）")
        parser.add_argument("--profile", help="导入方案名称（在导入页面保存的列对应和取值对应）")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不保存")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--user", help="记入变更记录的操作人（用户名）；不填则记为脚本")
        parser.add_argument("--code-pattern", help="清单没有项目编号时的编号规则，如 {year}-{seq:04d}")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        choices = Choices()
        if options["profile"]:
            profile = ImportProfile.objects.filter(name=options["profile"]).first()
            if profile is None:
                names = "、".join(ImportProfile.objects.values_list("name", flat=True)) or "（无）"
                raise CommandError(f"找不到导入方案“{options['profile']}”。已有方案：{names}")
            choices = Choices.from_profile(profile)
        if options["code_pattern"]:
            choices.code_pattern = options["code_pattern"]
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"找不到用户：{options['user']}")
        try:
            with path.open("rb") as handle:
                analysis = analyse(File(handle, name=path.name), choices)
        except ImportRefused as error:
            if options["format"] == "json":
                self._print({"rows": 0, "mapping": {}, "total_investment_wan": "0.00", "unknown_values": {},
                             "errors": [{"row": None, "column": "", "header": "", "message": str(error)}]})
                sys.exit(1)
            raise CommandError(str(error)) from error
        result = analysis.as_json()
        saved = None
        if analysis.ok and not options["dry_run"]:
            saved = save(analysis, by=user)
            result.update(created=saved.created, updated=saved.updated, unchanged=saved.unchanged,
                          units_created=saved.units_created)
        result["saved"] = saved is not None
        if options["format"] == "json":
            self._print(result)
        else:
            self._text(result, dry_run=options["dry_run"])
        if not analysis.ok:
            sys.exit(1)

    def _print(self, data: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def _text(self, result: dict[str, Any], *, dry_run: bool) -> None:
        out = self.stdout
        out.write(f"工作表：{result['sheet']}，表头在第 {'、'.join(map(str, result['header_rows']))} 行")
        out.write(f"数据行：{result['rows']}；总投资合计 {result['total_investment_wan']} 万元")
        for header, key in result["mapping"].items():
            out.write(f"  {header} → {key}")
        for header in result["unmapped"]:
            out.write(f"  {header} → （未导入）")
        for key, found in result["unknown_values"].items():
            out.write(f"未能对应的{key}：{'、'.join(found)}")
        for warning in result["warnings"]:
            out.write(f"提示：{warning}")
        for error in result["errors"]:
            where = f"第 {error['row']} 行 {error['column']}列「{error['header']}」" if error["row"] else "文件"
            out.write(f"错误：{where}：{error['message']}")
        if result["errors"]:
            out.write(f"共 {len(result['errors'])} 个错误，未保存任何数据。")
        elif dry_run:
            out.write("检查通过（--dry-run，未保存）。")
        else:
            created, updated, unchanged = result["created"], result["updated"], result["unchanged"]
            out.write(f"已保存：新增 {created} 个，更新 {updated} 个，未变 {unchanged} 个。")
