"""Invoice PDFs: one page with its fonts embedded, Khmer shaped by HarfBuzz and wrapped between
words, never inside a cluster, and page 1 as in the golden image.

The poppler tools (pdftoppm, pdffonts, pdfinfo, pdftotext) come from `make fonts`, which
`make test` runs; a test fails, not skips, without them. After a deliberate layout change,
rewrite the golden image with UPDATE_GOLDEN=1 and look at it before committing it.
"""

import os
import re
import shutil
import subprocess
import unicodedata
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
import uharfbuzz as hb
from fontTools.ttLib import TTFont
from fpdf import FPDF
from PIL import Image, ImageChops

from marketplace.invoices import pdf as invoice_pdf
from marketplace.invoices.pdf import (
    COLUMNS,
    KHMER_FONTS,
    KHMER_RUN,
    InvoiceDocument,
    InvoiceLine,
    Page,
    find_font,
    render,
    usd,
)

GOLDEN = Path(__file__).parent / "golden" / "invoice_page1.png"
DPI = 60
ZWSP, COENG = "\u200b", "\u17d2"


def km(*words: str) -> str:
    """Khmer words joined as Khmer typists join them: with zero-width spaces."""
    return ZWSP.join(words)


LONG_KM = km(
    "កន្ត្រក", "ឫស្សី", "ត្បាញ", "ដោយ", "ដៃ", "ដោយ", "ស្ត្រីតម្បាញ", "ក្នុង", "សហគមន៍",
    "ជនជាតិដើមភាគតិច", "នៅ", "ខេត្ត", "រតនគិរី", "ប្រើប្រាស់", "វត្ថុធាតុដើម", "ធម្មជាតិ",
    "និង", "ពណ៌", "ធម្មជាតិ", "ពី", "រុក្ខជាតិ", "ក្នុង", "តំបន់", "សម្រាប់", "ទុក", "ដាក់",
    "សម្លៀកបំពាក់", "និង", "របស់របរ", "ប្រើប្រាស់", "ប្រចាំថ្ងៃ", "ក្នុង", "ផ្ទះ",
)
LINES = (
    InvoiceLine("Royal pattern silk scarf", km("ក្រមា", "សូត្រ", "លំនាំ", "ក្សត្រ"),
                40, 1250, 50000),
    InvoiceLine("Cushion cover, ង្ខ្យ test pattern", km("ស្រោម", "ខ្នើយ", "លំនាំ", "អង្ខ្យ"),
                25, 980, 24500),
    InvoiceLine("Bamboo basket woven by women weavers, large, natural dyes", LONG_KM,
                120, 1575, 189000),
)


def invoice(**changes) -> InvoiceDocument:
    fields = {
        "number": "INV-2026-000042",
        "kind": "invoice",
        "issued_on": date(2026, 3, 14),
        "due_on": date(2026, 4, 13),
        "seller_name": "Ratanakiri Weavers Cooperative",
        "seller_name_km": km("សហករណ៍", "ស្ត្រីតម្បាញ", "រតនគិរី"),
        "seller_tax_id": "K001-901234567",
        "seller_address": "Village 3, Labansiek, Banlung\nRatanakiri Province, Cambodia",
        "buyer_name": "Angkor Craft House Co., Ltd.",
        "buyer_name_km": km("ក្រុមហ៊ុន", "អង្គរ", "ក្រាហ្វ", "ហោស៍", "ឯ.ក"),
        "buyer_tax_id": "L001-100200300",
        "buyer_address": "No. 12, Street 178, Phsar Thmei 3, Daun Penh\nPhnom Penh, Cambodia",
        "buyer_reference": "PO-7781",
        "lines": LINES,
        "subtotal_cents": 263500,
        "total_cents": 263500,
        "khr_per_usd": 4100,
        "total_khr": 10803500,
        "bank_details": "ABA Bank\nAccount name: RATANAKIRI WEAVERS COOP\nAccount no.: 000 123 456",
        "khqr_payload": "00020101021229180014ratanakiri@aba52045999530384054062635.00"
                        "5802KH5914RATANAKIRI COOP6010Phnom Penh6304ABCD",
        "notes": "Thank you. " + km("សូម", "អរគុណ"),
    }
    fields.update(changes)
    return InvoiceDocument(**fields)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (Debian poppler-utils) is missing: run `make test`, which installs it")
    return path


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("invoice") / "invoice.pdf"
    path.write_bytes(render(invoice()))
    return path


def starts_inside_cluster(text: str) -> bool:
    return unicodedata.category(text[0]) in ("Mn", "Mc") or "\u17b6" <= text[0] <= "\u17d3"


def test_usd_from_integer_cents():
    assert [usd(c) for c in (123450, 5, 100, 0, -2550)] == [
        "$1,234.50", "$0.05", "$1.00", "$0.00", "-$25.50"]


def test_a_missing_font_names_the_make_target(monkeypatch):
    monkeypatch.setattr(invoice_pdf, "KHMER_FONTS", (("/nonexistent/Khmer.ttf", ""),))
    with pytest.raises(RuntimeError, match="make fonts"):
        render(invoice())


def test_one_page_with_the_fonts_embedded(pdf_file):
    assert pdf_file.read_bytes().startswith(b"%PDF-")
    assert re.search(r"^Pages:\s+1$", run(tool("pdfinfo"), str(pdf_file)), re.M)
    rows = run(tool("pdffonts"), str(pdf_file)).splitlines()[2:]
    names = {row.split()[0].split("+")[-1] for row in rows}
    assert {"NotoSansKhmer", "NotoSansKhmerBold", "DejaVuSansBook", "DejaVuSansBold"} <= names
    assert all(row.split()[-5] == "yes" for row in rows), rows  # the emb column


