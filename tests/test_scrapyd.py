"""Deployment to Scrapyd: a real Scrapyd on 127.0.0.1 (its own config, eggs, logs and job
database in a temporary directory), the project deployed by ``scrapyd-deploy`` (from a copy of
the project with a target for that Scrapyd) and, separately, by uploading the egg setup.py
builds with addversion.json (what scrapyd-deploy sends), a ``portal`` job scheduled through
schedule.json against the demo portal, and the rows it stored."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

import pytest

from demo_portal.content import Portal, build_portal
from demo_portal.server import start_server, stop_server
from tests.conftest import PROJECT_ROOT, rows, unavailable

PROJECT = "portal_crawler"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(base_url: str, endpoint: str, data: Any = None, timeout: float = 30) -> dict[str, Any]:
    """GET (no data), POST a form (a list of pairs: ``setting`` repeats) or a prepared Request."""
    if isinstance(data, Request):
        request = data
    elif data is None:
        request = Request(f"{base_url}/{endpoint}")
    else:
        request = Request(f"{base_url}/{endpoint}", data=urlencode(data).encode())
    with urlopen(request, timeout=timeout) as response:
        answer: dict[str, Any] = json.loads(response.read())
    assert answer.get("status") == "ok", answer
    return answer


def upload_egg(base_url: str, egg: Path, version: str) -> dict[str, Any]:
    """addversion.json, the request scrapyd-deploy sends (multipart form with the egg)."""
    boundary = uuid.uuid4().hex
    parts = [
        *(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in (("project", PROJECT), ("version", version))
        ),
        f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="{egg.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + egg.read_bytes()
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    request = Request(
        f"{base_url}/addversion.json",
        data=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    return call(base_url, "addversion.json", request)


def build_egg(directory: Path) -> Path:
    """The egg scrapyd-deploy would build, with every build file kept out of the checkout."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "setup.py",
            "-q",
            "egg_info",
            "--egg-base",
            str(directory),
            "build",
            "--build-base",
            str(directory / "build"),
            "bdist_egg",
            "--dist-dir",
            str(directory),
            "--bdist-dir",
            str(directory / "bdist"),
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (egg,) = directory.glob("*.egg")
    return egg


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A Scrapyd on a free 127.0.0.1 port; yields its URL and its output file."""
    try:
        import scrapyd as _  # noqa: F401
    except ImportError:
        unavailable("scrapyd is not installed (requirements-dev.txt)")
    home = tmp_path / "scrapyd"
    for name in ("eggs", "logs", "dbs"):
        (home / name).mkdir(parents=True)
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        "items_dir =\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "poll_interval = 0.5\n"
        "max_proc = 2\n",
        encoding="utf-8",
    )
    output = home / "scrapyd.out"
    # no DATABASE_URL (it would override the job's setting) and no PYTHONPATH (the checkout
    # must not be importable: jobs have to run the deployed egg)
    environment = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "PYTHONPATH")
    }
    with output.open("wb") as sink:
        # scrapyd reads ./scrapyd.conf: run it in its own directory, away from the checkout
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd", "--nodaemon", "--pidfile="],
            cwd=home,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                call(base_url, "daemonstatus.json", timeout=2)
                break
            except OSError:
                assert process.poll() is None, output.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, "Scrapyd did not start in 30 s"
                time.sleep(0.2)
        yield base_url, output
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def portal() -> Iterator[tuple[str, Portal]]:
    demo = build_portal(articles_per_section=6, page_size=4)
    server, base_url = start_server(portal=demo)
    yield base_url, demo
    stop_server(server)


def deploy_with_scrapyd_deploy(scrapyd_url: str, directory: Path, version: str) -> None:
    """``scrapyd-deploy`` itself, from a copy of the project whose scrapy.cfg names this
    Scrapyd as a target (it builds the egg in the project directory: not in the checkout)."""
    project = directory / "project"
    shutil.copytree(
        PROJECT_ROOT,
        project,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "data", "__pycache__", "build", "*.egg-info", ".pytest_cache"
        ),
    )
    config = project / "scrapy.cfg"
    config.write_text(
        config.read_text("utf-8") + f"\n[deploy:test]\nurl = {scrapyd_url}/\nproject = {PROJECT}\n",
        encoding="utf-8",
    )
    command = Path(sys.executable).with_name("scrapyd-deploy")
    deployed = subprocess.run(
        [str(command), "test", "--version", version],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    assert '"status": "ok"' in deployed.stdout + deployed.stderr, deployed.stderr[-3000:]


@pytest.mark.parametrize("deploy", ["addversion.json", "scrapyd-deploy"])
def test_deployed_egg_crawls_through_schedule_json(
    deploy: str, scrapyd: tuple[str, Path], portal: tuple[str, Portal], tmp_path: Path
) -> None:
    scrapyd_url, scrapyd_output = scrapyd
    base_url, demo = portal
    if deploy == "scrapyd-deploy":
        deploy_with_scrapyd_deploy(scrapyd_url, tmp_path / "deploy", version="r1")
    else:
        deployed = upload_egg(scrapyd_url, build_egg(tmp_path / "egg"), version="r1")
        assert deployed["spiders"] == 1
    assert call(scrapyd_url, f"listspiders.json?project={PROJECT}")["spiders"] == ["portal"]

    database = tmp_path / "scrapyd-articles.sqlite3"
    database_url = f"sqlite:///{database}"
    section = demo.section("cloud")
    job = call(
        scrapyd_url,
        "schedule.json",
        [
            ("project", PROJECT),
            ("spider", "portal"),
            ("start_url", f"{base_url}{section.listing_paths[0]}"),
            ("setting", "ALLOW_PRIVATE_NETWORKS=True"),
            ("setting", f"DATABASE_URL={database_url}"),
        ],
    )["jobid"]

    deadline = time.monotonic() + 180
    while True:
        jobs = call(scrapyd_url, f"listjobs.json?project={PROJECT}")
        finished = [entry for entry in jobs["finished"] if entry["id"] == job]
        if finished:
            break
        assert time.monotonic() < deadline, f"job {job} not finished after 180 s: {jobs}"
        time.sleep(0.5)

    log_path = scrapyd_output.parent / "logs" / PROJECT / "portal" / f"{job}.log"
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    assert "Run summary: spider portal, site 127.0.0.1" in log, (
        log[-3000:] or scrapyd_output.read_text(errors="replace")[-3000:]
    )
    assert "result          ok" in log
    stored = {urlsplit(row["url"]).path for row in rows(database_url)}
    expected = {path for page in section.listing_items for path in page}
    assert expected <= stored, f"not stored: {sorted(expected - stored)}"
    # Scrapyd runs jobs in its own directory, where the checkout is not importable: the job
    # could only have used the deployed egg.
    assert call(scrapyd_url, f"listversions.json?project={PROJECT}")["versions"] == ["r1"]
