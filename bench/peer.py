"""An SMTP peer in its own process, as a real server is: `python -m bench.peer PORT`.

In the benchmark's own process the peer would compete with the sender for the GIL, and the
sender's work would show up as server latency. It counts messages and keeps none.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

from tests.peers import SmtpPeer, free_port, wait_for_port


class PeerProcess:
    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-m", "bench.peer", str(self.port)],
                                        stdin=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)


def main() -> None:
    peer = SmtpPeer(port=int(sys.argv[1]))
    peer.recorder.keep = False
    peer.start()
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        time.sleep(0.2)
    peer.stop()


if __name__ == "__main__":
    main()
