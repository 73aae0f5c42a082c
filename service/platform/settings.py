"""Service settings, read once from ``ROSTER_*`` environment variables."""

import json
from functools import lru_cache
from ipaddress import ip_network
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROSTER_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./roster.db"
    max_body_bytes: int = 1_000_000
    max_import_bytes: int = 16_000_000
    import_memory_mb: int = Field(
        default=1024, ge=256, description="address space of the child process that reads an import file"
    )
    import_seconds: float = Field(default=60.0, gt=0, description="time the child reading an import file may take")
    import_in_child: bool = Field(
        default=True, description="read import files in a child process (false: in the calling process, no limits)"
    )
    import_threads: int = Field(
        default=1, ge=1, le=64, description="imports run at once per server process (more wait their turn)"
    )
    import_max_errors: int = Field(default=1000, ge=1, description="problems listed in an import report")
    cors_origins: list[str] = []
    trusted_proxies: list[str] = Field(
        default=[],
        description="addresses or networks (CIDR) of the reverse proxies "
        "whose X-Forwarded-For names the client; nobody else's is believed",
    )
    db_pool_size: int = 10
    db_connect_timeout: int = 5
    check_migrations: bool = True
    worker: Literal["auto", "inprocess", "external"] = "auto"
    worker_lease_seconds: float = 30.0
    idempotency_pending_seconds: float = 60.0
    idempotency_keep_hours: float = Field(
        default=24.0, gt=0, description="how long an Idempotency-Key's answer is replayed; older ones are purged"
    )
    worker_poll_seconds: float = 1.0
    # Retention (issue 23; service/privacy/retention.py): days each data class is kept, then purged by the worker
    # daily. 0 keeps that class for ever (never the default: each is personal data).
    retain_inactive_experts_days: int = Field(
        default=730,
        ge=0,
        description="an inactive expert unchanged this long, with no live deployment, is erased (0: never)",
    )
    retain_deployment_notes_days: int = Field(
        default=365,
        ge=0,
        description="a completed, cancelled or declined deployment unchanged this long loses its free-text notes "
        "(0: never)",
    )
    retain_plan_data_days: int = Field(
        default=180,
        ge=0,
        description="a failed, cancelled or superseded plan finished this long ago loses its stored solver instance "
        "and result (0: never)",
    )
    retain_audit_personal_days: int = Field(
        default=365,
        ge=0,
        description="an audit entry about an expert this old loses the personal fields of its before and after "
        "(0: never)",
    )
    retain_webhook_bodies_days: int = Field(
        default=30,
        ge=0,
        description="webhook deliveries done this long ago are deleted, and events this old lose their payload "
        "(0: never)",
    )
    reminder_days: int = 30
    credential_reminder_days: int = Field(
        default=60,
        ge=1,
        le=365,
        description="days before a credential of a deployed or nominated person expires that its state is reminded",
    )
    consent_days: int = Field(
        default=14, ge=1, le=365, description="days a Member State has to confirm or decline a selection"
    )
    token_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    session_idle_seconds: float = Field(
        default=2 * 3600.0, gt=0, description="a browser session unused this long ends (sign in again)"
    )
    session_lifetime_seconds: float = Field(
        default=12 * 3600.0, gt=0, description="a browser session ends this long after sign-in, used or not"
    )
    threads: int = Field(default=4, ge=1, le=200, description="threads per server process for blocking work")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    webhook_allowed_networks: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="addresses or networks (CIDR) that webhooks may go to although they are not public "
        "(loopback, private, link-local, ...): a comma-separated or JSON list, none by default",
    )
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's own OpenTelemetry traces, metrics and logs, "
        "sent to the providers configured in this process; /metrics serves Prometheus either way",
    )

    @property
    def inprocess_worker(self) -> bool:
        """SQLite runs plans in the API process, one at a time; PostgreSQL uses `roster worker` processes."""
        if self.worker == "auto":
            return self.database_url.startswith("sqlite")
        return self.worker == "inprocess"

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for proxy in value:
            try:
                ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"ROSTER_TRUSTED_PROXIES: {proxy!r} is not an address or a network such as 10.0.0.0/8"
                ) from None
        return value

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _list_of_networks(cls, value: Any) -> Any:
        """``127.0.0.1/32,10.0.0.0/8`` as well as a JSON list: the short form is what people type."""
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [v.strip() for v in text.split(",") if v.strip()]
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _webhook_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ip_network(network, strict=False)
            except ValueError:
                raise ValueError(
                    f"ROSTER_WEBHOOK_ALLOWED_NETWORKS: {network!r} is not an address or a network such as 10.0.0.0/8"
                ) from None
        return value

    @model_validator(mode="after")
    def _safe_outside_development(self) -> "Settings":
        if self.environment == "production" and self.database_url.startswith("sqlite"):
            raise ValueError("ROSTER_DATABASE_URL points at SQLite in production: set it to postgresql+psycopg://...")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
