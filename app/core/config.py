"""Settings: every knob of the README's configuration list, read from the environment or `.env`."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# What the app asks for at install: orders for points, customers for members and tags,
# discounts for rewards, the app proxy for the storefront, store credit for credit rewards.
DEFAULT_SCOPES = ",".join(
    [
        "read_orders",
        "read_customers",
        "write_customers",
        "write_discounts",
        "write_app_proxy",
        "write_store_credit_account_transactions",
    ]
)


# Shopify's client secrets are longer; anything shorter is a placeholder or a typo, and a token
# signed with a guessable secret would be accepted as Shopify's.
MIN_SECRET_BYTES = 32


class UnusableSettings(RuntimeError):
    """The process must not start with these settings: without the app's key and secret it cannot
    verify anything Shopify sends, and in production it must not run on development backends."""


# Where the local dev store is mounted when `dangol_dev_store` is on (app/http/main.py).
DEV_STORE_PATH = "/devstore"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="")

    shopify_api_key: str = ""
    shopify_api_secret: SecretStr = SecretStr("")
    # Shopify signs with the old secret for up to an hour after a rotation.
    shopify_api_secret_previous: SecretStr | None = None
    shopify_scopes: str = DEFAULT_SCOPES
    shopify_api_version: str = "2026-04"
    shopify_api_base_url: str | None = None

    app_url: str = "http://127.0.0.1:8000"
    database_url: str = "sqlite:///var/dangol.db"
    redis_url: str | None = None
    smtp_url: str | None = None
    mail_from: str = "Dangol <no-reply@localhost>"
    dangol_encryption_key: SecretStr | None = None

    # "production" refuses to start without DANGOL_ENCRYPTION_KEY instead of generating one.
    dangol_env: Literal["development", "production"] = "development"
    # JSON lines for log collectors; `dangol dev` asks for a terminal's console format.
    dangol_log_format: Literal["json", "console"] = "json"
    # Host names the app answers besides APP_URL's (comma-separated), e.g. an internal name.
    dangol_allowed_hosts: str = ""
    var_dir: Path = Path("var")
    # Mounts the local dev store at /devstore; `dangol dev` turns it on.
    dangol_dev_store: bool = False

    # Webhook intake: commits are shared by requests arriving within this window.
    inbox_linger_seconds: float = 0.001
    inbox_max_batch: int = 256
    # Worker: inbox rows claimed per transaction, and the sweeper's look-back.
    inbox_claim_batch: int = 200
    inbox_sweep_every_seconds: int = 10
    inbox_max_attempts: int = 8
    webhook_job_timeout_seconds: int = 30
    # Reconciliation overlaps the previous window so clock skew cannot hide an order.
    reconcile_every_minutes: int = 15
    reconcile_overlap_minutes: int = 5
    # Personal data kept no longer than needed (docs/privacy.md): webhook bodies after they are
    # processed or failed, and compliance exports after they are prepared.
    inbox_body_retention_days: int = 7
    compliance_export_retention_days: int = 90
    # Tokens are refreshed this long before Shopify's expiry.
    token_refresh_margin_seconds: int = 600

    @field_validator("app_url", "shopify_api_base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    def require_credentials(self) -> None:
        """Refuse to run without the app's key and a real secret (and a real previous one, if given)."""
        if not self.shopify_api_key.strip():
            raise UnusableSettings("SHOPIFY_API_KEY must be set (`dangol dev` sets dev values)")
        secrets = {"SHOPIFY_API_SECRET": self.shopify_api_secret.get_secret_value()}
        if self.previous_secret is not None:
            secrets["SHOPIFY_API_SECRET_PREVIOUS"] = self.previous_secret
        for name, secret in secrets.items():
            if len(secret.encode()) < MIN_SECRET_BYTES:
                raise UnusableSettings(
                    f"{name} must be at least {MIN_SECRET_BYTES} bytes (`dangol dev` sets dev values)"
                )

    def require_production_backends(self) -> None:
        """In production, the shared state lives in PostgreSQL and a real Redis: SQLite holds one
        writer on one machine, and the embedded Redis dies with the process that started it."""
        if self.dangol_env != "production":
            return
        if self.is_sqlite:
            raise UnusableSettings("DANGOL_ENV=production needs DATABASE_URL to name PostgreSQL, not SQLite")
        if not self.redis_url:
            raise UnusableSettings("DANGOL_ENV=production needs REDIS_URL (the embedded Redis is for development)")

    @property
    def webhook_secrets(self) -> list[str]:
        secrets = [self.shopify_api_secret.get_secret_value()]
        if self.shopify_api_secret_previous and self.shopify_api_secret_previous.get_secret_value():
            secrets.append(self.shopify_api_secret_previous.get_secret_value())
        return [s for s in secrets if s]

    @property
    def previous_secret(self) -> str | None:
        if self.shopify_api_secret_previous is None:
            return None
        return self.shopify_api_secret_previous.get_secret_value() or None

    @property
    def reconcile_overlap(self) -> timedelta:
        return timedelta(minutes=self.reconcile_overlap_minutes)

    @property
    def scopes(self) -> list[str]:
        return [s.strip() for s in self.shopify_scopes.split(",") if s.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