def test_khmer_shapes_without_dotted_circles_or_missing_glyphs():
    """HarfBuzz, with the font render() uses, puts a dotted circle where a cluster is broken
    and glyph 0 (a box) where the font lacks a letter; coeng ro goes before its consonant."""
    regular, _bold = find_font(KHMER_FONTS, "Khmer")
    font, names = hb.Font(hb.Face(hb.Blob.from_file_path(regular))), TTFont(regular)
    dotted = names.getBestCmap()[0x25CC]

    def glyphs(text: str) -> list[str]:
        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        hb.shape(font, buf)
        return [names.getGlyphName(info.codepoint) for info in buf.glyph_infos]

    doc = invoice()
    texts = [doc.seller_name_km, doc.buyer_name_km, doc.notes]
    texts += [t for line in doc.lines for t in (line.description, line.description_km)]
    for run_text in (r for t in texts for r in KHMER_RUN.findall(t.replace(ZWSP, " "))):
        shaped = glyphs(run_text)
        assert ".notdef" not in shaped and dotted not in shaped, (run_text, shaped)
    assert glyphs("ស្ត្រី")[0] == "uni17D2179A"  # coeng ro, drawn left of ស
    assert len(glyphs("ក្ស")) == 2 and len(glyphs("ង្ខ្យ")) == 3  # subscripts are one glyph


def test_long_khmer_wraps_at_word_boundaries():
    page, width = Page(), COLUMNS[0][1] - 3
    lines = page.lines(LONG_KM, width, 9.0)
    assert len(lines) >= 3
    assert "".join(lines) == LONG_KM.replace(ZWSP, "")
    word_ends, end = set(), 0
    for word in LONG_KM.split(ZWSP):
        end += len(word)
        word_ends.add(end)
    end = 0
    for line in lines:
        end += len(line)
        assert end in word_ends, f"line cut inside a word: {line!r}"
        assert page.width(line, 9.0) <= width
        assert not starts_inside_cluster(line), line


def test_a_word_longer_than_the_line_is_cut_between_clusters():
    text = "ស្ត្រីតម្បាញក្សត្រអង្គការ" * 4  # no zero-width spaces at all
    page = Page()
    lines = page.lines(text, 30.0, 9.0)
    assert len(lines) > 2 and "".join(lines) == text
    for before, line in zip(lines, lines[1:], strict=False):
        assert not starts_inside_cluster(line) and not before.endswith(COENG), (before, line)


def test_no_drawn_line_starts_inside_a_cluster(monkeypatch):
    """pdftotext puts some marks on lines of their own even mid-line (សហករណ / ៍), so the
    lines are read from what render() gives fpdf2 to draw."""
    drawn: list[tuple[float, float, float, str]] = []
    real_cell = FPDF.cell

    def cell(self, w=None, h=None, text="", *args, **kwargs):
        drawn.append((self.y, self.x, w, text))
        return real_cell(self, w, h, text, *args, **kwargs)

    monkeypatch.setattr(FPDF, "cell", cell)
    render(invoice())
    lines: list[list[tuple[float, float, float, str]]] = []
    for run_ in sorted(drawn, key=lambda r: r[1]):  # left to right
        y, x = run_[:2]
        # a run continues a line if it starts where the line's last run ends, near its height
        # (Khmer runs are lifted a little to share the baseline of a bigger font size)
        line = next((line for line in lines if abs(line[-1][0] - y) < 1
                     and abs(line[-1][1] + line[-1][2] - x) < 0.01), None)
        if line is None:
            lines.append([run_])
        else:
            line.append(run_)
    texts = ["".join(r[3] for r in line) for line in lines]
    assert all(not starts_inside_cluster(text) for text in texts if text), texts
    long_lines = [t for t in texts if t and t in LONG_KM.replace(ZWSP, "")]
    assert len(long_lines) >= 3, texts


def test_khmer_text_is_extractable_in_order(pdf_file):
    text = re.sub(r"\s+", "", run(tool("pdftotext"), "-raw", str(pdf_file), "-"))
    assert LONG_KM.replace(ZWSP, "") in text
    assert "វិក្កយបត្រ" in text and "លេខអត្តសញ្ញាណកម្មសារពើពន្ធ" in text
    assert "$2,635.00" in text and "≈10,803,500៛at4,100៛/US$" in text


def test_credit_note_title(tmp_path):
    path = tmp_path / "credit.pdf"
    path.write_bytes(render(invoice(kind="credit_note", due_on=None, khqr_payload=None)))
    text = run(tool("pdftotext"), "-raw", str(path), "-")
    assert "CREDIT NOTE" in text and "Due date" not in text


def test_page_matches_the_golden_image(pdf_file):
    png = subprocess.run([tool("pdftoppm"), "-r", str(DPI), "-png", "-singlefile", "-f", "1",
                          str(pdf_file)], check=True, capture_output=True).stdout
    image = Image.open(BytesIO(png)).convert("L")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        image.save(GOLDEN, optimize=True)
    assert GOLDEN.exists(), f"no {GOLDEN}: run with UPDATE_GOLDEN=1 and look at the image"
    golden = Image.open(GOLDEN).convert("L")
    assert image.size == golden.size
    diff = ImageChops.difference(image, golden).point(lambda v: 255 if v > 64 else 0)
    changed = diff.histogram()[255]
    assert changed < 0.005 * image.width * image.height, f"{changed} pixels differ by > 64"
