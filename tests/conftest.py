from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailer.config import Config
from mailer.daemon import Runtime
from mailer.edges.store import Store
from tests.peers import Dovecot, SmtpPeer

OpenRuntime = Callable[[Config], Runtime]

ROOT = Path(__file__).resolve().parent.parent


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
