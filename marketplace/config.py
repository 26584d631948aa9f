"""Settings read from the environment (prefix ``MARKETPLACE_``); one instance per process."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 - refused in production


class Settings(BaseSettings):
    """Every setting the service reads; see the table in README.md."""

    model_config = SettingsConfigDict(env_prefix="MARKETPLACE_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    secret_key: str = DEFAULT_SECRET_KEY
    database_url: str = f"sqlite:///{BASE_DIR / 'var' / 'marketplace.db'}"
    database_pool_size: int = 10
    database_lock_timeout_ms: int = Field(
        default=5_000, ge=0, description="Longest wait for a row lock (SQLite: for the write "
        "lock) before the request fails with 503")
    database_statement_timeout_ms: int = Field(
        default=30_000, ge=0, description="PostgreSQL statement_timeout of the service")
    database_idle_in_transaction_timeout_ms: int = Field(
        default=60_000, ge=0,
        description="PostgreSQL idle_in_transaction_session_timeout of the service")
    base_url: str = "http://127.0.0.1:8000"
    https: bool = False
    var_dir: Path = BASE_DIR / "var"
    smtp_url: str | None = None
    mail_from: str = "Cambodia Crafts Marketplace <no-reply@crafts.example>"
    default_locale: Literal["en", "km"] = "en"
    session_max_age: int = 14 * 24 * 3600
    email_token_max_age: int = 3 * 24 * 3600
    password_reset_max_age: int = 3600
    api_token_days: int = 90
    login_max_failures: int = 10
    login_window_seconds: int = 15 * 60
    khr_per_usd: int = Field(default=4100, description="Riel per US dollar for display")
    log_level: str = "INFO"
    seal_signing_key: str | None = Field(
        default=None,
        description="Base64 Ed25519 private key (32 bytes) that signs hang-tag QR codes; "
        "derived from the secret key when unset",
    )
    certificate_years: int = 4
    commission_basis_points: int = Field(
        default=1000, description="Marketplace commission on each line (1000 = 10%)")
    card_fee_basis_points: int = Field(default=290, description="Card fee rate (290 = 2.9%)")
    card_fee_fixed_cents: int = Field(default=30, description="Card fee per payment, US cents")
    reservation_minutes: int = Field(default=15, description="Unpaid orders hold stock this long")
    stripe_secret_key: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = Field(
        default=None, description="Stripe API base URL (localstripe in development and tests)")
    stripe_js_url: str = "https://js.stripe.com/v3/"
    localstripe_port: int = Field(
        default=8420, description="Development: localstripe port when no Stripe key is set")
    complaints_per_hour: int = 5

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> "Settings":
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "MARKETPLACE_SECRET_KEY must be set to a long random value in production"
            )
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("MARKETPLACE_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings instance."""
    return Settings()
