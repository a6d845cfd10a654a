from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.peers import Dovecot, SmtpPeer

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
