"""`cityloop sensing …` and `cityloop simulate devices` (run on the sub-apps, as mounted)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cityloop.sensing.cli import sensing_app, simulate_app
from cityloop.sensing.store import DeviceRow
from cityloop.settings import get_settings
from tests.sensing.conftest import Rig

runner = CliRunner()


@pytest.fixture
def env(rig: Rig, settings, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CITYLOOP_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("CITYLOOP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CITYLOOP_MQTT_TENANT", rig.cfg.mqtt_tenant)
    get_settings.cache_clear()
    yield rig
    get_settings.cache_clear()


def test_rules_check_names_rule_and_field(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "device_types: {gas_detector: 燃气}\n"
        "rules:\n  - {id: gas, kind: threshold, device_types: gas_detector, when: 'ppm > x',"
        " order: {}}\n"
    )
    r = runner.invoke(sensing_app, ["rules", "check", str(bad)])
    assert r.exit_code == 2
    assert "rule gas, field 'when'" in r.output
    r = runner.invoke(sensing_app, ["rules", "check"])
    assert r.exit_code == 0 and "17 rules, 11 device types: OK" in r.output


def test_devices_import_vendor_and_simulation(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "d.csv"
    f.write_text("device_id,type,lon,lat\ng-1,gas_detector,104.05,30.1\nx,nope,1,1\n")
    r = runner.invoke(sensing_app, ["devices", "import", str(f)])
    assert r.exit_code == 2 and "第 3 行，“type”" in r.output
    r = runner.invoke(sensing_app, ["vendor", "create", "大华"])
    assert r.exit_code == 0 and "sv_" in r.output
    r = runner.invoke(
        simulate_app,
        [
            "devices",
            "--devices",
            "22",
            "--rate",
            "200",
            "--duration",
            "0.5",
            "--incident-every",
            "0.1",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "from 22 devices" in r.output
    with env.ctx.uow() as uow:
        n = uow.session.execute(
            select(func.count())
            .select_from(DeviceRow)
            .where(DeviceRow.tenant == env.cfg.mqtt_tenant)
        ).scalar_one()
    assert n == 22
