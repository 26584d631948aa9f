"""Stripe: the only package that imports ``stripe``.

``client.StripeGateway`` implements ``marketplace.payments.gateway.PaymentGateway``;
``webhooks.handle`` verifies, stores once and dispatches webhook events; ``localstripe`` runs
a local Stripe for development and tests.
"""

from marketplace.integrations.stripe.client import StripeGateway, csp_sources

__all__ = ["StripeGateway", "csp_sources"]
