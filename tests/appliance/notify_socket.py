"""systemd's end of the notification protocol, for tests: a datagram socket that a thread
reads, each message queued with the time it arrived."""

from __future__ import annotations

import queue
import socket
import threading
import time


class Listener:
    """systemd's end: a datagram socket whose messages a thread puts on a queue, with the time
    each arrived."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.messages: queue.Queue[tuple[float, str]] = queue.Queue()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            self.messages.put((time.monotonic(), data.decode()))

    def next(self, timeout: float = 10) -> tuple[float, str]:
        return self.messages.get(timeout=timeout)

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
