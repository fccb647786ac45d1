"""One settings object, read from CITYLOOP_* environment variables (documented in README)."""

from __future__ import annotations

import base64
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYLOOP_", env_file=".env", extra="ignore")

    data_dir: Path = Path(".cityloop")
    database_url: str = ""  # empty: SQLite file under data_dir
    # Connections kept per worker; above the expected concurrent requests, or every burst pays
    # for new PostgreSQL backends.
    db_pool_size: int = 20
    secret_key: str = ""  # empty: generated once and kept in data_dir/secret_key
    token_ttl_minutes: int = 8 * 60  # a session's absolute lifetime, however active
    # Identity and sessions (身份鉴别, docs/SECURITY.md). "production" refuses to start while
    # an account is a demo account or has the demo password.
    env: str = "development"  # development | demo | production
    session_idle_minutes: int = 30  # a session unused this long ends
    # Each worker re-reads a session and its user this often, so that a logout, a disabled
    # account or a changed role holds everywhere within this bound (≤ 5 s).
    session_recheck_seconds: float = 2.0
    password_min_length: int = 10
    password_min_classes: int = 3  # of lower-case, upper-case, digit, symbol
    password_history: int = 5  # a new password differs from this many past ones
    password_max_age_days: int = 0  # 0: passwords never expire
    totp_required_roles: list[str] = Field(
        default_factory=lambda: ["admin", "security_admin", "auditor"]
    )
    totp_issuer: str = "CityLoop"
    timezone: str = "Asia/Shanghai"
    office_hours: str = "09:00-12:00,13:30-18:00"
    extra_holidays: list[str] = Field(default_factory=list)  # ISO dates a city adds
    extra_workdays: list[str] = Field(default_factory=list)
    # Each worker re-reads the holiday table (store/holidays.py) at most this long after an edit.
    calendar_refresh_seconds: float = Field(default=5.0, gt=0)
    warning_fraction: float = 0.8  # 预警 when this share of the time limit is used
    default_time_limit: str = "5d"  # when no linkage rule matches
    # Step limits (环节时限, docs/ARCHITECTURE.md "Clocks and steps"): step=limit pairs; a
    # limit without a clock is natural time for urgent orders and working time otherwise.
    # Completion for normal orders comes from the linkage rule (else default_time_limit).
    step_limits_urgent: str = "dispatch=10m@natural,respond=30m@natural,complete=24h@natural"
    step_limits_normal: str = "dispatch=2h,respond=1d"
    co_feedback_share: float = Field(default=0.5, gt=0, le=1)  # 协办反馈时限: of the lead's
    # The lead's reply waits for co-handlers' feedback until their limit has passed.
    co_feedback_wait: bool = True
    # Emergency hand-offs (110/119/120/122 联动) by category code (a parent covers its
    # children), e.g. {"0501": "119", "0502": "120|110"}.
    emergency_handoffs: dict[str, str] = Field(default_factory=dict)
    login_max_failures: int = 5  # per account and source address, then growing waits
    login_window_seconds: int = 900  # a counter this quiet starts again from zero
    login_delay_seconds: int = 30  # the first wait; it doubles with each further attempt
    login_max_delay_seconds: int = 900
    # Softer limits: per account from addresses it has not logged in from (so a flood from
    # elsewhere does not lock the owner out), and per source address over every account.
    login_account_max_failures: int = 20
    login_address_max_failures: int = 100
    login_known_address_days: int = 30
    # Requests per window shared by every worker ("count/seconds"), keyed by client address
    # (and ticket for track/rate); answered 429 with Retry-After.
    rate_limits: dict[str, str] = Field(
        default_factory=lambda: {
            "login": "30/60",
            "track": "20/60",
            "track_ticket": "20/3600",
            "anonymous_appeal": "10/600",
            "upload": "60/600",
        }
    )
    # Model confidence above which an appeal is dispatched without a human. Empty: the active
    # model's threshold tuned for 95 % precision in cross-validation (never below 0.5).
    auto_dispatch_threshold: float | None = None
    category_thresholds: dict[str, float] = Field(default_factory=dict)  # per category code
    incident_window_hours: float = 48.0  # same-incident linking looks this far back
    # Farther apart than this, two appeals are two places; this close, the points alone are
    # strong place evidence (cityloop/nlp/linking.py, bench/linking_bench.py).
    incident_radius_m: float = Field(default=200.0, gt=0)
    incident_near_m: float = Field(default=60.0, gt=0)
    incident_linking: bool = True
    tile_url: str = ""  # map base tiles for the console, e.g. a city's own 天地图 (optional)
    tile_attribution: str = ""
    # The tiles' coordinate system: "wgs84" (天地图 and most government servers: CGCS2000, within
    # centimetres of WGS84) or "gcj02" (the offset system of 高德/腾讯-style tiles: the console
    # shifts its WGS84 layers onto them and clicks back). Data is always stored in WGS84.
    tile_crs: Literal["wgs84", "gcj02"] = "wgs84"
    tile_subdomains: str = ""  # {s} in tile_url, e.g. "01234567" for 天地图's t0 … t7
    # The city's own vector base map (roads, rivers, parks, buildings; GeoJSON), drawn under the
    # boundaries with no tiles from anywhere; empty: data_dir/basemap.geojson (the demo's).
    basemap_path: Path | None = None
    attachment_max_bytes: int = 10 * 1024 * 1024
    # Largest import file (CSV, YAML, GeoJSON); it also bounds every other request body.
    import_max_bytes: int = 20 * 1024 * 1024
    open311_config: Path | None = None  # a city's own Open311 attribute definitions (YAML)
    # AES-256-GCM key for residents' ID numbers and phones in the community database
    # (urlsafe base64 of 32 bytes); empty: generated once into data_dir/community_key. It is
    # key k1 of the field keyring and the root of the lookup digests: never change or drop it.
    community_key: str = ""
    # Field keyring (字段加密, docs/SECURITY.md): the algorithm of keys `cityloop keys rotate`
    # makes; the rotated keys as one JSON document (from a secret store), else the file
    # field_keys_file (default data_dir/field_keys.json, written 0600 by the rotation).
    field_cipher: Literal["aes-256-gcm", "sm4-gcm"] = "aes-256-gcm"
    field_keys: str = ""
    field_keys_file: Path | None = None
    community_config: Path | None = None  # a city's own community.yaml (points rules …)
    # Building-group messages (微网格群) are kept this long; topics keep their counts after.
    community_groups_retention_days: int = Field(default=365, ge=30)
    # Evaluation and early warning (考核评价, 预测预警); see docs/EVALUATION.md.
    analytics_accept_limit: str = "1d"  # accepted within this counts as responded
    analytics_score_weights: str = "response=0.30,resolution=0.35,satisfaction=0.35"
    analytics_refresh_days: int = 62  # trailing days the KPI rollup refresh recomputes
    analytics_warning_alpha: float = 0.001  # significance of the spike test
    analytics_warning_min_excess: int = 3
    analytics_warning_baseline_days: int = 56
    analytics_hot_window_days: int = 30
    # Intelligent perception (智能感知): the MQTT broker and the sensing consumer.
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_username: str = ""
    mqtt_password: str = ""
    mqtt_tls: bool = False
    mqtt_ca_file: str = ""  # empty with TLS: the system's CA store
    mqtt_client_id: str = "cityloop-sensing"  # fixed: the broker keeps this session
    mqtt_topic_prefix: str = "cityloop"
    mqtt_tenant: str = "default"  # "+" = every tenant
    mqtt_session_expiry: int = 604800  # seconds the broker keeps the session while we are down
    mqtt_keepalive: int = 30
    mqtt_receive_maximum: int = 2000  # unacknowledged QoS 1 messages in flight (MQTT 5)
    sensing_enabled: bool = False  # serve/demo start the consumer
    sensing_rules: str = ""  # rule file; empty: cityloop/sensing/rules.yaml
    sensing_offline_after: int = 900  # seconds of silence → offline
    sensing_batch_max: int = 1000
    sensing_batch_wait_ms: int = 20
    sensing_tick_seconds: float = 5.0  # absence and offline checks
    sensing_last_seen_every: int = 30  # seconds between last-seen writes per device
    sensing_dedup_days: int = 14  # processed message ids kept
    sensing_max_clock_skew: int = 600  # seconds a message's time may lie in the future
    # Shared state across workers and machines (rate limits, caches, session revocation, live
    # events). Empty: the single-machine default keeps that state in-process or in the database.
    redis_url: str = ""  # e.g. redis://127.0.0.1:6379/0
    # Operations (docs/DEPLOYMENT.md): scheduled jobs, notifications, live events, metrics.
    jobs_embedded: bool = True  # serve/demo run the jobs beside the API (no separate worker)
    jobs_schedule: dict[str, str] = Field(default_factory=dict)  # job → cron, or "off"
    jobs_concurrency: int = 2
    notify_smtp_host: str = ""  # empty: no e-mail
    notify_smtp_port: int = 25
    notify_smtp_user: str = ""
    notify_smtp_password: str = ""
    notify_smtp_starttls: bool = False
    notify_smtp_from: str = "CityLoop 12345 <noreply@cityloop.local>"
    notify_sms_url: str = ""  # the SMS gateway's HTTP endpoint; empty: no SMS
    notify_sms_template: str = '{"phone": "{phone}", "content": "{text}"}'  # JSON body
    notify_sms_token: str = ""  # sent as "Authorization: Bearer …" when set
    notify_wecom_webhooks: dict[str, str] = Field(default_factory=dict)  # dept code or * → URL
    notify_dingtalk_webhooks: dict[str, str] = Field(default_factory=dict)
    notify_dingtalk_secrets: dict[str, str] = Field(default_factory=dict)  # same keys: 加签
    notify_resident_events: list[str] = Field(default_factory=lambda: ["intake", "reply"])
    notify_max_attempts: int = 6  # deliveries tried before a message is given up
    metrics_token: str = ""  # GET /metrics needs "Authorization: Bearer <token>" when set
    # Without a token, only these client addresses may read /metrics.
    metrics_allow: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    # Audit trail (安全审计, docs/SECURITY.md). The key seals and chains the records (urlsafe
    # base64 of 32 bytes); empty: generated once into data_dir/audit_key. Keep it off the
    # database host: whoever holds it can forge records.
    audit_key: str = ""
    audit_hash: Literal["sha256", "sm3"] = "sha256"
    audit_retention_days: int = Field(default=180, ge=180)  # 网络安全法 art. 21: ≥ 6 months
    audit_archive_dir: Path | None = None  # empty: data_dir/audit_archive
    audit_seal_seconds: float = 2.0  # how often a worker seals new records into the chain
    # HTTP access log: JSON lines, rotated by size; empty path: off.
    access_log_path: Path | None = None
    access_log_max_bytes: int = 50 * 1024 * 1024
    access_log_backups: int = 10
    # HTTP hardening: API docs (/docs, /redoc, /openapi.json) off in production.
    api_docs: bool = True
    hsts_seconds: int = 31536000  # sent only on requests that came over TLS
    # Hosts an appeal's attachment URL may name (https only); relative URLs are always allowed.
    attachment_hosts: list[str] = Field(default_factory=list)
    download_link_seconds: int = 300  # lifetime of a signed attachment download link
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_json: bool = False
    log_level: str = "INFO"

    @field_validator("step_limits_urgent", "step_limits_normal")
    @classmethod
    def _step_limits(cls, value: str, info: ValidationInfo) -> str:
        # A bad limit is refused at start, naming the setting, not at the first dispatch.
        from cityloop.domain.sla import LimitClock
        from cityloop.domain.steps import parse_step_limits

        urgent = info.field_name == "step_limits_urgent"
        try:
            parse_step_limits(value, LimitClock.NATURAL if urgent else LimitClock.WORKING)
        except ValueError as exc:
            raise ValueError(f"CITYLOOP_{(info.field_name or '').upper()}: {exc}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def basemap_file(self) -> Path:
        return self.basemap_path or self.data_dir / "basemap.geojson"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cityloop.db').resolve()}"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def audit_key_bytes(self) -> bytes:
        """The audit trail's sealing key: from the environment, else one kept (0600) in the
        data directory. Read once per process."""
        if not self.audit_key:
            path = self.ensure_data_dir() / "audit_key"
            if not path.exists():
                path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
                path.chmod(0o600)
            self.audit_key = path.read_text().strip()
        return base64.urlsafe_b64decode(self.audit_key)

    def signing_key(self) -> str:
        """The token signing key: from the environment, else one kept in the data directory
        so that tokens survive a restart and every worker agrees. Read once per process."""
        if not self.secret_key:
            path = self.ensure_data_dir() / "secret_key"
            if not path.exists():
                path.write_text(secrets.token_urlsafe(48))
                path.chmod(0o600)
            self.secret_key = path.read_text().strip()
        return self.secret_key


@lru_cache
def get_settings() -> Settings:
    return Settings()
