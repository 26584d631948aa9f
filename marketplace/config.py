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
    login_window_seconds: int = Field(
        default=3600, ge=1, description="Failed log-ins older than this are forgotten")
    login_free_failures: int = Field(
        default=5, ge=1, description="Failures for one account from one client before each "
        "next attempt must wait")
    login_client_free_failures: int = Field(
        default=50, ge=1, description="Failures from one client (any accounts) before each "
        "next attempt from it must wait")
    login_delay_seconds: int = Field(
        default=10, ge=1, description="First wait after those failures; doubles with each "
        "further failure")
    login_max_delay_seconds: int = Field(
        default=900, ge=1, description="Longest wait between two log-in attempts")
    trusted_proxies: str = Field(
        default="127.0.0.1,::1", description="Comma-separated IP addresses or CIDR networks "
        "of the reverse proxies whose X-Forwarded-For is believed (by default a proxy on "
        "this machine, as uvicorn does); empty: nobody's")
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
    international_rates: dict[str, dict[int, tuple[int, int]]] = Field(
        default={"ems": {1: (1500, 400), 2: (2400, 700), 3: (2800, 900)},
                 "express": {1: (3500, 800), 2: (5500, 1300), 3: (6500, 1600)}},
        description="International shipment from the Phnom Penh packing point, per service "
        "and zone: [first 500 g, each further 500 g] in US cents, on the order's total "
        "weight (JSON). The rates also pay the groups' parcels to the packing point")
    shipping_zones: dict[int, list[str]] = Field(
        default={1: ["TH", "VN", "LA", "MY", "SG", "ID", "PH", "MM", "BN", "CN", "HK", "TW",
                     "JP", "KR"],
                 2: ["AU", "NZ", "IN", "GB", "FR", "DE", "NL", "BE", "IT", "ES", "PT", "CH",
                     "AT", "SE", "NO", "DK", "FI", "IE", "PL", "CZ"]},
        description="Countries (ISO codes) of each international zone (JSON); every other "
        "country is zone 3")
    packing_point_address: str = Field(
        default="Crafts of Cambodia packing point, No. 25, Street 310, Boeng Keng Kang 1, "
        "Phnom Penh", description="Where producer groups send the parcels of orders going "
        "abroad, to be packed into one international shipment")
    wholesale_response_days: int = Field(
        default=3, ge=1, le=30, description="Days a producer group has to accept, change or "
        "decline its part of a purchase order; after that the part expires")
    max_unpaid_orders: int = Field(
        default=3, ge=1, description="Unpaid orders (still holding stock) one cart or one "
        "account may have at once; the next is refused until one is paid or cancelled")
    max_unpaid_orders_per_address: int = Field(
        default=20, ge=1, description="Unpaid orders placed from one client address at once "
        "(higher than per cart: many buyers share a mobile carrier's address)")
    order_link_days: int = Field(
        default=90, ge=1, description="The signed link in an order email opens the order in "
        "any browser for this many days")
    wholesale_commission_basis_points: int = Field(
        default=800, ge=0, le=5000, description="Marketplace commission on wholesale lines "
        "(800 = 8%); the rest of each line is owed to its producer group")
    invoice_seller_name: str = "Cambodia Crafts Marketplace Co., Ltd."
    invoice_seller_name_km: str = "ក្រុមហ៊ុន ផ្សារសិប្បកម្មកម្ពុជា ឯ.ក"
    invoice_seller_tax_id: str = "K001-900000001"
    invoice_seller_address: str = "No. 25, Street 310, Boeng Keng Kang 1, Phnom Penh"
    invoice_bank_details: str = Field(
        default="ABA Bank\nAccount name: CAMBODIA CRAFTS MARKETPLACE\nAccount no.: 000 000 000",
        description="How to pay an invoice by bank transfer (printed on every invoice)")
    khqr_account_id: str = Field(default="crafts@aclb", description="Bakong account the "
                                 "invoices' KHQR codes pay into (name@bank)")
    reminder_days_before_due: int = Field(default=3, ge=0)
    support_email: str = Field(default="help@crafts.example",
                               description="Where buyers and makers write (contact page)")
    support_phone: str = Field(default="+855 23 218 000",
                               description="Phone, Telegram and WhatsApp (contact page)")
    payout_assume_delivered_days: int = Field(
        default=14, ge=0, le=120, description="A parcel shipped this many days ago counts as "
        "delivered for payouts when nobody marked it delivered")
    payout_refund_window_days: int = Field(
        default=14, ge=0, le=120, description="Days after delivery during which a sale's money "
        "stays pending (the buyer may still ask for a refund)")
    payout_minimum_cents: int = Field(
        default=1000, ge=1, description="A group is paid in a run only when its available "
        "balance reaches this (US cents)")
    payout_reserve_cents: int = Field(
        default=0, ge=0, description="Kept back from each group's available balance in every "
        "run (US cents)")
    payout_hold_days: int = Field(
        default=3, ge=0, le=60, description="After a group changes where its payouts go, no "
        "payout is made to it for this many days (a classic fraud path)")
    stripe_secret_key: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = Field(
        default=None, description="Stripe API base URL (localstripe in development and tests)")
    stripe_js_url: str = "https://js.stripe.com/v3/"
    localstripe_port: int = Field(
        default=8420, description="Development: localstripe port when no Stripe key is set")
    complaints_per_hour: int = 5
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=0, description="Largest request body (JSON, forms) in bytes; "
        "a bigger one is refused with 413 before it is read")
    max_upload_bytes: int = Field(
        default=15 * 1024 * 1024, ge=0, description="Largest request body of a photo upload "
        "in bytes; a bigger one is refused with 413 before it is read")
    max_image_pixels: int = Field(
        default=40_000_000, ge=1, description="Photos with more pixels are refused (422) "
        "before they are decoded")
    image_decode_budget_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1, description="Most memory a photo may need to be "
        "decoded (PNG, WebP and progressive JPEG are decoded in full); a larger one is refused")

    @model_validator(mode="after")
    def _check_trusted_proxies(self) -> "Settings":
        from marketplace.core.clientip import parse_networks

        try:
            parse_networks(self.trusted_proxies)
        except ValueError as exc:
            raise ValueError(f"MARKETPLACE_TRUSTED_PROXIES: {exc}") from exc
        return self

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
