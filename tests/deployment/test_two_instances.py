"""Several machines, measured on one: nginx (deploy/nginx/cityloop.conf) in front of two
`cityloop serve` instances, one PostgreSQL, one Redis, one `cityloop worker`.

- a live event made on instance A reaches an SSE client of instance B;
- a session revoked on A is refused by both;
- a rate limit holds across both;
- A killed with SIGKILL under load loses no acknowledged appeal, and nginx goes on serving
  from B.

Runs with CITYLOOP_DEPLOY_TEST=1 (`make test-deploy`, part of `make test`) on a scratch
database next to CITYLOOP_TEST_DATABASE_URL's."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
A_PORT, B_PORT, NGINX_PORT = 8124, 8125, 8126
REDIS_URL = "redis://127.0.0.1:6379/13"
SECRET = "deployment-test-secret-0123456789abcdef0123"
PASSWORD = "Deploy-test-pass-9"

pytestmark = pytest.mark.skipif(
    os.environ.get("CITYLOOP_DEPLOY_TEST") != "1"
    or not os.environ.get("CITYLOOP_TEST_DATABASE_URL")
    or shutil.which("nginx") is None
    and not Path("/usr/sbin/nginx").exists(),
    reason="the deployment test runs with CITYLOOP_DEPLOY_TEST=1, PostgreSQL and nginx "
    "(make test-deploy)",
)


@dataclass
class Cluster:
    a: str
    b: str
    lb: str
    db_url: str
    procs: dict[str, subprocess.Popen[bytes]]
    logs: Path


def _scratch_db() -> str:
    url = make_url(os.environ["CITYLOOP_TEST_DATABASE_URL"])
    name = f"{url.database}_deploy"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _env(db_url: str, data: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CITYLOOP_DATABASE_URL": db_url,
        "CITYLOOP_REDIS_URL": REDIS_URL,
        "CITYLOOP_SECRET_KEY": SECRET,
        "CITYLOOP_DATA_DIR": str(data),
        "CITYLOOP_JOBS_EMBEDDED": "false",
        "CITYLOOP_SENSING_ENABLED": "false",
        "CITYLOOP_LOG_LEVEL": "WARNING",
        **extra,
    }


def _wait(url: str, proc: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{url}: exited at start"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not come up")


def _nginx_conf(tmp: Path) -> Path:
    site = (ROOT / "deploy/nginx/cityloop.conf").read_text()
    site = site.replace("127.0.0.1:8000", f"127.0.0.1:{A_PORT}")
    site = site.replace("127.0.0.1:8001", f"127.0.0.1:{B_PORT}")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{NGINX_PORT};")
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\n"
        f"error_log {tmp}/nginx-error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp}/body;\n"
        f" proxy_temp_path {tmp}/proxy;\n{site}\n}}\n"
    )
    return conf


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    import redis

    tmp = tmp_path_factory.mktemp("deploy")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    db_url = _scratch_db()
    data = tmp / "data"
    env = _env(db_url, data)
    py = sys.executable
    subprocess.run(
        [py, "-m", "cityloop.cli", "init"], env=env, check=True, cwd=ROOT, capture_output=True
    )
    _users(db_url, data)
    procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(name: str, argv: list[str], **extra: str) -> subprocess.Popen[bytes]:
        log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        p = subprocess.Popen(
            argv,
            env={**env, **extra},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        procs[name] = p
        return p

    try:
        for name, port in (("a", A_PORT), ("b", B_PORT)):
            start(name, [py, "-m", "cityloop.cli", "serve", "--port", str(port), "--workers", "1"])
        # Every job off but notify (the tails that publish live events), every second.
        start(
            "worker",
            [py, "-m", "cityloop.cli", "worker"],
            CITYLOOP_JOBS_SCHEDULE=json.dumps(
                {
                    "notify": "* * * * * *",
                    "deadlines": "off",
                    "kpi-rollup": "off",
                    "community-sweep": "off",
                    "sensing-check": "off",
                    "briefing-daily": "off",
                    "briefing-weekly": "off",
                    "retention": "off",
                }
            ),
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        start(
            "nginx",
            [
                nginx,
                "-c",
                str(_nginx_conf(tmp)),
                "-p",
                str(tmp),
                "-e",
                str(tmp / "nginx-error.log"),
            ],
        )
        a, b, lb = (f"http://127.0.0.1:{p}" for p in (A_PORT, B_PORT, NGINX_PORT))
        for url, name in ((a, "a"), (b, "b")):
            _wait(f"{url}/api/v1/health", procs[name])
        _wait(f"{lb}/api/v1/health", procs["nginx"], 30)
        yield Cluster(a, b, lb, db_url, procs, tmp)
    finally:
        for p in procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def _users(db_url: str, data: Path) -> None:
    from cityloop.domain.statuses import Role
    from cityloop.services.context import build_context
    from cityloop.services.users import UserInput, create_user
    from cityloop.settings import Settings

    ctx = build_context(
        Settings(database_url=db_url, data_dir=data, secret_key=SECRET, _env_file=None)
    )  # type: ignore[call-arg]
    for username, role in (("leader1", Role.LEADER), ("operator1", Role.OPERATOR)):
        create_user(ctx, UserInput(username, PASSWORD, username, role, must_change_password=False))
    ctx.engine.dispose()


def _login(base: str, username: str) -> str:
    r = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD}, timeout=10
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _appeal(base: str, token: str | None, content: str, **extra: object) -> httpx.Response:
    body = {"channel": "web", "content": content, "reporter_phone": "13512345678", **extra}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{base}/api/v1/appeals", json=body, headers=headers, timeout=10)


def test_a_live_event_made_on_a_reaches_an_sse_client_of_b(cluster: Cluster) -> None:
    leader = _login(cluster.b, "leader1")
    operator = _login(cluster.a, "operator1")
    got: list[tuple[str, dict]] = []
    ready = threading.Event()

    def listen() -> None:
        with httpx.stream(
            "GET",
            f"{cluster.b}/api/v1/events/stream",
            timeout=60,
            headers={"Authorization": f"Bearer {leader}"},
        ) as r:
            assert r.status_code == 200
            kind = ""
            for line in r.iter_lines():
                if line.startswith(": connected"):
                    ready.set()
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    got.append((kind, json.loads(line[6:])))
                    return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(20)
    time.sleep(0.5)
    r = _appeal(cluster.a, operator, "幸福小区3号楼燃气泄漏，楼道里煤气味很浓")
    assert r.status_code == 201, r.text
    t.join(30)
    assert got, "no live event reached instance B"
    kind, event = got[0]
    assert kind in ("urgent_order", "life_safety") and event["ticket_no"] == r.json()["ticket_no"]


def test_a_session_revoked_on_a_is_refused_by_both(cluster: Cluster) -> None:
    token = _login(cluster.a, "operator1")
    h = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{cluster.b}/api/v1/auth/me", headers=h, timeout=10).status_code == 200
    assert httpx.post(f"{cluster.a}/api/v1/auth/logout", headers=h, timeout=10).status_code == 204
    deadline = time.monotonic() + 15  # each worker may hold a session a couple of seconds
    codes: tuple[int, int] = (0, 0)
    while time.monotonic() < deadline:
        codes = tuple(  # type: ignore[assignment]
            httpx.get(f"{u}/api/v1/auth/me", headers=h, timeout=10).status_code
            for u in (cluster.a, cluster.b)
        )
        if codes == (401, 401):
            break
        time.sleep(0.5)
    assert codes == (401, 401)


def test_a_rate_limit_holds_across_both(cluster: Cluster) -> None:
    # anonymous appeals: 10 per 10 minutes per address (CITYLOOP_RATE_LIMITS), whichever
    # instance takes them
    codes = [
        _appeal(
            cluster.a if i % 2 else cluster.b, None, f"路灯不亮 {uuid.uuid4().hex[:6]}"
        ).status_code
        for i in range(14)
    ]
    assert codes.count(201) == 10 and codes.count(429) == 4, codes
    assert codes[:10] == [201] * 10


def test_killing_a_under_load_loses_no_acknowledged_appeal(cluster: Cluster) -> None:
    token = _login(cluster.lb, "operator1")
    acked: list[str] = []
    outcomes: list[tuple[float, int]] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(timeout=10) as c:
            while not stop.is_set():
                try:
                    r = c.post(
                        f"{cluster.lb}/api/v1/appeals",
                        headers={"Authorization": f"Bearer {token}"},
                        json={
                            "channel": "web",
                            "content": f"负载 {uuid.uuid4().hex}",
                            "reporter_phone": "13512345678",
                        },
                    )
                    outcomes.append((time.monotonic(), r.status_code))
                    if r.status_code in (200, 201):
                        acked.append(r.json()["ticket_no"])
                except httpx.HTTPError:
                    outcomes.append((time.monotonic(), 0))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    before = len(acked)
    killed_at = time.monotonic()
    os.killpg(cluster.procs["a"].pid, signal.SIGKILL)
    time.sleep(4)
    stop.set()
    for t in threads:
        t.join(15)
    after = [code for at, code in outcomes if at > killed_at + 1]
    assert before > 0 and after, (before, len(after))
    assert all(code == 201 for code in after[-20:]), after[-20:]  # B carries on behind nginx
    engine = create_engine(cluster.db_url)
    with engine.connect() as conn:
        stored = {row[0] for row in conn.execute(text("SELECT ticket_no FROM appeals"))}
    engine.dispose()
    assert set(acked) <= stored, f"{len(set(acked) - stored)} acknowledged appeals lost"
