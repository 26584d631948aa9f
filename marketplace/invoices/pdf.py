"""Wholesale invoices and credit notes as A4 PDFs with "English / ខ្មែរ" labels whatever the
request's language (Khmer from the km catalog, else ``_KM_FALLBACK`` until the lead adds it).

Library: fpdf2 (LGPL-3.0-only, py-pdf project, 2.8.9 released 2026-09) with uharfbuzz
(Apache-2.0, HarfBuzz's own binding) for ``set_text_shaping``: HarfBuzz places coeng
subscripts, pre-base vowels and ro. No system libraries, unlike WeasyPrint (Pango); not AGPL.

Fonts: Noto Sans Khmer (OFL 1.1, embedding allowed; fonts-noto-core, from ``make fonts``), else
Khmer OS Siemreap. It has no Latin letters or digits, so each line is cut into Khmer runs, set
in it at 1.2 times the size (Khmer looks small beside Latin), and other runs in DejaVu Sans.

Line breaks: Khmer has no spaces between words; Khmer typists put U+200B ZERO WIDTH SPACE there
(the NiDA keyboard's space bar), so lines end only at spaces and U+200B, measured shaped. A word
longer than a line is cut between clusters, never after a coeng or before a combining sign.
Offline, no dictionary: khmer-nltk (Apache-2.0, last release 2023, 7 MB plus sklearn-crfsuite)
and PyICU (built against libicu) are heavy; fpdf2's multi_cell cuts inside clusters.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from io import BytesIO
from pathlib import Path

import segno
from fpdf import FPDF

from marketplace.i18n import N_, translations

MAKE_HINT = "run `make fonts` as root (installs fonts-noto-core and fonts-dejavu-core)"
_NOTO, _DEJAVU = "/usr/share/fonts/truetype/noto/NotoSansKhmer", "/usr/share/fonts/truetype/dejavu"
# (regular, bold): the first whose regular file exists wins; a missing bold uses the regular
KHMER_FONTS = ((f"{_NOTO}-Regular.ttf", f"{_NOTO}-Bold.ttf"),
               ("/usr/share/fonts/truetype/khmeros/KhmerOSsiemreap.ttf", ""))
LATIN_FONTS = ((f"{_DEJAVU}/DejaVuSans.ttf", f"{_DEJAVU}/DejaVuSans-Bold.ttf"),)
ZWSP, COENG, JOINERS = "\u200b", "\u17d2", "\u200c\u200d"
KHMER_RUN, KHMER_SCALE = re.compile("([\u1780-\u17ff\u19e0-\u19ff\u200b-\u200d]+)"), 1.2
PAGE_W, PAGE_H, MARGIN, CONTENT_W = 210.0, 297.0, 15.0, 180.0  # mm
COLUMNS = ((N_("Description"), 92.0, "L"), (N_("Quantity"), 22.0, "R"),  # label, mm, align
           (N_("Unit price"), 32.0, "R"), (N_("Amount"), 34.0, "R"))

_KM_FALLBACK = {
    "Invoice": "វិក្កយបត្រ", "Credit note": "ប័ណ្ណឥណទាន", "Number": "លេខ", "Date": "កាលបរិច្ឆេទ",
    "Due date": "កាលបរិច្ឆេទត្រូវបង់", "Your order": "លេខបញ្ជាទិញ", "Seller": "អ្នកលក់",
    "Tax ID": "លេខអត្តសញ្ញាណកម្មសារពើពន្ធ", "Description": "បរិយាយ", "Unit price": "តម្លៃឯកតា",
    "Amount": "ទឹកប្រាក់", "≈ %(riel)s at %(rate)s/US$": "≈ %(riel)s តាមអត្រា %(rate)s/US$",
    "How to pay": "របៀបបង់ប្រាក់", "Scan to pay with KHQR": "ស្កេន KHQR ដើម្បីបង់ប្រាក់",
    "Notes": "កំណត់សម្គាល់",
}


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    description_km: str
    quantity: int
    unit_price_cents: int
    total_cents: int


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    kind: str  # "invoice" or "credit_note"
    issued_on: date
    due_on: date | None
    seller_name: str
    seller_name_km: str
    seller_tax_id: str
    seller_address: str
    buyer_name: str
    buyer_name_km: str
    buyer_tax_id: str
    buyer_address: str
    buyer_reference: str
    lines: tuple[InvoiceLine, ...]
    subtotal_cents: int
    total_cents: int
    khr_per_usd: int
    total_khr: int
    bank_details: str
    khqr_payload: str | None
    notes: str = ""


def pair(msgid: str, **variables) -> tuple[str, str]:
    """(English, Khmer) for a label, whatever language the request asked for."""
    en, km = translations("en").gettext(msgid), translations("km").gettext(msgid)
    km = _KM_FALLBACK.get(msgid, km) if km == msgid else km
    return (en % variables, km % variables) if variables else (en, km)


def label(msgid: str) -> str:
    return " / ".join(pair(msgid))


def usd(cents: int) -> str:
    """$1,234.50 from integer cents, no floats."""
    dollars, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}${dollars:,}.{rest:02d}"


def find_font(candidates: tuple[tuple[str, str], ...], what: str) -> tuple[str, str]:
    for regular, bold in candidates:
        if Path(regular).is_file():
            return regular, bold if bold and Path(bold).is_file() else regular
    raise RuntimeError(f"No {what} font at {[r for r, _b in candidates]}: {MAKE_HINT}")


def cluster_starts(text: str) -> list[int]:
    """Where a cut keeps Khmer clusters whole: not before a combining sign or joiner, and not
    after a coeng (the consonant after it is written under the one before)."""
    return [i for i, ch in enumerate(text) if i == 0 or not (
        unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in JOINERS
        or text[i - 1] == COENG or text[i - 1] in JOINERS)]


def _clean(text: str) -> str:
    return text.replace(ZWSP, "").rstrip(" ")


class Page:
    """An A4 fpdf2 document that draws wrapped English and Khmer text at given places."""

    def __init__(self) -> None:
        khmer, latin = find_font(KHMER_FONTS, "Khmer"), find_font(LATIN_FONTS, "Latin")
        self.pdf = pdf = FPDF(orientation="P", unit="mm", format="A4")
        for family, (regular, bold) in (("latin", latin), ("khmer", khmer)):
            pdf.add_font(family, "", regular)
            pdf.add_font(family, "B", bold)
        pdf.set_text_shaping(True)
        pdf.set_auto_page_break(False)
        pdf.c_margin = 0
        pdf.set_draw_color(160)
        pdf.add_page()

    def _runs(self, line: str, size: float, bold: bool):
        """(text, font size, width) of each Khmer or other run, its font set when yielded."""
        for piece in filter(None, KHMER_RUN.split(_clean(line))):
            khmer = bool(KHMER_RUN.fullmatch(piece))
            run_size = size * KHMER_SCALE if khmer else size
            self.pdf.set_font("khmer" if khmer else "latin", "B" if bold else "", run_size)
            yield piece, run_size, self.pdf.get_string_width(piece)

    def width(self, line: str, size: float, bold: bool = False) -> float:
        return sum(run[2] for run in self._runs(line, size, bold))

    def lines(self, text: str, w: float, size: float, bold: bool = False) -> list[str]:
        """``text`` in lines no wider than ``w`` mm, cut at spaces and U+200B, or between the
        clusters of a word longer than a line."""
        def fits(piece: str) -> bool:
            return self.width(piece, size, bold) <= w
        out: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for seg in re.findall("[^ \u200b]+[ \u200b]*|[ \u200b]+", paragraph):
                if not fits(line + seg):
                    out += [_clean(line)] if line else []
                    line = ""
                    while not fits(seg):
                        starts = cluster_starts(seg)
                        cut = next((s for s in reversed(starts[1:]) if fits(seg[:s])), None)
                        cut = cut or (starts[1] if len(starts) > 1 else len(seg))
                        out.append(_clean(seg[:cut]))
                        seg = seg[cut:]
                line += seg
            out.append(_clean(line))
        return out

    def text(self, x, y, w, text, size=9.0, bold=False, align="L", grey=False, draw=True,
             tall=False) -> float:
        """Draw ``text`` wrapped to ``w`` mm from (x, y) down; return the height it takes.
        ``tall`` gives Latin lines the Khmer line height, to share a baseline with Khmer."""
        self.pdf.set_text_color(90 if grey else 0)
        top = y
        for line in self.lines(text, w, size, bold) if text else ():
            # in mm; Khmer stacks vowels and subscripts above and below its letters
            line_h = size * (0.68 if tall or KHMER_RUN.search(line) else 0.5)
            left = x + {"L": 0, "C": 0.5, "R": 1}[align] * (w - self.width(line, size, bold))
            for piece, run_size, run_w in self._runs(line, size, bold) if draw else ():
                # fpdf2 puts the baseline 0.3 * font size below the middle of the cell
                self.pdf.set_xy(left, y - 0.3 * (run_size - size) / self.pdf.k)
                self.pdf.cell(run_w, line_h, piece)
                left += run_w
            y += line_h
        return y - top

    def room(self, y: float, height: float) -> float:
        """``y`` if ``height`` fits below it, else the top of a new page."""
        if y + height <= PAGE_H - MARGIN:
            return y
        self.pdf.add_page()
        return MARGIN


def render(doc: InvoiceDocument) -> bytes:
    """The invoice or credit note as PDF bytes: A4, fonts embedded."""
    page = Page()
    page.pdf.set_title(doc.number)
    page.pdf.set_creation_date(datetime.combine(doc.issued_on, time()))
    y = _parties(page, doc, _header(page, doc) + 6)
    y = _payment(page, doc, _totals(page, doc, _table(page, doc, y + 8) + 3) + 8)
    if doc.notes:
        y = page.room(y + 6, 15)
        y += page.text(MARGIN, y, CONTENT_W, label(N_("Notes")), bold=True)
        page.text(MARGIN, y + 1, CONTENT_W, doc.notes)
    return bytes(page.pdf.output())


def _header(page: Page, doc: InvoiceDocument) -> float:
    en, km = pair(N_("Credit note") if doc.kind == "credit_note" else N_("Invoice"))
    y = MARGIN + page.text(MARGIN, MARGIN, 90, en.upper(), size=20, bold=True)
    y += page.text(MARGIN, y, 90, km, size=15, bold=True)
    meta_y = MARGIN
    for msgid, value in ((N_("Number"), doc.number), (N_("Date"), doc.issued_on),
                         (N_("Due date"), doc.due_on), (N_("Your order"), doc.buyer_reference)):
        if value:
            value = value.strftime("%d/%m/%Y") if isinstance(value, date) else value
            used = page.text(105, meta_y, 55, label(msgid), size=8, grey=True)
            page.text(160, meta_y, 35, value, bold=True, align="R", tall=True)
            meta_y += max(used, 5) + 1
    return max(y, meta_y)


def _parties(page: Page, doc: InvoiceDocument, y: float) -> float:
    """Seller on the left, buyer on the right."""
    blocks = [[(label(heading), 8, False, True), (name, 10, True, False), (km, 10, True, False),
               (f"{label(N_('Tax ID'))}: {tax_id}", 8, False, False), (address, 9, False, False)]
              for heading, name, km, tax_id, address in (
        (N_("Seller"), doc.seller_name, doc.seller_name_km, doc.seller_tax_id, doc.seller_address),
        (N_("Buyer"), doc.buyer_name, doc.buyer_name_km, doc.buyer_tax_id, doc.buyer_address))]
    height = max(sum(page.text(0, 0, 85, *row[:3], draw=False) for row in rows) for rows in blocks)
    y = page.room(y, height)
    for x, rows in zip((MARGIN, MARGIN + 95), blocks, strict=True):
        top = y
        for text, size, bold, grey in rows:
            top += page.text(x, top, 85, text, size, bold, grey=grey)
    return y + height


def _table(page: Page, doc: InvoiceDocument, y: float) -> float:
    def header(y: float) -> float:
        page.pdf.set_fill_color(235)
        page.pdf.rect(MARGIN, y, CONTENT_W, 11, style="F")
        x = MARGIN + 1.5
        for msgid, width, align in COLUMNS:
            en, km = pair(msgid)
            page.text(x, y + 0.8, width - 3, en, size=8, bold=True, align=align)
            page.text(x, y + 5.6, width - 3, km, size=8, align=align)
            x += width
        return y + 11
    y, desc_w = header(page.room(y, 25)), COLUMNS[0][1] - 3
    for line in doc.lines:
        height = 3 + page.text(0, 0, desc_w, line.description, draw=False)
        height += page.text(0, 0, desc_w, line.description_km, draw=False)
        if page.room(y, height) != y:  # the row goes on a new page, under the header again
            y = header(MARGIN)
        top, x = y + 1.5, MARGIN + COLUMNS[0][1]
        used = page.text(MARGIN + 1.5, top, desc_w, line.description)
        page.text(MARGIN + 1.5, top + used, desc_w, line.description_km)
        values = (str(line.quantity), usd(line.unit_price_cents), usd(line.total_cents))
        tall = bool(KHMER_RUN.search(page.lines(line.description, desc_w, 9.0)[0]))
        for value, (_msgid, width, align) in zip(values, COLUMNS[1:], strict=True):
            page.text(x + 1.5, top, width - 3, value, align=align, tall=tall)
            x += width
        y += height
        page.pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
    return y


def _totals(page: Page, doc: InvoiceDocument, y: float) -> float:
    y, x, label_w, value_w = page.room(y, 32), 95.0, 65.0, 35.0
    for msgid, cents, size, bold in ((N_("Subtotal"), doc.subtotal_cents, 9, False),
                                     (N_("Total"), doc.total_cents, 10, True)):
        if bold:
            page.pdf.line(x, y, x + label_w + value_w, y)
            y += 1
        page.text(x, y, label_w, label(msgid), size, bold)
        page.text(x + label_w, y, value_w, usd(cents), size, bold, align="R", tall=True)
        y += 6.5
    for text in pair(N_("≈ %(riel)s at %(rate)s/US$"), riel=f"{doc.total_khr:,}\u00a0៛",
                     rate=f"{doc.khr_per_usd:,}\u00a0៛"):
        y += page.text(x, y, label_w + value_w, text, size=8.5, grey=True, align="R")
    return y


def _payment(page: Page, doc: InvoiceDocument, y: float) -> float:
    text_w = 125.0 if doc.khqr_payload else CONTENT_W
    y = top = page.room(y, 6 + max(page.text(0, 0, text_w, doc.bank_details, draw=False), 45))
    y += page.text(MARGIN, y, text_w, label(N_("How to pay")), size=10, bold=True) + 1
    y += page.text(MARGIN, y, text_w, doc.bank_details)
    if doc.khqr_payload:
        png = BytesIO()
        segno.make(doc.khqr_payload, error="m").save(png, kind="png", scale=8, border=2)
        page.pdf.image(png, x=PAGE_W - MARGIN - 38, y=top, w=38)
        caption = label(N_("Scan to pay with KHQR"))
        y = max(y, top + 39 + page.text(PAGE_W - 63, top + 39, 48, caption, 7.5, align="C"))
    return y
