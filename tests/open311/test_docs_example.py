"""docs/OPEN311.md's examples run as written against the demo city (issue 13: the example's
service code did not take the attributes it sent)."""

from __future__ import annotations

import shlex
from pathlib import Path

from fastapi.testclient import TestClient

from cityloop.api.app import create_app
from cityloop.demo.load import build_demo
from cityloop.open311 import keys
from cityloop.services.context import CityLoop

DOC = Path(__file__).resolve().parents[2] / "docs" / "OPEN311.md"
EXAMPLE_TICKET = "20260930-000001"


def _example_commands() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8").split("## Examples", 1)[1]
    block = text.split("```sh", 1)[1].split("```", 1)[0]
    lines = [ln.split(" # ", 1)[0] for ln in block.splitlines() if not ln.startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    return [shlex.split(ln) for ln in joined.splitlines() if ln.startswith("curl")]


def test_the_examples_answer_as_documented(ctx: CityLoop) -> None:
    build_demo(ctx, appeals=20, reset=True, progress=lambda _: None, train_model=False)
    _, key = keys.create_key(ctx, "docs-example")
    client = TestClient(create_app(ctx, web=False))
    commands = _example_commands()
    assert len(commands) >= 6
    ticket = None
    for argv in commands:
        if "-X" in argv and "POST" in argv:
            form = {}
            for i, arg in enumerate(argv):
                if arg == "--data-urlencode":
                    name, _, value = argv[i + 1].partition("=")
                    form[name] = key if name == "api_key" else value
            url = next(a for a in argv if a.startswith("$BASE"))
            r = client.post(url.replace("$BASE", "/open311/v2"), data=form)
            assert r.status_code == 201, (form, r.text)
            ticket = r.json()[0]["service_request_id"]
            continue
        url = next(a for a in argv if a.startswith("$BASE"))
        url = url.replace("$BASE", "/open311/v2").replace("o311_...", key)
        assert ticket is not None or EXAMPLE_TICKET not in url
        r = client.get(url.replace(EXAMPLE_TICKET, ticket or EXAMPLE_TICKET))
        assert r.status_code == 200, (url, r.text)
