"""One OpenID provider for the whole session; tests that restart or stop one start their own."""

from collections.abc import Iterator

import pytest

from tests.oidc import Provider, running_provider


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """The provider, with the default clients (tanbo, tanbo-public, other-app, hs-app)."""
    with running_provider(tmp_path_factory.mktemp("oidc")) as running:
        yield running
