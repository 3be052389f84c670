"""An SMTP server in a thread of the test process, for tests that send through a real worker.

It records every message it accepted (answered 250 to). With `hang_first=True` its first
session stops answering once a message's content has arrived, before the 250 that would accept
it: a send caught in the middle, where a test can kill the sender. A real server takes on a
message only with that 250, so the hung message counts as never delivered.
"""

from __future__ import annotations

import email
import socketserver
import threading
from email import policy
from typing import BinaryIO


class SmtpSink:
    def __init__(self, *, hang_first: bool = False) -> None:
        self.hang_first = hang_first
        self.accepted: list[bytes] = []
        # Set when a message's content has arrived, whether or not it is then accepted.
        self.send_started = threading.Event()
        self._sessions = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        sink = self

        class Session(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                sink._session(self.rfile, self.wfile)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # a hung session must not hold up stop()
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """For EMAIL_URL."""
        return f"smtp://{self.host}:{self.port}"

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def message_ids(self) -> list[str]:
        """The Message-ID of each accepted message, in the order they arrived."""
        with self._lock:
            raws = list(self.accepted)
        return [email.message_from_bytes(raw, policy=policy.default)["Message-ID"] for raw in raws]

    def _session(self, rfile: BinaryIO, wfile: BinaryIO) -> None:
        with self._lock:
            self._sessions += 1
            hang = self.hang_first and self._sessions == 1

        def reply(*lines: str) -> None:
            wfile.write(b"".join(line.encode() + b"\r\n" for line in lines))
            wfile.flush()

        reply("220 sink.test ESMTP")
        while line := rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                reply("250-sink.test", "250 8BITMIME")
            elif verb in {b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"}:
                reply("250 OK")
            elif verb == b"DATA":
                reply("354 End data with <CR><LF>.<CR><LF>")
                content = self._content(rfile)
                if content is None:
                    return  # the client went away in the middle of the content
                self.send_started.set()
                if hang:
                    self._release.wait()  # never answers; the client waits until killed
                    return
                with self._lock:
                    self.accepted.append(content)
                reply("250 OK queued")
            elif verb == b"QUIT":
                reply("221 Bye")
                return
            else:
                reply("502 Command not implemented")

    @staticmethod
    def _content(rfile: BinaryIO) -> bytes | None:
        lines = []
        while line := rfile.readline():
            if line in {b".\r\n", b".\n"}:
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)  # undo dot-stuffing
        return None
