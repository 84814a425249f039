"""The browser console, served by the API at ``/console/``.

The console (``api/web``: Preact, MapLibre GL, built by Vite) is a set of static files
that talk only to this API, with the signed-in person's token. ``make console`` builds it
into ``api/web/dist`` (``npm ci`` from the committed lock file, then ``vite build``);
``make demo`` and ``make test`` do it too. Until it is built, ``/console/`` answers
(404 problem+json) saying how to build it. ``/`` sends a browser to the console.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.errors import NotConfigured

__all__ = ["CONSOLE_DIST", "mount_console"]

CONSOLE_DIST = Path(__file__).with_name("web") / "dist"
"""Where ``make console`` puts the built console."""


def mount_console(app: FastAPI, dist: Path = CONSOLE_DIST) -> None:
    """Serve the built console at ``/console/`` (and send ``/`` there)."""

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    if (dist / "index.html").is_file():
        app.mount("/console", StaticFiles(directory=dist, html=True), name="console")
        return

    @app.get("/console", include_in_schema=False)
    @app.get("/console/{rest:path}", include_in_schema=False)
    def not_built(rest: str = "") -> None:
        raise NotConfigured(
            f"the console is not built ({dist} has no index.html): run `make console`"
        )
