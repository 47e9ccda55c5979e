"""Two test-only sites, one per section of the demo portal (``SITES_MODULE=tests.crawlall_sites``).

They exist so ``scrapy crawlall`` can be tested over more than one site without touching the
real site registry; the base URL comes from DEMO_PORTAL_URL like the ``demo`` site's.
"""
