"""Emails: queued in the outbox inside the request's transaction, delivered by the worker."""
