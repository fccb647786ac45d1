"""An acknowledged appeal survives the server being killed (kill -9) mid-load.

A real `cityloop serve` (one worker: each start imports the whole app, the slow part of the test)
on a database of the test's own takes appeals with external ids from a few threads; once some are
acknowledged its whole process group gets SIGKILL. After a restart every appeal answered 201 is
there with its work order and its first event, and posting every id again (answered or not)
leaves exactly one appeal per id: an acknowledgement comes after the commit, and the channel's id
makes a retry safe. Runs on SQLite and, with CITYLOOP_TEST_DATABASE_URL, on PostgreSQL (its own
schema, not the shared fixture's).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from cityloop.services.clock import ManualClock
from cityloop.services.context import build_context
from cityloop.settings import Settings
from cityloop.store.db import make_engine
from cityloop.store.models import AppealRow, OrderEventRow, WorkOrderRow
from tests.conftest import PASSWORD, START, WEST, load_city
from tests.databases import own_database

SECRET = "test-secret-key-for-tokens-0123456789"
THREADS = 4
PER_THREAD = 60  # 240 appeals offered at most: the load is bounded, whatever the kill does
KILL_AFTER = 40  # acknowledgements before the kill
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=url,
        data_dir=data_dir,
        secret_key=SECRET,
        incident_linking=False,
        _env_file=None,  # type: ignore[call-arg]
    )


@contextmanager
def _server(url: str, data_dir: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "CITYLOOP_DATABASE_URL": url,
        "CITYLOOP_DATA_DIR": str(data_dir),
        "CITYLOOP_SECRET_KEY": SECRET,
        "CITYLOOP_LOG_LEVEL": "WARNING",
        "CITYLOOP_INCIDENT_LINKING": "false",
        "CITYLOOP_SENSING_ENABLED": "false",
        # The server runs the code under test, whatever an editable install points at.
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [sys.executable, "-m", "cityloop.cli", "serve", "--port", str(port), "--workers", "1"]
    # Its own session, so one killpg reaches the parent and every worker, as a power cut would.
    log = (data_dir / "server.log").open("ab")
    proc = subprocess.Popen(
        cmd, env=env, cwd=data_dir, start_new_session=True, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 120  # importing the app takes ~25 s on a loaded 2-core box
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not come up: {_log_tail(data_dir)}")
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def _log_tail(data_dir: Path) -> str:
    return (data_dir / "server.log").read_text(errors="replace")[-3000:]


def _token(base: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": "operator", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _appeal(ext: str) -> dict[str, Any]:
    return {
        "channel": "hotline",
        "content": f"市民来电反映路灯不亮，编号 {ext}，请尽快维修。",
        "reporter_phone": "13900000000",
        "lon": WEST[0],
        "lat": WEST[1],
        "external_id": ext,
    }


class Load:
    """Threads posting appeals until their share is done or the server stops answering."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.headers = base, {"Authorization": f"Bearer {token}"}
        self.lock = threading.Lock()
        self.acked: dict[str, dict[str, Any]] = {}  # external id -> the 201 body
        self.attempted: set[str] = set()
        self.enough = threading.Event()
        self.errors: list[str] = []

    def run(self, worker: int) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=30) as client:
            for i in range(PER_THREAD):
                ext = f"crash-{worker}-{i}"
                with self.lock:
                    self.attempted.add(ext)
                try:
                    r = client.post("/api/v1/appeals", json=_appeal(ext))
                except httpx.HTTPError:
                    return  # the server is gone: this one is in doubt, the rest never sent
                if r.status_code != 201:
                    with self.lock:
                        self.errors.append(f"{ext}: {r.status_code} {r.text[:300]}")
                    self.enough.set()
                    return
                with self.lock:
                    self.acked[ext] = r.json()
                    if len(self.acked) >= KILL_AFTER:
                        self.enough.set()


def test_acknowledged_appeals_survive_kill_9(tmp_path: Path) -> None:
    with own_database(tmp_path, "crash_test") as url:
        ctx = build_context(_settings(url, tmp_path), clock=ManualClock(START))
        load_city(ctx)
        ctx.engine.dispose()
        port = _free_port()
        base = f"http://127.0.0.1:{port}"

        with _server(url, tmp_path, port) as proc:
            load = Load(base, _token(base))
            threads = [threading.Thread(target=load.run, args=(w,)) for w in range(THREADS)]
            for t in threads:
                t.start()
            load.enough.wait(timeout=60)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            with load.lock:
                acked_at_kill = len(load.acked)
            for t in threads:
                t.join(timeout=60)
        acked, attempted = dict(load.acked), set(load.attempted)
        assert not load.errors, (load.errors, _log_tail(tmp_path))
        assert KILL_AFTER <= len(acked) < THREADS * PER_THREAD  # killed mid-way, not after

        engine = make_engine(_settings(url, tmp_path))
        try:
            with _server(url, tmp_path, port):
                with engine.connect() as conn:
                    stored = {
                        a.external_id: a
                        for a in conn.execute(
                            select(AppealRow.external_id, AppealRow.id, AppealRow.work_order_id)
                        )
                    }
                    for ext, body in acked.items():
                        assert ext in stored, f"acknowledged appeal {ext} lost"
                        assert stored[ext].id == body["appeal_id"]
                        assert stored[ext].work_order_id == body["work_order_id"]
                        order = conn.execute(
                            select(WorkOrderRow.ticket_no).where(
                                WorkOrderRow.id == body["work_order_id"]
                            )
                        ).scalar_one()
                        assert order == body["ticket_no"]
                        first = conn.execute(
                            select(OrderEventRow.action)
                            .where(OrderEventRow.work_order_id == body["work_order_id"])
                            .order_by(OrderEventRow.id)
                            .limit(1)
                        ).scalar_one()
                        assert first == "receive"
                present_after_restart = len(stored)

                def counts() -> tuple[int, int, int]:
                    with engine.connect() as conn:
                        return tuple(  # type: ignore[return-value]
                            conn.execute(select(func.count()).select_from(m)).scalar_one()
                            for m in (AppealRow, WorkOrderRow, OrderEventRow)
                        )

                # Re-posting the acknowledged ids answers the same appeals and adds nothing.
                before = counts()
                headers = {"Authorization": f"Bearer {_token(base)}"}
                with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                    for ext, body in acked.items():
                        r = client.post("/api/v1/appeals", json=_appeal(ext))
                        assert r.status_code == 200, r.text
                        again = r.json()
                        assert (again["appeal_id"], again["work_order_id"]) == (
                            body["appeal_id"],
                            body["work_order_id"],
                        )
                    assert counts() == before
                    # The ones in doubt at the kill: a retry takes each at most once.
                    for ext in sorted(attempted - set(acked)):
                        r = client.post("/api/v1/appeals", json=_appeal(ext))
                        assert r.status_code in (200, 201), r.text
                with engine.connect() as conn:
                    per_id = conn.execute(
                        select(AppealRow.external_id, func.count()).group_by(AppealRow.external_id)
                    ).all()
                assert {ext for ext, _ in per_id} == attempted
                assert all(n == 1 for _, n in per_id)
        finally:
            engine.dispose()
        print(
            f"\ncrash test ({engine.dialect.name}): {len(attempted)} appeals sent, "
            f"{acked_at_kill} acknowledged when killed, {len(acked)} acknowledged in all, "
            f"{present_after_restart} present after restart (of which {len(acked)} acknowledged, "
            f"{present_after_restart - len(acked)} committed but unanswered)"
        )
