"""A real HTTP receiver on 127.0.0.1 for the delivery tests: it records every request and answers as told."""

import http.server
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # statuses for the next requests; then 200
    redirect_to: str = ""  # with a 3xx answer, its Location
    hold: threading.Event | None = None  # set: answer; unset: keep the request waiting until it is set

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def start_receiver(tls_context=None) -> tuple[Receiver, http.server.ThreadingHTTPServer]:
    """A receiver in a thread; with `tls_context` (an ssl.SSLContext holding its certificate) it speaks https."""
    receiver = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(Received(self.path, dict(self.headers), body))
            if receiver.hold is not None:
                receiver.hold.wait(timeout=10)
            status = receiver.answers.pop(0) if receiver.answers else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", receiver.redirect_to)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


@dataclass
class Trickler:
    port: int
    listener: socket.socket
    done: threading.Event = field(default_factory=threading.Event)
    sent_everything: bool = False


def start_trickler(lines: int, every: float, *, in_body: bool = False) -> Trickler:
    """A receiver that answers one request slowly, one line every `every` seconds (`lines` of them): header lines
    after the status line, or (`in_body`) a complete `200`, `Connection: close` header and then the body. Each read
    gets bytes in time; only a bound on the whole attempt ends it early. Close `.listener` when done."""
    listener = socket.create_server(("127.0.0.1", 0))
    trickler = Trickler(port=listener.getsockname()[1], listener=listener)
    head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" if in_body else b"HTTP/1.1 200 OK\r\n"

    def serve():
        try:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(head)
                for number in range(lines):
                    time.sleep(every)
                    connection.sendall(b"x" if in_body else f"X-Slow-{number}: 1\r\n".encode())
                if not in_body:
                    connection.sendall(b"Content-Length: 0\r\n\r\n")
                trickler.sent_everything = True
        except OSError:
            pass
        finally:
            trickler.done.set()

    threading.Thread(target=serve, daemon=True).start()
    return trickler
