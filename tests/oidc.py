"""A real OpenID provider for tests, and a program that logs in through it like a browser.

The provider is panva's certified ``oidc-provider`` (Node), configured by
``tests/oidc_provider/provider.mjs`` to stand in for Kasai city's My Number card login: its
accounts (``tests/oidc_provider/accounts.json``) carry claims verified under the ``jp_jpki``
trust framework, it requires PKCE, and its login and consent pages are plain forms. Use::

    from tests.oidc import log_in, running_provider

    with running_provider(tmp_path, redirect_uri="http://testserver/auth/callback") as provider:
        client = OidcClient(provider.client_config("tanbo"))
        start = client.begin_login()
        callback = log_in(start.authorization_url, "tanaka")
        identity = client.finish_login(pending=start.pending, callback=callback.params)

The first use runs ``npm ci`` in ``tests/oidc_provider`` if its ``node_modules`` is missing or
was installed from another ``package-lock.json`` (under a file lock, so parallel pytest
processes install once). A missing ``node``/``npm`` fails the test with a message saying so.
"""

import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest
from joserfc.jwk import ECKey, Key, KeySet, RSAKey

from api.identity import OidcConfig

__all__ = [
    "ACCOUNTS",
    "PROVIDER_DIR",
    "REDIRECT_URI",
    "Callback",
    "ClientRegistration",
    "Provider",
    "default_clients",
    "ensure_node_modules",
    "log_in",
    "make_keys",
    "running_provider",
]

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
ACCOUNTS: dict[str, Any] = json.loads((PROVIDER_DIR / "accounts.json").read_text("utf-8"))
"""The provider's accounts by login name: ``pin``, ``claims`` and maybe ``verified_claims``."""

REDIRECT_URI = "http://127.0.0.1:8000/auth/callback"
"""The default redirect URI: nothing needs to listen there, :func:`log_in` stops at it."""

_STARTUP_TIMEOUT_S = 20.0
_INSTALL_TIMEOUT_S = 300.0


@dataclass(frozen=True, kw_only=True)
class ClientRegistration:
    """A client registered at the provider."""

    client_id: str
    client_secret: str | None = None
    redirect_uris: tuple[str, ...]
    id_token_signed_response_alg: str = "RS256"


def default_clients(redirect_uri: str, *, alg: str = "RS256") -> list[ClientRegistration]:
    """Tanbo (confidential and public), another app, and one whose ID tokens use HS256.

    ``alg`` signs the others' ID tokens: ``"ES256"`` when the keys are EC.
    """
    uris = (redirect_uri,)
    secret = "-secret-for-tests-" + "x" * 32
    return [
        ClientRegistration(
            client_id="tanbo",
            client_secret="tanbo" + secret,
            redirect_uris=uris,
            id_token_signed_response_alg=alg,
        ),
        ClientRegistration(
            client_id="tanbo-public", redirect_uris=uris, id_token_signed_response_alg=alg
        ),
        ClientRegistration(
            client_id="other-app",
            client_secret="other" + secret,
            redirect_uris=uris,
            id_token_signed_response_alg=alg,
        ),
        ClientRegistration(
            client_id="hs-app",
            client_secret="hs" + secret,
            redirect_uris=uris,
            id_token_signed_response_alg="HS256",
        ),
    ]


def make_keys(*kids: str, kind: str = "RSA") -> dict[str, Any]:
    """A private JWK set with one signing key per kid (RSA 2048 for RS256, or EC P-256)."""
    keys: list[Key] = [
        RSAKey.generate_key(
            2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True
        )
        if kind == "RSA"
        else ECKey.generate_key(
            "P-256", parameters={"kid": kid, "use": "sig", "alg": "ES256"}, private=True
        )
        for kid in kids
    ]
    return dict(KeySet(keys).as_dict(private=True))


