"""Adapters to outside services."""
