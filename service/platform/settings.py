"""Service settings, read once from ``ROSTER_*`` environment variables."""

from functools import lru_cache
from ipaddress import ip_network
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    worker_poll_seconds: float = 1.0
    reminder_days: int = 30
    token_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    threads: int = Field(default=4, ge=1, le=200, description="threads per server process for blocking work")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    webhooks_to_private_addresses: bool | None = None
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's own OpenTelemetry traces, metrics and logs, "
        "sent to the providers configured in this process; /metrics serves Prometheus either way",
    )

    @property
    def allow_private_webhooks(self) -> bool:
        """Webhooks to private or loopback addresses: allowed in development and test, refused in production."""
        if self.webhooks_to_private_addresses is None:
            return self.environment != "production"
        return self.webhooks_to_private_addresses

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

    @model_validator(mode="after")
    def _safe_outside_development(self) -> "Settings":
        if self.environment == "production" and self.database_url.startswith("sqlite"):
            raise ValueError("ROSTER_DATABASE_URL points at SQLite in production: set it to postgresql+psycopg://...")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
