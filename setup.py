"""Packaging for Scrapyd: ``scrapyd-deploy`` builds an egg from this and uploads it.

The egg holds the project's code only; Scrapyd nodes install requirements.txt themselves (an
egg cannot carry compiled dependencies such as lxml or psycopg). The ``scrapy`` entry point names
the settings module a Scrapyd job starts with.

Non-Python files the code reads at run time are packed at the same places relative to the egg
root as in a checkout, because the code finds them relative to its own modules:
``alembic.ini`` and ``migrations/`` (schema migrations applied at the start of every crawl) and
``demo_portal/seed/`` (the demo portal's seed pages).
"""

from __future__ import annotations

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
PACKAGES = ("crawler", "pipelines", "settings", "storage", "demo_portal")


def tree(directory: str) -> list[tuple[str, list[str]]]:
    """``data_files`` entries for every file under ``directory`` (caches left out)."""
    entries: dict[str, list[str]] = {}
    base = ROOT / directory
    if not base.is_dir():
        return []
    for path in sorted(base.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            relative = path.relative_to(ROOT)
            entries.setdefault(str(relative.parent), []).append(str(relative))
    return sorted(entries.items())


setup(
    name="portal-crawler",
    version="0.1.0",
    description="Crawls Chinese news and industry portals into a relational database.",
    python_requires=">=3.11",
    packages=find_packages(include=[f"{name}*" for name in PACKAGES]),
    # every non-Python file inside the packages (seed pages, templates, JSON)
    package_data={name: ["**/*"] for name in PACKAGES},
    exclude_package_data={"": ["*.pyc", "__pycache__/*"]},
    data_files=[
        *tree("migrations"),
        *([("", ["alembic.ini"])] if (ROOT / "alembic.ini").is_file() else []),
    ],
    entry_points={"scrapy": ["settings = settings.base"]},
    zip_safe=False,
)
