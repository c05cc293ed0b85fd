"""A small Server-Sent Events client for the tests: opens a stream on the served project and reads its events."""

import http.client
import json
import time
from dataclasses import dataclass


@dataclass
class Event:
    id: int | None
    type: str
    data: dict


class Stream:
    def __init__(self, port: int, path: str = "/api/events/", *, host: str = "localhost", headers=None, timeout=10):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.connection.request("GET", path, headers={"Host": host, "Accept": "text/event-stream", **(headers or {})})
        self.socket = self.connection.sock  # the response keeps reading it; the connection lets go of it
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.ended = False

    def json(self) -> dict:
        return json.loads(self.response.read())

    def next(self) -> Event | None:
        """The next event (comments and `retry:` skipped), or None once the server has closed the stream."""
        fields: dict[str, str] = {}
        while True:
            line = self.response.readline()
            if not line:
                self.ended = True
                return None
            line = line.decode().rstrip("\n")
            if line == "":
                if "event" in fields:
                    raw_id = fields.get("id")
                    return Event(int(raw_id) if raw_id else None, fields["event"], json.loads(fields["data"]))
                fields = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value

    def take(self, count: int, deadline: float = 10) -> list[Event]:
        """The next `count` events; fails the test if they do not come within `deadline` seconds."""
        until = time.monotonic() + deadline
        events = []
        while len(events) < count:
            assert time.monotonic() < until, f"got only {events}"
            event = self.next()
            assert event is not None, f"the stream ended after {events}"
            events.append(event)
        return events

    def assert_quiet(self, seconds: float = 1) -> None:
        """No event arrives within `seconds`."""
        self.socket.settimeout(seconds)
        try:
            event = self.next()
        except TimeoutError:
            return
        finally:
            self.socket.settimeout(10)
        raise AssertionError(f"unexpected {event}")

    def close(self) -> None:
        self.response.close()
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
