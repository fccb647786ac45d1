"""Fuzz the whole OpenAPI document with schemathesis against a real server (``make fuzz``).

Builds a small demo city in a throw-away PostgreSQL database (or SQLite file), serves it, logs in
as several roles and lets schemathesis send generated requests, valid and invalid, to every
documented operation as each role in turn. The run fails on any 5xx, dropped connection, or
response whose status, content type, headers or body the document does not declare.

    python tests/fuzz/run_fuzz.py --database-url postgresql+psycopg://postgres@127.0.0.1/fuzz

The database is dropped and rebuilt: only a database whose name starts with ``fuzz`` or
``test`` is accepted, so a city's own data cannot be fuzzed by accident.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "cityloop-demo"
# Anonymous first (the public surface), admin last: its fuzzing edits users and settings.
ROLES = ["anonymous", "resident", "grid", "handler", "dispatcher", "operator", "admin"]
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


def fresh_database(url: str) -> None:
    """Drop and recreate the database named in `url` (PostgreSQL) or delete the file (SQLite)."""
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() == "sqlite":
        Path(name).unlink(missing_ok=True)
        return
    if not name.startswith(("fuzz", "test")):
        sys.exit(f"refusing to drop database {name!r}: its name must start with fuzz or test")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    sys.exit(f"the server did not answer {url} within {timeout:.0f} s")


def streaming_operations(base: str) -> list[str]:
    """Operation ids answered with server-sent events: a stream that never ends is no case."""
    with urllib.request.urlopen(f"{base}/openapi.json", timeout=30) as r:
        document = json.load(r)
    return [
        op["operationId"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
        and any("text/event-stream" in a.get("content", {}) for a in op["responses"].values())
    ]


def summarise(output: str) -> dict[str, list[str]]:
    """The failed operations in schemathesis' output, by the check that failed."""
    found: dict[str, list[str]] = {}
    operation = "?"
    for line in output.splitlines():
        if (m := re.match(r"^_+ (\S+ \S+) _+$", line)) is not None:
            operation = m.group(1)
        elif (m := re.match(r"^- (ST\d+ .+)$", line)) is not None:
            found.setdefault(m.group(1), []).append(operation)
    return found


def token_for(base: str, username: str) -> str:
    form = urllib.parse.urlencode({"username": username, "password": DEMO_PASSWORD}).encode()
    with urllib.request.urlopen(f"{base}/api/v1/auth/token", data=form, timeout=10) as r:
        return str(json.load(r)["access_token"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--database-url",
        default=os.environ.get(
            "CITYLOOP_FUZZ_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/fuzz"
        ),
    )
    ap.add_argument("--port", type=int, default=8190)
    ap.add_argument("--examples", type=int, default=5, help="generated cases per operation")
    ap.add_argument("--appeals", type=int, default=300, help="demo history to seed")
    ap.add_argument("--roles", default=",".join(ROLES))
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--workers", default="1", help="schemathesis workers (threads) per role")
    ap.add_argument(
        "--coverage-roles",
        default="",
        help="roles that also run the coverage phase (every parameter's boundary values)",
    )
    ap.add_argument("--report-dir", type=Path, default=None)
    ap.add_argument("--checks", default=CHECKS, help="schemathesis checks (comma-separated)")
    ap.add_argument("--reuse", action="store_true", help="keep the database built by a last run")
    args = ap.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="cityloop-fuzz-"))
    report_dir = args.report_dir or data_dir / "reports"
    env = {
        **os.environ,
        "CITYLOOP_DATA_DIR": str(data_dir),
        "CITYLOOP_DATABASE_URL": args.database_url,
        "CITYLOOP_LOG_JSON": "true",
    }
    started = time.monotonic()
    if not args.reuse:
        fresh_database(args.database_url)
        subprocess.run(
            [BIN / "cityloop", "demo", "--no-serve", "--reset", "--appeals", str(args.appeals)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{args.port}"
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [BIN / "cityloop", "serve", "--port", str(args.port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    failed: list[str] = []
    try:
        wait_for(f"{base}/api/v1/health")
        print(f"seeded and serving in {time.monotonic() - started:.0f} s; fuzzing {args.roles}")
        streams = streaming_operations(base)
        coverage = set(args.coverage_roles.split(","))
        for role in args.roles.split(","):
            phases = "examples,coverage,fuzzing" if role in coverage else "examples,fuzzing"
            cmd = [
                str(BIN / "schemathesis"),
                "--no-color",
                "run",
                f"{base}/openapi.json",
                "--url",
                base,
                "--checks",
                args.checks,
                "--max-examples",
                str(args.examples),
                "--seed",
                str(args.seed),
                "--workers",
                args.workers,
                "--phases",
                phases,
                "--request-timeout",
                "30",
                "--suppress-health-check",
                "all",
                "--report",
                "junit",
                "--report-junit-path",
                str(report_dir / f"{role}.xml"),
            ]
            for operation_id in streams:
                cmd += ["--exclude-operation-id", operation_id]
            if role != "anonymous":
                cmd += ["--header", f"Authorization: Bearer {token_for(base, role)}"]
            t0 = time.monotonic()
            done = subprocess.run(cmd, cwd=data_dir, capture_output=True, text=True)
            tail = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
            cases = re.search(r"(\d+) generated", done.stdout)
            generated = f"{cases.group(1):>5} cases" if cases else "    ? cases"
            seconds = time.monotonic() - t0
            summary = tail[0].strip("= ")
            print(f"{role:>11}: rc={done.returncode} {seconds:5.0f} s {generated}  {summary}")
            if done.returncode != 0:
                failed.append(role)
                (report_dir / f"{role}.txt").write_text(done.stdout + done.stderr)
                for check, operations in sorted(summarise(done.stdout).items()):
                    print(f"{'':13}{len(operations):4} × {check}: {', '.join(operations)}")
            if server.poll() is not None:
                failed.append(f"server exited ({server.returncode})")
                break
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    print(f"total {time.monotonic() - started:.0f} s; reports in {report_dir}")
    if failed:
        print(f"fuzzing failed for: {', '.join(failed)}; server log: {data_dir / 'server.log'}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
