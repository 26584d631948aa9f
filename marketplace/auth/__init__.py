"""Accounts, sessions, API tokens, roles."""
