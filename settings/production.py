"""Scheduled crawls of real portals: polite by default."""

from settings.base import *  # noqa: F403

AUTOTHROTTLE_ENABLED = True
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
LOG_LEVEL = "INFO"