def ensure_node_modules() -> str:
    """Install the provider's npm packages if needed; return the path of ``node``."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            "the OpenID provider for these tests needs Node.js >= 18.12 and npm on PATH "
            "(apt-get install nodejs npm)",
            pytrace=False,
        )
    digest = hashlib.sha256((PROVIDER_DIR / "package-lock.json").read_bytes()).hexdigest()
    stamp = PROVIDER_DIR / "node_modules" / ".tanbo-package-lock.sha256"
    if stamp.exists() and stamp.read_text() == digest:
        return node
    folder_id = hashlib.sha256(str(PROVIDER_DIR.resolve()).encode()).hexdigest()[:12]
    lock_path = Path(tempfile.gettempdir()) / f"tanbo-oidc-provider-npm-{folder_id}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == digest:
            return node
        try:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=PROVIDER_DIR,
                capture_output=True,
                text=True,
                timeout=_INSTALL_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"npm ci in {PROVIDER_DIR} took over {_INSTALL_TIMEOUT_S:.0f} s", pytrace=False
            )
        if done.returncode != 0:
            pytest.fail(
                f"npm ci in {PROVIDER_DIR} failed:\n{done.stdout}\n{done.stderr}", pytrace=False
            )
        stamp.write_text(digest)
    return node


@dataclass(kw_only=True)
class Provider:
    """A running provider on the loopback; :meth:`restart` keeps its port, so its issuer."""

    workdir: Path
    clients: list[ClientRegistration]
    keys: dict[str, Any]
    published_keys: dict[str, Any] | None = None
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def issuer(self) -> str:
        """The issuer identifier, also the base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        """What the provider printed so far."""
        path = self.workdir / "provider.log"
        return path.read_text("utf-8", errors="replace") if path.exists() else ""

    def client_config(self, client_id: str = "tanbo", **overrides: Any) -> OidcConfig:
        """An :class:`OidcConfig` for one of the registered clients."""
        client = next(c for c in self.clients if c.client_id == client_id)
        settings: dict[str, Any] = {
            "issuer": self.issuer,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "redirect_uri": client.redirect_uris[0],
        }
        return OidcConfig(**{**settings, **overrides})

    def start(self) -> None:
        """Start node and wait until discovery answers."""
        node = ensure_node_modules()
        self.workdir.mkdir(parents=True, exist_ok=True)
        ready = self.workdir / "ready.json"
        ready.unlink(missing_ok=True)
        config = {
            "port": self.port,
            "clients": [vars(c) | {"redirect_uris": list(c.redirect_uris)} for c in self.clients],
            "jwks_path": str(self._write("jwks.json", self.keys)),
            "published_jwks_path": (
                str(self._write("published-jwks.json", self.published_keys))
                if self.published_keys is not None
                else None
            ),
            "ready_path": str(ready),
        }
        config_path = self._write("config.json", config)
        with (self.workdir / "provider.log").open("ab") as log:
            self._process = subprocess.Popen(
                [node, str(PROVIDER_DIR / "provider.mjs"), str(config_path)],
                cwd=PROVIDER_DIR,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not ready.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the OpenID provider did not start:\n{self.log}", pytrace=False)
            time.sleep(0.02)
        self.port = int(json.loads(ready.read_text())["port"])
        response = httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=5.0)
        assert response.status_code == 200, self.log

    def stop(self) -> None:
        """Stop node (SIGTERM, then SIGKILL after 5 s)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5.0)

    def restart(
        self, *, keys: dict[str, Any] | None = None, published_keys: dict[str, Any] | None = None
    ) -> None:
        """Stop and start again on the same port, with new signing (or published) keys."""
        self.stop()
        if keys is not None:
            self.keys = keys
        if published_keys is not None:
            self.published_keys = published_keys
        self.start()

    def _write(self, name: str, document: Any) -> Path:
        path = self.workdir / name
        path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
        return path


@contextmanager
def running_provider(
    workdir: Path,
    *,
    redirect_uri: str = REDIRECT_URI,
    clients: Sequence[ClientRegistration] | None = None,
    keys: dict[str, Any] | None = None,
    published_keys: dict[str, Any] | None = None,
) -> Iterator[Provider]:
    """Run the provider for the duration of a ``with`` block.

    Parameters
    ----------
    workdir
        A folder for its configuration, keys and log (a ``tmp_path``).
    redirect_uri
        Registered for every default client (the API's callback route in API tests);
        :func:`log_in` stops when the provider redirects there, so nothing needs to listen.
    clients
        The registrations; :func:`default_clients` by default.
    keys
        The private JWK set it signs with; one new RSA key (kid ``"k1"``) by default.
    published_keys
        If given, the set it publishes at its ``jwks_uri`` instead of its own public keys.
    """
    provider = Provider(
        workdir=workdir,
        clients=list(clients) if clients is not None else default_clients(redirect_uri),
        keys=keys if keys is not None else make_keys("k1"),
        published_keys=published_keys,
    )
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


@dataclass(frozen=True, kw_only=True)
class Callback:
    """Where the provider sent the browser back: the redirect URI with its query."""

    url: str
    params: dict[str, str]

    @property
    def code(self) -> str | None:
        """The authorization code, if the login succeeded."""
        return self.params.get("code")

    @property
    def state(self) -> str | None:
        """The state sent back."""
        return self.params.get("state")

    @property
    def error(self) -> str | None:
        """The OAuth error code, if the login failed (``access_denied`` …)."""
        return self.params.get("error")


_FORM = re.compile(r'<form\s+id="(?P<id>[\w-]+)"\s+method="post"\s+action="(?P<action>[^"]+)"')


def log_in(
    authorization_url: str,
    username: str,
    *,
    pin: str | None = None,
    consent: bool = True,
    withhold: Sequence[str] = (),
) -> Callback:
    """Log in as a browser would: follow redirects, fill in the login form, answer consent.

    Parameters
    ----------
    authorization_url
        ``LoginStart.authorization_url``.
    username
        An account of ``accounts.json`` (``"tanaka"``, ``"suzuki"``, ``"yamada"``).
    pin
        Its PIN; the account's own by default.
    consent
        Grant (``True``) or refuse (``False``) what the client asks for.
    withhold
        Claims the user keeps back while consenting (``"birthdate"`` …).

    Returns
    -------
    Callback
        The redirect to the client's redirect URI (with ``code`` and ``state``, or ``error``).
    """
    target = dict(parse_qsl(urlsplit(authorization_url).query))["redirect_uri"]
    secret = pin if pin is not None else ACCOUNTS[username]["pin"]
    with httpx.Client(follow_redirects=False, timeout=10.0) as browser:
        response = browser.get(authorization_url)
        for _ in range(12):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.split("?")[0] == target:
                    return Callback(url=location, params=dict(parse_qsl(urlsplit(location).query)))
                response = browser.get(location)
                continue
            assert response.status_code == 200, f"{response.status_code}: {response.text[:800]}"
            forms = {
                m["id"]: urljoin(str(response.url), m["action"])
                for m in _FORM.finditer(response.text)
            }
            if "login" in forms:
                response = browser.post(forms["login"], data={"login": username, "pin": secret})
            elif "consent" in forms:
                form = forms["consent"] if consent else forms["deny"]
                response = browser.post(form, data={"withhold": list(withhold)})
            else:
                raise AssertionError(
                    f"no form to fill in at {response.url}:\n{response.text[:800]}"
                )
    raise AssertionError("the login did not come back to the redirect URI within 12 steps")
