"""The bundled demo portal (``python -m demo_portal``), two sections in two listing styles.

No selectors: the demo exercises the generic link, pagination and article extraction.
"""

import os

from crawler.sites import Site

BASE_URL = os.environ.get("DEMO_PORTAL_URL", "http://127.0.0.1:8765").rstrip("/")

SITE = Site(
    name="demo",
    start_urls=(f"{BASE_URL}/fintech/index.html", f"{BASE_URL}/cloud/index.shtml"),
)
