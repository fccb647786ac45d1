"""`cityloop keys …` over the database: rotate (new rows carry the new key, old rows still
read), list (rows per key), reencrypt (no row left on an old key; idempotent, resumable),
ID-number lookups across a rotation, audit records, and values that do not open answered with
a named error — a 409 problem through the API, the row and column on the command line."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from cityloop.community.mediation.service import open_case
from cityloop.community.store import ResidentRow
from cityloop.security.keyring import columns, keyring_for
from cityloop.security.keyring.cli import keys_app
from cityloop.security.keyring.columns import COLUMNS, JsonListColumn
from cityloop.services.context import CityLoop
from cityloop.store.models import AuditRow
from tests.community.conftest import GRID_W1, ID_OLD, people_csv, resident_id
from tests.conftest import Users

API = "/api/v1/community/registry"
NEW = [
    (GRID_W1, "幸福里", "5栋", "1单元", "501", "周八", "HH-8", "", "13500008888", "户主", "", "")
]


def _keys(kctx: CityLoop, *args: str) -> Any:
    return CliRunner().invoke(keys_app, list(args), obj=kctx)


def _values(ctx: CityLoop) -> dict[tuple[str, Any, int], str]:
    """Every sealed value in the database, by (column, row id, position in a JSON list)."""
    out: dict[tuple[str, Any, int], str] = {}
    with ctx.engine.connect() as conn:
        for c in COLUMNS:
            if isinstance(c, JsonListColumn):
                for pk, items in conn.execute(select(c.pk, c.table.c[c.column])):
                    for i, p in enumerate(items or []):
                        if p.get(c.key):
                            out[(c.label, pk, i)] = p[c.key]
            else:
                for pk, value in conn.execute(select(c.pk, c.col).where(c.col.isnot(None))):
                    out[(c.label, pk, 0)] = value
    return out


def _v1(ctx: CityLoop, plain: str) -> str:
    """A value as the first release wrote it (AES-256-GCM under the community key)."""
    key = base64.urlsafe_b64decode((ctx.settings.data_dir / "community_key").read_text())
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plain.encode(), b"cityloop-community")
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def _dispute(ctx: CityLoop, users: Users) -> None:
    parties = [{"name": "张三", "role": "申请人", "phone": "13800001111"}, {"name": "李四"}]
    open_case(
        ctx,
        users.actor("grid_west"),
        title="楼上漏水",
        description="楼上漏水到楼下",
        type="neighbour",
        region_code=GRID_W1,
        parties=parties,
        mediator="网格调解员",
    )


def _reveal(app: TestClient, users: Users, rid: int) -> Any:
    return app.post(
        f"{API}/residents/{rid}/reveal", json={"reason": "入户走访"}, headers=users.headers("admin")
    )


def test_rotate_list_reencrypt_across_the_community_database(
    ctx: CityLoop, kctx: CityLoop, kapp: TestClient, city: Users, ring_file: Path
) -> None:
    _dispute(ctx, city)
    zhang = resident_id(ctx, "张三")
    with ctx.uow() as uow:  # a row from before the keyring: the v1 format
        uow.session.execute(
            update(ResidentRow)
            .where(ResidentRow.id == zhang)
            .values(phone_enc=_v1(ctx, "13800001111"))
        )
        uow.commit()
        digest_before = uow.session.get(ResidentRow, zhang).id_number_hash  # type: ignore[union-attr]
    before = _values(ctx)
    assert before and all(v.startswith(("v1:", "v2:k1:aes-256-gcm:")) for v in before.values())
    plain = {k: keyring_for(ctx.settings).decrypt(v) for k, v in before.items()}

    r = _keys(kctx, "rotate", "--algorithm", "sm4-gcm")
    assert r.exit_code == 0, r.output
    assert "k2" in r.output and "sm4-gcm" in r.output
    assert stat.S_IMODE(ring_file.stat().st_mode) == 0o600
    ring = keyring_for(kctx.settings)
    assert ring.active.id == "k2" and ring.active.algorithm == "sm4-gcm"

    listing = _keys(kctx, "list")
    assert listing.exit_code == 0, listing.output
    lines = {line.split("\t")[0]: line for line in listing.output.splitlines() if "\t" in line}
    assert "当前 active" in lines["k2"] and "仅解密 decrypt only" in lines["k1"]
    assert f"保护 protects {len(before)} 个值" in lines["k1"]
    assert "保护 protects 0 个值" in lines["k2"]

    # New rows carry the new key; old rows (v1 among them) still read, through the API.
    assert (
        kapp.post(
            f"{API}/import/residents",
            files={"file": ("p.csv", people_csv(NEW))},
            headers=city.headers("admin"),
        ).json()["residents"]
        == 1
    )
    with kctx.uow() as uow:
        zhou = uow.session.execute(
            select(ResidentRow).where(ResidentRow.name == "周八")
        ).scalar_one()
        assert (zhou.phone_enc or "").startswith("v2:k2:sm4-gcm:")
    old = _reveal(kapp, city, zhang).json()
    assert old["id_number"] == ID_OLD and old["phone"] == "13800001111"
    assert _reveal(kapp, city, zhou.id).json()["phone"] == "13500008888"

    # ID-number lookups still find the person: the digest did not move.
    assert ring.digest(ID_OLD) == digest_before == keyring_for(ctx.settings).digest(ID_OLD)
    li = resident_id(ctx, "李四")
    clash = kapp.patch(
        f"{API}/residents/{li}", json={"id_number": ID_OLD}, headers=city.headers("admin")
    )
    assert clash.status_code == 422 and clash.json()["errors"][0]["field"] == "id_number"

    done = _keys(kctx, "reencrypt", "--batch", "2")
    assert done.exit_code == 0, done.output
    assert f"{len(before)} 个值" in done.output
    after = _values(ctx)
    assert all(v.startswith("v2:k2:sm4-gcm:") for v in after.values())
    assert {k: ring.decrypt(v) for k, v in after.items() if k in before} == plain
    with kctx.uow() as uow:
        row = uow.session.get(ResidentRow, zhang)
        assert row is not None and row.id_number_hash == digest_before and row.version == 1
    again = _keys(kctx, "reencrypt")
    assert again.exit_code == 0 and "done: 0 个值" in again.output  # idempotent
    assert _values(ctx) == after
    lines = {
        line.split("\t")[0]: line
        for line in _keys(kctx, "list").output.splitlines()
        if "\t" in line
    }
    assert "保护 protects 0 个值" in lines["k1"]

    with ctx.uow() as uow:
        audits = uow.session.execute(
            select(AuditRow).where(AuditRow.action.like("keys.%")).order_by(AuditRow.id)
        ).scalars()
        trail = [(a.action, a.result, a.role, a.detail) for a in audits]
    assert [(a, r) for a, r, _, _ in trail] == [
        ("keys.rotate", "success"),
        ("keys.list", "success"),
        ("keys.reencrypt", "success"),
        ("keys.reencrypt", "success"),
        ("keys.list", "success"),
    ]
    assert (
        trail[0][2] == "cli" and trail[0][3]["key_id"] == "k2" and trail[0][3]["previous"] == "k1"
    )
    assert trail[2][3]["rewritten"] == len(before)
    secret = json.loads(ring_file.read_text())["keys"][0]["key"]
    assert all(secret not in json.dumps(d) for _, _, _, d in trail)  # no key material


def test_reencrypt_resumes_after_an_interruption(
    ctx: CityLoop, kctx: CityLoop, city: Users
) -> None:
    total = len(_values(ctx))
    assert _keys(kctx, "rotate").exit_code == 0  # CITYLOOP_FIELD_CIPHER: aes-256-gcm
    ring = keyring_for(kctx.settings)
    assert ring.active.algorithm == "aes-256-gcm" and ring.active.id == "k2"

    def stop(_label: str, n: int) -> None:
        if n:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        columns.reencrypt(kctx.engine, ring, batch=2, tick=stop)
    half = [v for v in _values(ctx).values() if ring.is_current(v)]
    assert len(half) == 2  # the first batch committed, the rest did not start
    rest = columns.reencrypt(kctx.engine, ring, batch=2)
    assert rest.rewritten == total - 2 and not rest.failures
    assert all(ring.is_current(v) for v in _values(ctx).values())


def test_values_that_do_not_open_are_named(
    ctx: CityLoop, kctx: CityLoop, kapp: TestClient, city: Users
) -> None:
    zhang, wang = resident_id(ctx, "张三"), resident_id(ctx, "王五")
    with ctx.uow() as uow:
        row = uow.session.get(ResidentRow, zhang)
        assert row is not None and row.id_number_enc
        body = row.id_number_enc
        row.id_number_enc = body[:-6] + ("A" if body[-6] != "A" else "B") + body[-5:]
        other = uow.session.get(ResidentRow, wang)
        assert other is not None
        other.phone_enc = "v2:k9:aes-256-gcm:" + base64.urlsafe_b64encode(os.urandom(40)).decode()
        uow.commit()

    tampered = kapp.get(f"{API}/residents/{zhang}", headers=city.headers("admin"))
    assert tampered.status_code == 409
    assert tampered.headers["content-type"].startswith("application/problem+json")
    assert tampered.json()["code"] == "cipher_tampered"
    assert tampered.json()["field"] == "id_number" and tampered.json()["key_id"] == "k1"
    unknown = kapp.get(f"{API}/residents/{wang}", headers=city.headers("admin"))
    assert unknown.status_code == 409 and unknown.json()["code"] == "cipher_unknown_key"
    assert unknown.json()["field"] == "phone" and "k9" in unknown.json()["detail"]

    assert _keys(kctx, "rotate", "--algorithm", "sm4-gcm").exit_code == 0
    r = _keys(kctx, "reencrypt")
    assert r.exit_code == 1
    assert f"residents.id_number 行 row {zhang}: tampered" in r.output
    assert f"residents.phone 行 row {wang}: unknown_key" in r.output
    listing = _keys(kctx, "list")
    assert "residents.phone: k9=1" in listing.output
    with ctx.uow() as uow:
        failed = uow.session.execute(
            select(AuditRow).where(AuditRow.action == "keys.reencrypt")
        ).scalar_one()
    assert failed.result == "failure"
    assert f"residents.id_number#{zhang}:tampered" in failed.detail["failed"]
    ring = keyring_for(kctx.settings)
    broken = {("residents.id_number", zhang, 0), ("residents.phone", wang, 0)}
    rest = [v for k, v in _values(ctx).items() if k not in broken]
    assert rest and all(ring.is_current(v) for v in rest)  # the others were rewritten


def test_cli_errors_name_what_is_wrong(kctx: CityLoop, ring_file: Path) -> None:
    r = _keys(kctx, "rotate", "--algorithm", "des")
    assert r.exit_code == 2 and "--algorithm" in r.output and "'des'" in r.output
    assert not ring_file.exists()
    ring_file.parent.mkdir(parents=True, exist_ok=True)
    ring_file.write_text('{"active": "k2", "keys": [{"id": "k2", "algorithm": "sm4-gcm"}]}')
    r = _keys(kctx, "list")
    assert r.exit_code == 2
    assert str(ring_file) in r.output and "keys[0].key" in r.output
    ring_file.write_text('{"active": "k5", "keys": []}')
    r = _keys(kctx, "rotate")
    assert r.exit_code == 2 and "k5" in r.output
    with kctx.uow() as uow:
        refused = uow.session.execute(
            select(AuditRow).where(AuditRow.action == "keys.rotate")
        ).scalar_one()
    assert refused.result == "failure" and "k5" in refused.detail["error"]


def test_a_keyring_from_the_environment_is_printed_not_written(
    ctx: CityLoop, kctx: CityLoop, ring_file: Path
) -> None:
    first = _keys(kctx, "rotate")
    assert first.exit_code == 0
    env = kctx.settings.model_copy(update={"field_keys": ring_file.read_text()})
    from cityloop.services.context import build_context

    ectx = build_context(env, clock=ctx.clock)
    try:
        before = ring_file.read_text()
        r = CliRunner().invoke(keys_app, ["rotate", "--algorithm", "sm4-gcm"], obj=ectx)
        assert r.exit_code == 0, r.output
        assert "CITYLOOP_FIELD_KEYS" in r.output
        printed = json.loads(r.stdout[r.stdout.index("{") :])
        assert printed["active"] == "k3" and [k["id"] for k in printed["keys"]] == ["k2", "k3"]
        assert ring_file.read_text() == before  # nothing written
        assert keyring_for(env).active.id == "k2"
        nxt = keyring_for(env.model_copy(update={"field_keys": json.dumps(printed)}))
        assert nxt.active.id == "k3" and nxt.active.algorithm == "sm4-gcm"
    finally:
        ectx.engine.dispose()


def test_a_plaintext_totp_secret_is_counted_and_sealed(
    ctx: CityLoop, kctx: CityLoop, users: Users
) -> None:
    """A secret left in plaintext (written by a process older than migration y0001)."""
    from cityloop.services.totp import security_row

    uid = users.id("dispatcher")
    with ctx.uow() as uow:
        security_row(uow.session, uid).totp_secret = "JBSWY3DPEHPK3PXP"
        uow.commit()
    listing = _keys(kctx, "list")
    assert "1 个值 values 未加密 plaintext" in listing.output
    assert "user_security.totp_secret: plaintext=1" in listing.output
    assert _keys(kctx, "reencrypt").exit_code == 0
    with ctx.uow() as uow:
        stored = security_row(uow.session, uid).totp_secret or ""
    assert stored.startswith("v2:k1:") and "JBSWY3DPEHPK3PXP" not in stored
    assert keyring_for(ctx.settings).decrypt(stored) == "JBSWY3DPEHPK3PXP"
    assert "未加密" not in _keys(kctx, "list").output
