"""One HTTP POST of a delivery, to the address that addresses.target_of checked (never a second DNS lookup).

No redirect is followed (a 3xx is a failure), the connect and every read time out after WEBHOOK_TIMEOUT_SECONDS,
and at most WEBHOOK_MAX_RESPONSE_BYTES of the answer are read before the connection is dropped.
"""

import time
from dataclasses import dataclass

import urllib3
from django.conf import settings

from shared_apps.webhooks.addresses import Target, default_port

USER_AGENT = "RHMS-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to the target's first checked address, with the target's host as Host and TLS server name.
    Raises urllib3's errors (timeouts, refused connections, TLS failures)."""
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_TIMEOUT_SECONDS, read=settings.WEBHOOK_TIMEOUT_SECONDS)
    options = {"timeout": timeout, "retries": False, "maxsize": 1, "block": False}
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.addresses[0],
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.addresses[0], target.port, **options)
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
        try:
            _read_capped(response)
        finally:
            response.close()
        return Answer(status=response.status)


def _read_capped(response) -> None:
    """Read and drop the answer, at most WEBHOOK_MAX_RESPONSE_BYTES and for at most twice the timeout in all (a
    receiver that trickles bytes cannot hold the worker). Its status has arrived: a failure here changes nothing."""
    left = settings.WEBHOOK_MAX_RESPONSE_BYTES
    deadline = time.monotonic() + 2 * settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        while left > 0 and time.monotonic() < deadline:
            chunk = response.read(min(left, 8192))
            if not chunk:
                return
            left -= len(chunk)
    except (urllib3.exceptions.HTTPError, OSError):
        return
