"""Payout runs, payouts and a group's earnings as the API shows them."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RunIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"khr_per_usd": 4100}]})

    khr_per_usd: int | None = Field(
        default=None, ge=1000, le=10000,
        description="Riel per dollar for the groups paid in riel; required when one is due")


class PayoutPublic(BaseModel):
    id: int
    run_id: int
    group_id: int
    status: str = Field(description="pending | sent | failed")
    amount_cents: int = Field(description="The ledger entries it pays, US cents")
    currency: str = Field(description="USD or KHR")
    amount_minor: int = Field(description="What is sent: cents, or riel rounded to 100")
    rounding_cents: int
    rail: str = Field(description="bank | bakong | cash")
    reference: str | None
    failure: str
    entry_ids: list[int] = Field(description="The ledger entries this payout pays")
    sent_at: datetime | None
    failed_at: datetime | None


class RunPublic(BaseModel):
    id: int
    status: str = Field(description="draft | approved | closed | cancelled")
    khr_per_usd: int | None
    total_cents: int
    created_by_id: int | None
    approved_by_id: int | None
    created_at: datetime
    payouts: list[PayoutPublic]


class SentIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reference": "ABA-TRF-77120"}]})

    reference: str = Field(min_length=1, max_length=80)


class FailedIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"reason": "The bank returned it: account closed."}]})

    reason: str = Field(min_length=1, max_length=500)


class EarningsPublic(BaseModel):
    """A group's money: every figure a sum of ledger entries, US cents."""

    group_id: int
    pending_cents: int = Field(description="Earned, not yet available (not delivered, or "
                                           "within the refund window)")
    available_cents: int = Field(description="Will be paid in the next run (may be "
                                             "negative after a refund)")
    in_payout_cents: int = Field(description="In a payout not sent yet")
    paid_cents: int = Field(description="Sent to the group")
    payouts: list[PayoutPublic]


class StatementMonth(BaseModel):
    month: str = Field(examples=["2026-11"])
    earned_cents: int = Field(description="Sales less refunds booked that month")
    pdf: str = Field(description="The statement's address")
