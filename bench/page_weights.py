"""How heavy each page is on the wire, before images: the HTML as sent (gzipped when the
browser accepts it) and raw, plus the CSS and JS it loads.

    .venv/bin/python bench/page_weights.py

Builds a throw-away SQLite database with the demo data, then asks the app in-process for
the pages a tourist, a shop, a producer and staff open, signed in where needed, and prints
one line per page. Issue 14's target is under 60 KB per page before images.
"""

import gzip
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"')
PRODUCT = re.compile(r'href="(/products/[^"#?]+)"')
PAGES = {
    None: ["/", "/catalog", "/catalog?q=baskets", "/catalog?q=zzzz", "{product}",
           "/makers", "/about", "/seal", "/seal/about", "/help/shipping-returns", "/cart"],
    "buyer@crafts.example": ["{product}", "/cart", "/checkout", "/account/orders"],
    "shop@crafts.example": ["/wholesale", "/business", "/business/invoices",
                            "/business/statement", "/business/purchase-orders"],
    "producer@crafts.example": ["/dashboard", "/dashboard/orders",
                                "/dashboard/purchase-orders"],
    "officer@crafts.example": ["/officer/queue"],
    "admin@crafts.example": ["/admin/payouts", "/admin/invoices", "/admin/orders",
                             "/admin/users"],
}


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="weights-"))
    env = {**os.environ, "MARKETPLACE_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite'}",
           "MARKETPLACE_VAR_DIR": str(tmp / "var"), "MARKETPLACE_ENVIRONMENT": "test",
           "MARKETPLACE_LOG_LEVEL": "WARNING",
           "MARKETPLACE_SECRET_KEY": "page-weights-secret-key-long-enough-0123456789"}
    cli = str(ROOT / ".venv" / "bin" / "marketplace")
    print("Migrating and loading demo data ...", flush=True)
    for args in (["migrate"], ["demo-data"]):
        subprocess.run([cli, *args], env=env, check=True, capture_output=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from fastapi.testclient import TestClient

    from marketplace.app import create_app
    from marketplace.demo import DEMO_PASSWORD

    app = create_app()
    product = PRODUCT.search(TestClient(app).get("/catalog").text).group(1)
    print(f"{'page':<44} {'who':<24} {'sent KB':>8} {'raw KB':>8} {'css+js KB':>10}")
    worst = 0.0
    for who, paths in PAGES.items():
        client = TestClient(app, base_url="http://testserver")
        if who:
            form = client.get("/auth/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
            client.post("/auth/login", data={"csrf_token": token, "email": who,
                                             "password": DEMO_PASSWORD})
        if who == "buyer@crafts.example":  # a piece in the cart, for the cart and checkout
            product_page = client.get(product)
            token = re.search(r'name="csrf_token" value="([^"]+)"', product_page.text)
            pid = re.search(r'name="product_id" value="(\d+)"', product_page.text)
            if token and pid:
                client.post("/cart/add", data={"csrf_token": token.group(1),
                                               "product_id": pid.group(1), "quantity": "1"},
                            headers={"Sec-Fetch-Site": "same-origin"})
        for path in paths:
            path = path.format(product=product)
            page = client.get(path, headers={"Accept-Encoding": "gzip"})
            raw = len(page.content)
            sent = int(page.headers.get("content-length", raw))
            assets = sum(len(gzip.compress(client.get(a).content))
                         for a in set(ASSET.findall(page.text)))
            worst = max(worst, (sent + assets) / 1024)
            print(f"{path:<44} {who or 'anonymous':<24} {sent / 1024:>8.1f} {raw / 1024:>8.1f} "
                  f"{assets / 1024:>10.1f}" + ("" if page.status_code == 200
                                               else f"  (HTTP {page.status_code})"))
    print(f"\nheaviest page with its CSS and JS, as sent: {worst:.1f} KB (target < 60 KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
