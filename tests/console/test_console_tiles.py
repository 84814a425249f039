"""The console's map draws an online basemap only when the server names one
(``map_tiles_url``): here a tile server on loopback, whose requests are counted, and the
attribution its terms ask for shown on the map."""

import math
import struct
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.config import load_settings
from api.errors import ConfigError
from tests.console.conftest import Screen, Site, console_site
from tests.console.test_console import _log_in


def _png(size: int = 256) -> bytes:
    """A plain light-blue PNG tile."""
    row = b"\x00" + bytes((200, 225, 255)) * size
    raw = zlib.compress(row * size)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture
def tile_server() -> Iterator[tuple[str, list[str]]]:
    """An XYZ tile server on loopback; the paths it was asked for."""
    asked: list[str] = []
    tile = _png()

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/xyz/{{z}}/{{x}}/{{y}}.png", asked
    server.shutdown()
    server.server_close()


@pytest.fixture
def tiled_site(
    tmp_path: Path, console_built: Path, tile_server: tuple[str, list[str]]
) -> Iterator[Site]:
    with console_site(tmp_path, map_tiles_url=tile_server[0],
                      map_tiles_attribution="テスト地図タイル") as served:  # fmt: skip
        yield served


def test_the_map_draws_the_configured_basemap_with_its_attribution(
    tiled_site: Site, screen: Screen, tile_server: tuple[str, list[str]]
) -> None:
    _, asked = tile_server
    _log_in(screen, tiled_site, "tanaka")
    page = screen.page
    expect(page.locator(".map-canvas")).to_have_attribute("data-ready", "yes", timeout=20_000)
    expect(page.locator(".maplibregl-ctrl-attrib")).to_contain_text("テスト地図タイル")
    deadline = 50
    while not asked and deadline:
        page.wait_for_timeout(200)
        deadline -= 1
    assert asked, "no tile was asked for"
    # The tiles asked for are around Kasai (134.84 E, 34.93 N) at the zoom drawn.
    tiles = [tuple(int(n) for n in p.removesuffix(".png").split("/")[2:]) for p in asked]
    z, x, y = tiles[0]
    lat = math.radians(34.9283)
    kasai_x = (134.8414 + 180.0) / 360.0 * 2**z
    kasai_y = (1.0 - math.asinh(math.tan(lat)) / math.pi) / 2.0 * 2**z
    assert abs(x - kasai_x) < 3, (tiles, kasai_x)
    assert abs(y - kasai_y) < 3, (tiles, kasai_y)
    assert not [s for s in screen.said if s.startswith(("pageerror", "http "))], screen.said


def test_a_tile_template_without_its_placeholders_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\{z\}, \{x\}, \{y\}"):
        load_settings(data_dir=tmp_path, map_tiles_url="https://tiles.example.jp/tile.png")
    with pytest.raises(ConfigError, match="http"):
        load_settings(data_dir=tmp_path, map_tiles_url="ftp://tiles/{z}/{x}/{y}.png")
