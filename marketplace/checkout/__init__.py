"""Checkout: pricing, shipping rates, placing orders."""
