"""Every refused command carries a code the catalogue words in Chinese and English, and the
console's copy of the catalogue is the catalogue's own output."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from cityloop.domain import error_words
from cityloop.domain.error_words import WORDS, placeholders, render
from cityloop.domain.errors import InvalidCommand, text_zh

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "cityloop"
CJK = re.compile(r"[\u3000-\u9fff]")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

# Exceptions whose code becomes an InvalidCommand's (forwarded as `exc.code, exc.params`):
# the position of the code among their arguments. The trust ledger's LedgerError takes
# (code, field, ...), the points ledger's (field, code, ...).
CODED = {
    "InvalidCommand": 1,
    "LedgerError": 1,
    "Unbalanced": 1,
    "InsufficientBalance": 1,
    "KeyReused": 1,
    "FormatError": 1,
    "LimitSyntaxError": 1,
}
CODE_FIRST = {("community/trust", "LedgerError")}
IMPLIED = {"LimitSyntaxError": {"value"}}  # the text that did not parse


@dataclass
class Site:
    where: str
    kind: str
    codes: list[str]  # the literal codes it may pass (both arms of a conditional)
    forwarded: bool  # code is `<exc>.code`, passed on from a coded exception
    params: set[str] | None  # the literal params' names; None when not literal


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _literals(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        if body is not None and orelse is not None:
            return body + orelse
    return None


def _sites(root: Path = PACKAGE) -> list[Site]:
    out: list[Site] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            kind = _name(node.func)
            if kind not in CODED:
                continue
            at = 0 if any(rel.startswith(d) and kind == k for d, k in CODE_FIRST) else CODED[kind]
            where = f"cityloop/{rel}:{node.lineno}"
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            code = node.args[at] if len(node.args) > at else keywords.get("code")
            assert code is not None, f"{where}: {kind}(…) without a code"
            forwarded = isinstance(code, ast.Attribute) and code.attr == "code"
            codes = _literals(code) or []
            params: set[str] | None
            if kind == "InvalidCommand":
                given = node.args[2] if len(node.args) > 2 else keywords.get("params")
                if given is None or (isinstance(given, ast.Constant) and given.value is None):
                    params = set()
                elif isinstance(given, ast.Dict) and all(
                    isinstance(k, ast.Constant) and isinstance(k.value, str) for k in given.keys
                ):
                    params = {k.value for k in given.keys}  # type: ignore[union-attr]
                else:
                    params = None
            else:  # the coded exceptions take their params as keywords
                if any(k.arg is None for k in node.keywords):
                    params = None
                else:
                    params = {k.arg for k in node.keywords if k.arg and k.arg != "code"}
                    params |= IMPLIED.get(kind, set())
            out.append(Site(where, kind, codes, forwarded, params))
    return out


SITES = _sites()


def test_the_scan_finds_the_refusals() -> None:
    # ~170 raises of InvalidCommand and the ledgers', formats' and time limits' errors.
    assert len([s for s in SITES if s.kind == "InvalidCommand"]) > 150
    assert {s.kind for s in SITES} == set(CODED)


def test_every_refusal_passes_a_catalogued_code() -> None:
    bad = []
    for s in SITES:
        if s.forwarded and s.kind == "InvalidCommand":
            continue  # passed on from a coded exception, whose own raises are checked here
        if not s.codes:
            bad.append(f"{s.where}: {s.kind}(…) needs a literal code from error_words.WORDS")
        bad += [f"{s.where}: {c!r} is not in error_words.WORDS" for c in s.codes if c not in WORDS]
    assert bad == []


def test_literal_params_fill_every_placeholder() -> None:
    bad = []
    for s in SITES:
        if s.params is None:
            continue
        given = s.params | ({"choices"} if "expected" in s.params else set())
        for code in s.codes:
            if code in WORDS and (lacking := placeholders(WORDS[code][1]) - given):
                bad.append(f"{s.where}: {code} lacks {sorted(lacking)}")
    assert bad == []


def test_every_code_used_and_none_left_over() -> None:
    used = {c for s in SITES for c in s.codes}
    # Kept for the console: pydantic's codes that a refusal may reuse later.
    assert set(WORDS) - used == set()


@pytest.mark.parametrize("code", sorted(WORDS))
def test_each_entry_has_both_languages_with_the_same_placeholders(code: str) -> None:
    assert SNAKE.match(code), code
    zh, en = WORDS[code]
    assert zh.strip() and en.strip()
    assert CJK.search(zh), f"{code}: the Chinese words are not Chinese"
    assert placeholders(zh) == placeholders(en), code
    for text in (zh, en):
        for _, name, spec, conversion in error_words._FORMATTER.parse(text):
            assert not spec and not conversion, f"{code}: {{{name}}} only, no format spec"
            assert name is None or name.isidentifier(), f"{code}: {{{name}}}"
        assert "|" not in text, f"{code}: '|' is vue-i18n's plural separator"


def test_the_console_file_is_the_catalogue() -> None:
    checked_in = (ROOT / "web" / "src" / "commandMessages.json").read_text(encoding="utf-8")
    assert checked_in == error_words.console_json(), (
        "web/src/commandMessages.json is stale: run python -m cityloop.domain.error_words"
    )
    messages = json.loads(checked_in)
    assert set(messages) == {"zh", "en"} and set(messages["zh"]) == set(WORDS)
    # vue-i18n's own syntax is quoted ('@' starts a linked message).
    assert "{'@'}natural" in messages["zh"]["time_limit_syntax"]


def test_rendering(tmp_path: Path) -> None:
    assert render("number_range", {"min": 1, "max": 20}, "zh") == "须在 1 到 20 之间"
    assert render("number_range", {"min": 1, "max": 20}, "en") == "Must be from 1 to 20"
    expected = {"expected": ["csv", "xlsx"]}
    assert render("enum", expected, "zh") == "应为以下之一：csv、xlsx"
    assert render("enum", expected, "en") == "Must be one of: csv, xlsx"
    assert (
        render("columns_missing", {"columns": ["时间", "内容"]}, "zh")
        == "第 1 行缺少列：时间、内容"
    )
    assert render("unknown_household", {}, "en") == "No household "  # a param left out
    assert render("no_such_code", {"x": 1}) == "no_such_code"
    out = tmp_path / "m.json"
    assert error_words.main([str(out)]) == 0
    assert out.read_text(encoding="utf-8") == error_words.console_json()


def test_a_refusal_keeps_its_code_and_scalar_params() -> None:
    exc = InvalidCommand("days[0]", "not_in_calendar", {"day": date(2026, 10, 13)})
    assert (exc.field, exc.code, exc.params) == (
        "days[0]",
        "not_in_calendar",
        {"day": "2026-10-13"},
    )
    assert exc.message == "2026-10-13 is not in the calendar"
    assert exc.message_zh == "2026-10-13 不在节假日表中"
    assert str(exc) == "days[0]: 2026-10-13 is not in the calendar"
    assert exc.text_zh() == text_zh(exc) == "days[0]：2026-10-13 不在节假日表中"
    assert text_zh(ValueError("plain")) == "plain"
    json.dumps(InvalidCommand("x", "enum", {"expected": ("a", "b")}).params)


def test_a_new_raise_without_a_code_is_caught(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(
        "from cityloop.domain.errors import InvalidCommand\n"
        "def f(n):\n"
        "    raise InvalidCommand('quantity', '1 to 20')\n"
        "def g():\n"
        "    raise InvalidCommand('quantity', 'number_range', {'min': 1})\n",
        encoding="utf-8",
    )
    sites = _sites(tmp_path)
    assert [s.codes for s in sites] == [["1 to 20"], ["number_range"]]
    assert "1 to 20" not in WORDS
    assert placeholders(WORDS["number_range"][1]) - (sites[1].params or set()) == {"max"}
