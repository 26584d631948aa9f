"""Carts: anonymous (signed cookie) or the account's."""
