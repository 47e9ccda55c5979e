"""The demo portal's fintech section as its own site."""

import os

from crawler.sites import Site

BASE_URL = os.environ.get("DEMO_PORTAL_URL", "http://127.0.0.1:8765").rstrip("/")

SITE = Site(name="demo-fintech", start_urls=(f"{BASE_URL}/fintech/index.html",))
