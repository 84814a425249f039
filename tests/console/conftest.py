"""The console in a real browser: Debian's Chromium, headless, driven by Playwright, on the
real API over HTTP, logging in through the real OpenID provider of tests/oidc.py.

The console is built first if ``api/web/dist`` is missing or older than its sources
(``npm ci`` then ``npm run build``, under a file lock so parallel workers build once). A
missing Chromium fails the tests with the command that installs it; nothing is skipped.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.deps import Services
from api.identity import OidcClient
from api.serving import serving
from api.web_console import CONSOLE_DIST
from core.clock import SystemClock
from tests.oidc import running_provider

WEB = CONSOLE_DIST.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-quic",
]  # fmt: skip
"""Headless on the CPU (SwiftShader WebGL for the map) and quiet on this closed network."""


def _sources_digest() -> str:
    digest = hashlib.sha256()
    names = ["package-lock.json", "package.json", "index.html", "vite.config.ts", "tsconfig.json"]
    paths = [WEB / n for n in names] + sorted((WEB / "src").rglob("*"))
    for path in paths:
        if path.is_file():
            digest.update(str(path.relative_to(WEB)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _run(command: list[str]) -> None:
    done = subprocess.run(command, cwd=WEB, capture_output=True, text=True, timeout=600,
                          check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} in {WEB} failed:\n{done.stdout}\n{done.stderr}",
                    pytrace=False)  # fmt: skip


@pytest.fixture(scope="session")
def console_built() -> Path:
    """The built console, built now if its sources changed since."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("the console needs Node.js and npm on PATH (apt-get install nodejs npm)",
                    pytrace=False)  # fmt: skip
    digest = _sources_digest()
    stamp = CONSOLE_DIST / ".tanbo-sources.sha256"
    lock_path = Path(tempfile.gettempdir()) / "tanbo-console-build.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (stamp.exists() and stamp.read_text() == digest):
            lock_file = (WEB / "package-lock.json").read_bytes()
            installed = WEB / "node_modules" / ".tanbo-package-lock.sha256"
            wanted = hashlib.sha256(lock_file).hexdigest()
            if not (installed.exists() and installed.read_text() == wanted):
                _run([npm, "ci", "--no-audit", "--no-fund"])
                installed.write_text(wanted)
            _run([npm, "run", "build"])
            stamp.write_text(digest)
    return CONSOLE_DIST


@pytest.fixture
def browser(console_built: Path) -> Iterator[Browser]:
    """Chromium for one test. Not for the session: Playwright's sync API keeps an event loop
    running in the thread while it is open, and the next test's ``asyncio.run`` (the MQTT
    tests, the simulator's) would find it there."""
    if not CHROMIUM.exists():
        pytest.fail(f"no {CHROMIUM}: run scripts/ensure-chromium (Debian's chromium package)",
                    pytrace=False)  # fmt: skip
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Screen:
    """One person's browser tab, with what it said on its console."""

    page: Page
    shots: Path
    said: list[str] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        """A screenshot of the page, kept with the test's files (and in
        ``$TANBO_SCREENSHOTS`` when set: ``make screenshots`` puts them in docs/console)."""
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=path, full_page=False)
        assert path.stat().st_size > 10_000, f"{name}: an empty screenshot"
        keep = os.environ.get("TANBO_SCREENSHOTS")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, Path(keep) / path.name)
        return path


@pytest.fixture
def screen(browser: Browser, tmp_path: Path) -> Iterator[Screen]:
    """A fresh browser context (no cookies, no storage) on a phone-or-desk-sized screen."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP",
                                  timezone_id="Asia/Tokyo")  # fmt: skip
    page = context.new_page()
    made = Screen(page=page, shots=tmp_path / "screenshots")
    made.shots.mkdir()
    page.on("console", lambda message: made.said.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: made.said.append(f"pageerror: {error}"))
    page.on(
        "response",
        lambda r: made.said.append(f"http {r.status}: {r.url}") if r.status >= 400 else None,
    )
    yield made
    context.close()


@pytest.fixture
def another_screen(browser: Browser, screen: Screen) -> Iterator[Callable[[], Screen]]:
    """Makes the windows of other people in the same test (their own contexts: separate
    logins), closed at the end; screenshots go with the first screen's."""
    contexts: list[BrowserContext] = []

    def make() -> Screen:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP",
                                      timezone_id="Asia/Tokyo")  # fmt: skip
        contexts.append(context)
        made = Screen(page=context.new_page(), shots=screen.shots)
        made.page.on("pageerror", lambda error: made.said.append(f"pageerror: {error}"))
        return made

    yield make
    for context in contexts:
        context.close()


@dataclass
class Site:
    """A served API with its console, its login through a real OpenID provider."""

    base: str
    services: Services


@contextmanager
def city_login(base: str, services: Services, folder: Path) -> Iterator[Site]:
    """The served app at ``base`` logging people in through an OpenID provider of its own
    (tests/oidc.py, its files in ``folder``)."""
    callback = f"{base}/auth/callback"
    with running_provider(folder / "oidc", redirect_uri=callback) as provider:
        services.identity = OidcClient(provider.client_config("tanbo", redirect_uri=callback),
                                       clock=SystemClock())  # fmt: skip
        try:
            yield Site(base=base, services=services)
        finally:
            services.identity.close()


@contextmanager
def console_site(folder: Path, **settings: Any) -> Iterator[Site]:
    """The API with its console on a SQLite file in ``folder`` (``settings`` beside the
    data directory and the database), served on loopback, logging in as above."""
    url = f"sqlite:///{folder / 'tanbo.db'}"
    engine = connect(url)
    migrate(engine)
    app = create_app(load_settings(data_dir=folder / "data", database_url=url, **settings),
                     engine=engine, migrate_schema=False)  # fmt: skip
    try:
        with serving(app) as base, city_login(base, app.state.services, folder) as site:
            yield site
    finally:
        engine.dispose()
