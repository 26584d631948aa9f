"""A group's monthly earnings statement as an A4 PDF, with the wholesale invoices' renderer
(``invoices.pdf.Page``: Khmer shaped by HarfBuzz, wrapped at U+200B and spaces): each sale,
refund and invoice of the month with its pieces and makers, the totals, and the payouts
sent that month. Labels are "English / ខ្មែរ", as on the invoices."""

from datetime import UTC, datetime

from sqlmodel import Session, select

from marketplace.config import Settings
from marketplace.i18n import N_
from marketplace.invoices.pdf import CONTENT_W, MARGIN, Page, label, pair, usd
from marketplace.models import Payout, PayoutStatus, ProducerGroup
from marketplace.payouts import statement

KINDS = {"payment": N_("Sale"), "refund": N_("Refund"), "invoice": N_("Wholesale invoice"),
         "credit_note": N_("Credit note")}
STATUSES = {"pending": N_("Pending"), "available": N_("Available"),
            "in_payout": N_("In a payout"), "paid": N_("Paid")}


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


def render_month(session: Session, settings: Settings, group: ProducerGroup,
                 month: str) -> bytes:
    start, end = month_bounds(month)
    found = list(reversed(statement.rows(session, settings, group.id, start=start, end=end,
                                         limit=2000)))
    sent = session.exec(select(Payout).where(
        Payout.group_id == group.id, Payout.status == PayoutStatus.SENT,
        Payout.sent_at >= start, Payout.sent_at < end).order_by(Payout.id)).all()
    page = Page()
    page.pdf.set_title(f"{group.name} {month}")
    page.pdf.set_creation_date(start)
    en, km = pair(N_("Earnings statement"))
    y = MARGIN + page.text(MARGIN, MARGIN, CONTENT_W, f"{en.upper()}  {month}", size=16,
                           bold=True)
    y += page.text(MARGIN, y, CONTENT_W, km, size=13, bold=True) + 2
    y += page.text(MARGIN, y, CONTENT_W, f"{group.name} · {group.name_km}", size=11) + 4
    for row in found:
        lines = [(f"{row.on:%d/%m/%Y}  {label(KINDS[row.kind])}  {row.reference}  "
                  f"({label(STATUSES[row.status])})", usd(row.amount_cents), True)]
        for piece in row.pieces:
            who = f" · {piece.maker}" if piece.maker else ""
            names = " ".join(t for t in (piece.title, piece.title_km) if t)  # one may be ""
            lines.append((f"    {piece.quantity} × {names}{who}: "
                          f"{usd(piece.gross_cents)} − {usd(piece.commission_cents)}",
                          usd(piece.net_cents), False))
        if row.shipping_cents:
            lines.append((f"    {label(N_('Shipping'))}", usd(row.shipping_cents), False))
        for text, amount, bold in lines:
            height = page.text(0, 0, CONTENT_W - 35, text, size=8.5, draw=False)
            y = page.room(y, height + 1)
            page.text(MARGIN, y, CONTENT_W - 35, text, size=8.5, bold=bold)
            page.text(MARGIN + CONTENT_W - 32, y, 32, amount, size=8.5, bold=bold, align="R",
                      tall=True)
            y += height + 1
    y = page.room(y + 4, 30)
    page.pdf.line(MARGIN, y, MARGIN + CONTENT_W, y)
    y += 2
    total = sum(row.amount_cents for row in found)
    for text, amount in ((label(N_("Earned this month")), total),
                         *[(f"{label(N_('Payout sent'))} {p.sent_at:%d/%m/%Y} {p.reference}",
                            p.amount_cents) for p in sent]):
        page.text(MARGIN, y, CONTENT_W - 35, text, size=9, bold=True)
        page.text(MARGIN + CONTENT_W - 32, y, 32, usd(amount), size=9, bold=True, align="R",
                  tall=True)
        y += 7
    makers = statement.makers(found)
    if makers:
        y = page.room(y + 4, 12)
        y += page.text(MARGIN, y, CONTENT_W, label(N_("Makers")), size=10, bold=True) + 1
        for name, pieces, cents in makers:
            y = page.room(y, 6)
            page.text(MARGIN, y, CONTENT_W - 35, f"{name}: {pieces}", size=9)
            page.text(MARGIN + CONTENT_W - 32, y, 32, usd(cents), size=9, align="R", tall=True)
            y += 6
    return bytes(page.pdf.output())
