from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailer.config import Config
from mailer.daemon import Runtime
from mailer.edges.store import FileStore as Store
from tests import faults
from tests.dnszone import ZoneServer, start_dns
from tests.peers import Dovecot, SmtpPeer, free_port
from tests.pg import PASSWORD as PG_PASSWORD
from tests.pg import Postgres
from tests.pg import remove as pg_remove
from tests.pg import unavailable as pg_unavailable

OpenRuntime = Callable[[Config], Runtime]

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--faults-scale", type=int, default=1, metavar="N",
                     help="run the fault suite (-m faults) N times longer: more kills, "
                          "outages, mail and hostile examples; 3 is the long version")


def pytest_configure(config: pytest.Config) -> None:
    faults.SCALE = max(1, config.getoption("--faults-scale"))  # before test modules import


@pytest.fixture(scope="session", autouse=True)
def dns_zone() -> Iterator[ZoneServer]:
    """Every DNS lookup of the receiver's checks (edges/auth.py) goes to a server on loopback
    holding the test zone (tests/dnszone.py): the suite never asks the internet, and
    example.org's real records never hold a test's mail. Daemons started as processes
    inherit the setting."""
    import os

    from mailer.edges.auth import TEST_DNS

    server = start_dns()
    previous = os.environ.get(TEST_DNS)
    os.environ[TEST_DNS] = server.address
    try:
        yield server
    finally:
        if previous is None:
            os.environ.pop(TEST_DNS, None)
        else:
            os.environ[TEST_DNS] = previous
        server.stop()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    with tempfile.TemporaryDirectory(prefix="cop-dovecot-") as folder:
        server = Dovecot(Path(folder))
        server.setup()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def smtp_peer_session() -> Iterator[SmtpPeer]:
    peer = SmtpPeer()
    peer.start()
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture
def smtp_peer(smtp_peer_session: SmtpPeer) -> SmtpPeer:
    smtp_peer_session.recorder.reset()
    return smtp_peer_session


@pytest.fixture
def open_runtime() -> Iterator[OpenRuntime]:
    """Runtime(config, its store), closed after the test (files, sockets)."""
    opened: list[Runtime] = []

    def open_(config: Config) -> Runtime:
        runtime = Runtime(config, Store(config.service.data_dir))
        opened.append(runtime)
        return runtime

    yield open_
    for runtime in opened:
        runtime.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL cluster (tests/pg.py) for the whole session; skipped, with the
    reason, only where PostgreSQL cannot be had (scripts/test installs it)."""
    import os

    reason = pg_unavailable()
    if reason is not None:
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="cop-pg-"))
    server = Postgres(folder, free_port())
    server.start()
    previous = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = PG_PASSWORD  # cop.toml's URL has none, as in production
    try:
        yield server
    finally:
        if previous is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = previous
        server.stop()
        pg_remove(folder)


@pytest.fixture
def pg_url(postgres: Postgres) -> str:
    """A fresh empty database on the session's cluster: its postgresql:// URL."""
    return postgres.new_database()
