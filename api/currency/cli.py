"""``tanbo currency-sandbox``: run the sandbox currency platform (:mod:`api.currency.sandbox`).

It prints one line once it answers — ``currency sandbox: http://HOST:PORT (api key …,
data in DIR)`` — and serves until Ctrl-C or SIGTERM (exit 0). ``--port 0`` takes a free
port (the line names it). Bad flags: exit code 2 and one line naming the flag.

    tanbo currency-sandbox --port 8765 --api-key sk_demo \\
        --webhook-url http://127.0.0.1:8000/currency/webhooks --webhook-secret whsec_demo

Also runnable as ``python -m api.currency.cli``.
"""

import asyncio
import errno
import math
import secrets
import signal
import socket
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.markup import escape

from api.console import State, err, out

__all__ = ["DEFAULT_PORT", "currency_sandbox"]

DEFAULT_PORT = 8765


def _fail(message: str) -> NoReturn:
    err.print(f"tanbo: {escape(message)}")
    raise typer.Exit(2)


def _data_dir(ctx: typer.Context, data_dir: Path | None) -> Path:
    if data_dir is not None:
        return data_dir
    state = ctx.find_root().obj
    if isinstance(state, State):
        return state.settings.data_dir / "currency-sandbox"
    _fail("--data-dir: required (where the sandbox keeps its wallets and transactions)")


def _listen(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        _fail(f"--host: cannot resolve {host!r} ({exc.strerror})")
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        hint = " (in use: another sandbox? pick --port)" if exc.errno == errno.EADDRINUSE else ""
        _fail(f"--port: cannot listen on {host}:{port}: {exc.strerror}{hint}")
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def currency_sandbox(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port; 0 takes a free one.")] = DEFAULT_PORT,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Where its SQLite file lives (default: DATA_DIR/currency-sandbox).",
            show_default=False,
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            help="The key clients send as a Bearer token (default: a new random one).",
            show_default=False,
        ),
    ] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(metavar="URL", help="POST signed events there.", show_default=False),
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(help="The HMAC secret webhooks are signed with.", show_default=False),
    ] = None,
    answer_delay: Annotated[
        float,
        typer.Option(metavar="SECONDS", help="Hold each write's answer so long after applying it."),
    ] = 0.0,
    webhook_attempts: Annotated[
        int, typer.Option(help="Deliveries of one event before giving up.")
    ] = 8,
) -> None:
    """Run the sandbox currency platform (ねっぴ〜Pay's API, locally) until Ctrl-C."""
    import uvicorn

    from api.currency.sandbox import SandboxConfig, create_app

    if not 0 <= port <= 65535:
        _fail(f"--port: {port} is outside 0..65535")
    if not (math.isfinite(answer_delay) and 0.0 <= answer_delay <= 600.0):
        _fail(f"--answer-delay: {answer_delay:g} is outside 0..600 seconds")
    if webhook_attempts < 1:
        _fail(f"--webhook-attempts: {webhook_attempts} is below 1")
    if (webhook_url is None) != (webhook_secret is None):
        given, missing = ("--webhook-url", "--webhook-secret")[
            :: 1 if webhook_secret is None else -1
        ]
        _fail(f"{missing}: required with {given}")
    if api_key is not None and not api_key.strip():
        _fail("--api-key: empty")
    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        _fail(f"--webhook-url: {webhook_url!r} is not an http(s) URL")
    key = api_key or f"sk_sandbox_{secrets.token_urlsafe(18)}"
    folder = _data_dir(ctx, data_dir)
    try:
        config = SandboxConfig(
            data_dir=folder,
            api_key=key,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            answer_delay_s=answer_delay,
            webhook_attempts=webhook_attempts,
        )
        app = create_app(config)
    except ValueError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"--data-dir: cannot use {folder}: {exc.strerror or exc}")
    sock = _listen(host, port)
    bound = sock.getsockname()
    shown_key = key if api_key is None else f"{key[:4]}…"
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=3)
    )

    async def serve() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.02)
        if server.started:
            out.print(
                f"currency sandbox: http://{escape(host)}:{bound[1]} "
                f"(api key {escape(shown_key)}, data in {escape(str(folder))})"
            )
        await task

    def on_sigterm(_signum: int, _frame: object) -> None:
        # uvicorn handles SIGTERM while it serves, then raises it again once stopped (for an
        # outer loop): here that is the end, and a clean one
        if not server.started:
            raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()


def main() -> None:
    """``python -m api.currency.cli``."""
    typer.run(currency_sandbox)


if __name__ == "__main__":
    main()
