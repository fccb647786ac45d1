"""Every field the API accepts and every field a refused command names has Chinese and English
words, and the console's copy of the table is the table's own output."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from cityloop.api.app import create_app
from cityloop.domain import field_labels
from cityloop.domain.field_labels import LABELS, label
from cityloop.services.context import CityLoop
from tests.domain.test_error_words import CODE_FIRST, CODED, PACKAGE, ROOT, _name

CJK = re.compile(r"[\u3000-\u9fff]")
FIELD_NAMING = set(CODED) - {"FormatError"}


def _command_fields() -> dict[str, str]:
    """Each literal field a coded refusal names, and where."""
    out: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # A group file's FormatError names where in the file (第 1 行), not a field.
            if not isinstance(node, ast.Call) or _name(node.func) not in FIELD_NAMING:
                continue
            kind = _name(node.func)
            at = 1 if any(rel.startswith(d) and kind == k for d, k in CODE_FIRST) else 0
            arg = node.args[at] if len(node.args) > at else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.setdefault(arg.value, f"cityloop/{rel}:{node.lineno}")
    return out


def _request_fields(ctx: CityLoop) -> set[str]:
    """Every query parameter and request-body property of the API."""
    spec = create_app(ctx, web=False).openapi()
    schemas = spec["components"]["schemas"]
    names: set[str] = set()
    for ops in spec["paths"].values():
        for op in ops.values():
            names.update(p["name"] for p in op.get("parameters", []))
            for content in op.get("requestBody", {}).get("content", {}).values():
                ref = content.get("schema", {}).get("$ref")
                if ref:
                    names.update(schemas[ref.rsplit("/", 1)[1]].get("properties", {}))
    return names


def test_every_field_a_refused_command_names_has_words() -> None:
    fields = _command_fields()
    assert len(fields) > 50  # the scan finds the raise sites
    missing = {f: where for f, where in fields.items() if f not in LABELS}
    assert missing == {}, "add these to cityloop/domain/field_labels.py"


def test_every_field_of_the_api_has_words(ctx: CityLoop) -> None:
    fields = _request_fields(ctx)
    assert {"content", "reporter_phone", "page_size"} <= fields
    assert sorted(fields - set(LABELS)) == [], "add these to cityloop/domain/field_labels.py"


def test_the_words_are_in_their_language() -> None:
    for field, (zh, en) in LABELS.items():
        assert CJK.search(zh) or zh.startswith("CSV"), field
        assert not CJK.search(en), field
    assert (
        label("reporter_phone") == "联系电话" and label("reporter_phone", "en") == "contact phone"
    )
    assert label("attachments.0.url") == "附件"  # a nested field by its first part
    assert label("no_such_field") == "no_such_field"


def test_the_console_file_is_the_table(tmp_path: Path) -> None:
    checked_in = (ROOT / "web" / "src" / "fieldLabels.json").read_text(encoding="utf-8")
    assert checked_in == field_labels.console_json(), (
        "web/src/fieldLabels.json is stale: run python -m cityloop.domain.field_labels"
    )
    table = json.loads(checked_in)
    assert set(table) == {"zh", "en"} and set(table["zh"]) == set(LABELS)
    out = tmp_path / "labels.json"
    assert field_labels.main([str(out)]) == 0 and out.read_text(encoding="utf-8") == checked_in
