"""Photos cost little whatever they are: too many pixels is a 422 read from the header, a
large JPEG is decoded at a reduced scale, and processing stays under about 100 MB."""

import io
import json
import struct
import subprocess
import sys
import time
import zlib

import pytest
from PIL import Image
from sqlmodel import func, select

from marketplace.config import BASE_DIR
from marketplace.errors import ValidationFailed
from marketplace.media import images
from marketplace.models import ProductImage
from tests.factories import add_member, create_group, create_product
from tests.helpers.api import token_for

MB = 1024 * 1024


def header_only_png(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims ``width`` x ``height``."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def _jpeg(width: int, height: int, *, orientation: int = 1, progressive=False) -> bytes:
    small = Image.effect_noise((max(1, width // 16), max(1, height // 16)), 60).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    small.resize((width, height)).save(buf, "JPEG", quality=85, exif=exif,
                                       progressive=progressive)
    return buf.getvalue()


@pytest.fixture
def member(session):
    group = create_group(session)
    return group, add_member(session, group)


@pytest.mark.parametrize(("width", "height", "words"), [
    (20000, 20000, "more than 40 megapixels"),  # what Pillow itself calls a bomb
    (8000, 6000, "more than 40 megapixels"),  # 48 MP: ours
    (5000, 4000, "save it as a standard JPEG or make it smaller"),  # 20 MP: 80 MB decoded
])
def test_png_claiming_huge_dimensions_is_422_fast_without_decoding(client, session, member,
                                                                    width, height, words):
    group, user = member
    product = create_product(session, group=group)
    data = header_only_png(width, height)
    assert len(data) < 200
    started = time.monotonic()
    response = client.post(
        f"/api/v1/products/{product.id}/images",
        headers={"Authorization": f"Bearer {token_for(client, user.email)}"},
        files={"file": ("huge.png", data, "image/png")}, data={"alt_text": "x"})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "file" and words in error["message"]
    assert time.monotonic() - started < 1  # decoding even 20 MP would take longer
    session.rollback()
    assert session.exec(select(func.count()).select_from(ProductImage)).one() == 0


def test_pixel_limit_and_decode_budget_are_settings(storage):
    photo = io.BytesIO()
    Image.new("RGB", (1200, 1000), (10, 20, 30)).save(photo, "PNG")
    with pytest.raises(ValidationFailed) as info:
        images.process(photo.getvalue(), storage, limits=images.ImageLimits(max_pixels=1_000_000))
    assert "more than 1 megapixels" in info.value.errors["photo"]
    with pytest.raises(ValidationFailed) as info:
        images.process(photo.getvalue(), storage,
                       limits=images.ImageLimits(decode_budget_bytes=4 * MB))
    assert "standard JPEG" in info.value.errors["photo"]
    assert images.process(photo.getvalue(), storage).width == 1200


def test_a_jpeg_is_decoded_at_reduced_scale_within_a_small_budget(storage):
    """4000 x 3000 needs 48 MB decoded in full; at 1/2 scale (2000 x 1500) 12 MB."""
    data = _jpeg(4000, 3000, orientation=6)
    processed = images.process(data, storage,
                               limits=images.ImageLimits(decode_budget_bytes=16 * MB))
    assert (processed.width, processed.height) == (3000, 4000)  # upright
    largest = Image.open(storage.path(images.rendition_key(processed.content_hash, 1280)))
    assert largest.size == (1280, 1707)
    fallback = Image.open(storage.path(images.rendition_key(processed.content_hash, 1280,
                                                            "jpg")))
    assert fallback.size == (1280, 1707) and not fallback.getexif()
    # A progressive JPEG keeps all its coefficients while decoding: it needs more.
    with pytest.raises(ValidationFailed):
        images.process(_jpeg(4000, 3000, progressive=True), storage,
                       limits=images.ImageLimits(decode_budget_bytes=16 * MB))


def test_transparent_png_is_flattened_on_white(storage):
    photo = Image.new("RGBA", (3000, 600), (0, 0, 0, 0))
    photo.paste((200, 0, 0, 255), (0, 0, 1500, 600))
    buf = io.BytesIO()
    photo.save(buf, "PNG")
    processed = images.process(buf.getvalue(), storage)
    rendition = Image.open(storage.path(images.rendition_key(processed.content_hash, 1280,
                                                             "jpg"))).convert("RGB")
    assert rendition.size == (1280, 256)
    red, white = rendition.getpixel((100, 100)), rendition.getpixel((1200, 100))
    assert red[0] > 180 and red[1] < 40 and min(white) > 240


MEASURE = """
import io, json, pathlib, sys, tempfile
from PIL import Image
from marketplace.media import images
from marketplace.media.storage import LocalStorage

def peak_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024

storage = LocalStorage(pathlib.Path(tempfile.mkdtemp()))
for fmt in ("JPEG", "PNG", "WEBP"):  # load the codecs first: they are not the photo's cost
    buf = io.BytesIO()
    Image.new("RGB", (64, 48)).save(buf, fmt)
    images.process(buf.getvalue(), storage)
data = pathlib.Path(sys.argv[1]).read_bytes()
before = peak_mb()
processed = images.process(data, storage)
print(json.dumps({"extra_mb": peak_mb() - before, "size": [processed.width, processed.height]}))
"""

MAKE = """
import sys
from PIL import Image
small = Image.effect_noise((480, 325), 60).convert("RGB")
exif = Image.Exif()
exif[0x0112] = 6
small.resize((7680, 5200)).save(sys.argv[1], "JPEG", quality=85, exif=exif)
"""


def test_a_40_megapixel_jpeg_is_processed_in_under_100_mb(tmp_path):
    """Measured in a fresh process: peak resident memory (VmHWM) before and after."""
    photo = tmp_path / "big.jpg"
    subprocess.run([sys.executable, "-c", MAKE, str(photo)], check=True, timeout=120)
    assert photo.stat().st_size < 15 * MB
    result = subprocess.run([sys.executable, "-c", MEASURE, str(photo)], cwd=BASE_DIR,
                            check=True, timeout=120, capture_output=True, text=True)
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["size"] == [5200, 7680]  # 39.9 MP, turned upright
    assert measured["extra_mb"] < 100, measured  # the whole photo decoded: 160 MB per copy
