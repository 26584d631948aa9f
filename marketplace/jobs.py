"""One pass of the background worker (``marketplace worker``): the ``tasks`` of each domain
that has jobs (orders, wholesale, notifications, auth), in order. Each job claims its rows with guarded
UPDATEs, so several workers (on several machines) can run at once."""

from dataclasses import dataclass

from sqlalchemy import Engine

from marketplace.auth import tasks as auth_tasks
from marketplace.config import Settings
from marketplace.invoices import tasks as invoice_tasks
from marketplace.notifications.tasks import deliver_pending
from marketplace.orders import tasks as order_tasks
from marketplace.payments.gateway import PaymentGateway
from marketplace.wholesale import card as wholesale_card
from marketplace.wholesale import tasks as wholesale_tasks


@dataclass
class Pass:
    refunds: int = 0
    payments: int = 0
    expired: int = 0
    emails: int = 0
    purged: int = 0
    parts_expired: int = 0
    invoices_reminded: int = 0
    wholesale_charges: int = 0


def run_once(engine: Engine, settings: Settings, gateway: PaymentGateway, *, now=None) -> Pass:
    """Payments and refunds (retail, and wholesale card charges) first (a payment found now must not be cancelled as unpaid),
    then unpaid orders past their reservation, purchase order parts past their answer date
    and invoice reminders, then the email outbox, then old sessions and
    failed log-ins that no longer count."""
    done = Pass()
    found = order_tasks.run(engine, settings, gateway, now=now)
    done.refunds, done.payments = found.refunds, found.payments
    done.wholesale_charges = wholesale_card.reconcile(engine, settings, gateway, now=now)
    done.expired = order_tasks.release_expired(engine)
    done.parts_expired = wholesale_tasks.expire_parts(engine, settings)
    done.invoices_reminded = invoice_tasks.remind(engine, settings, today=now.date()
                                                  if now else None)
    done.emails = deliver_pending(engine, settings)
    done.purged = auth_tasks.purge(engine, settings, now=now)
    return done


def gateway_for(settings: Settings) -> tuple[Settings, PaymentGateway]:
    """The settings and card gateway the worker uses (localstripe's in development, like
    the web app)."""
    from marketplace.integrations.stripe import StripeGateway, localstripe

    if localstripe.wanted(settings):
        settings = localstripe.development_settings(settings)
    return settings, StripeGateway(settings)
