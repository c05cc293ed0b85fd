"""One HTTP POST of a delivery, to the addresses that addresses.target_of checked (never a second DNS lookup).

No redirect is followed (a 3xx is a failure). The whole attempt (every connect, the TLS handshake, the request and
the answer) ends after WEBHOOK_TIMEOUT_SECONDS: a watchdog shuts the socket down then, so a receiver that trickles
its answer a byte at a time cannot hold a worker. At most WEBHOOK_MAX_RESPONSE_BYTES of the answer are read.
"""

import contextlib
import socket
import threading
import time
from dataclasses import dataclass

import urllib3
from django.conf import settings

from shared_apps.webhooks.addresses import Target, default_port

USER_AGENT = "RHMS-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int


class DeadlinePassed(urllib3.exceptions.TimeoutError):
    """The attempt as a whole outlasted WEBHOOK_TIMEOUT_SECONDS."""


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to the target's checked addresses in the resolver's order, with the target's host as Host and
    TLS server name; the next address only when no connection to one can be made. Raises urllib3's errors (refused
    connections, TLS failures) or DeadlinePassed."""
    with Deadline(settings.WEBHOOK_TIMEOUT_SECONDS) as deadline:
        for number, address in enumerate(target.addresses):
            connect_within = deadline.left() / (len(target.addresses) - number)  # a share of the time left each
            try:
                return _post_to(address, target, body=body, headers=headers, deadline=deadline, connect=connect_within)
            except urllib3.exceptions.ConnectTimeoutError:  # refused too (NewConnectionError): try the next one
                if deadline.passed or address == target.addresses[-1]:
                    raise
            except Exception as exc:
                if deadline.passed:
                    raise deadline.passed_error() from exc
                raise
    raise AssertionError("target_of gives at least one address")  # pragma: no cover


def _post_to(address: str, target: Target, *, body: bytes, headers: dict[str, str], deadline, connect: float) -> Answer:
    timeout = urllib3.Timeout(connect=connect, read=deadline.left())
    options = {"timeout": timeout, "retries": False, "maxsize": 1, "block": False}
    if target.scheme == "https":
        pool = _HTTPSPool(
            address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            **options,
        )
    else:
        pool = _HTTPPool(address, target.port, **options)
    pool.deadline = deadline
    host = f"[{target.host}]" if ":" in target.host else target.host  # an IPv6 literal in brackets
    host_header = host if target.port == default_port(target.scheme) else f"{host}:{target.port}"
    with pool:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={
                **headers,
                "Host": host_header,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
            redirect=False,
            assert_same_host=False,
            preload_content=False,
            release_conn=False,
        )
        if deadline.passed:  # http.client takes the shut-down socket's end for the end of the headers
            response.close()
            raise deadline.passed_error()
        try:
            _read_capped(response)
        finally:
            response.close()
        return Answer(status=response.status)


def _read_capped(response) -> None:
    """Read and drop the answer, at most WEBHOOK_MAX_RESPONSE_BYTES (the deadline bounds the time). Its status has
    arrived: a failure here changes nothing."""
    left = settings.WEBHOOK_MAX_RESPONSE_BYTES
    try:
        while left > 0:
            chunk = response.read(min(left, 8192))
            if not chunk:
                return
            left -= len(chunk)
    except Exception:  # noqa: BLE001 - the watchdog may cut a TLS read in any state; the status stands
        return


class Deadline:
    """A watchdog for one attempt: when `seconds` have passed it shuts down every socket it watches, which ends any
    blocked connect, handshake or read at once. It keeps a duplicate of each socket's descriptor: shutting one down
    shuts the socket, whichever object holds it by then (the TLS wrapper that replaced the TCP socket object, or the
    response that http.client handed it to after the headers: no length, `Connection: close`)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.passed = False
        self._ends = time.monotonic() + seconds
        self._sockets = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()
        with self._lock:
            for duplicate in self._sockets:
                duplicate.close()
            self._sockets.clear()

    def passed_error(self) -> DeadlinePassed:
        return DeadlinePassed(f"No answer within {self.seconds:g} s.")

    def left(self) -> float:
        return max(0.001, self._ends - time.monotonic())

    def watch(self, sock) -> None:
        with self._lock:
            if self.passed:
                raise self.passed_error()
            self._sockets.append(sock.dup())

    def _expire(self) -> None:
        with self._lock:
            self.passed = True
            sockets = list(self._sockets)
        for duplicate in sockets:
            with contextlib.suppress(OSError):  # the connection is closed already
                duplicate.shutdown(socket.SHUT_RDWR)


class _Watched:
    """A connection whose socket its pool's deadline watches from the moment it is connected (before TLS)."""

    deadline: Deadline

    def _new_conn(self):
        sock = super()._new_conn()
        try:
            self.deadline.watch(sock)
        except DeadlinePassed:
            sock.close()
            raise
        return sock


class _HTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _PoolWithDeadline:
    deadline: Deadline

    def _new_conn(self):
        connection = super()._new_conn()
        connection.deadline = self.deadline
        return connection


class _HTTPPool(_PoolWithDeadline, urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(_PoolWithDeadline, urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection
