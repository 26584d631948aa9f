"""Payments, refunds and the double-entry ledger."""
