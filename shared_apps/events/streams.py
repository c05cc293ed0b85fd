"""The live streams: Server-Sent Events over Django Channels' AsyncHttpConsumer (ASGI; config/asgi.py routes them).

A stream authenticates once (in a worker thread), joins its audience's channel-layer groups and then waits: it holds
no database connection and no thread while idle. A wake-up from the publisher (services.events_publish) makes it
read the log after the last id it sent, in batches, and write them in order — the log, not the wake-up, is what it
sends, so a lost or reordered wake-up loses nothing. On connect it first replays what the client missed
(`Last-Event-ID`). It ends when its token or session expires, when a control message says its user or hospital
lost access, or when a write stays blocked longer than EVENTS_WRITE_TIMEOUT_SECONDS (a client that reads nothing:
its backlog stays in the log, not in this process).
"""

import asyncio
import contextlib
import json
import logging

from asgiref.sync import sync_to_async
from channels.db import aclose_old_connections
from channels.exceptions import ChannelFull, StopConsumer
from channels.generic.http import AsyncHttpConsumer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections

from shared_apps.common import outage
from shared_apps.common.outage import is_database_outage
from shared_apps.events.access import Grant, StreamRefused, bearer_grant, seconds_left, session_grant
from shared_apps.events.selectors import READ_BATCH, events_after, events_may_be_gone, latest_event_id

logger = logging.getLogger(__name__)

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),  # proxies must not buffer the stream
    (b"connection", b"close"),  # one stream per connection: ending it closes the socket
]
RETRY_MILLISECONDS = 3000
open_streams = 0  # streams this process holds open (a gauge for the benchmark and the tests)


def _in_thread(function):
    """Run a database-reading function in a worker thread, closing stale connections around it as Django does around
    a request. Not Channels' database_sync_to_async: that one runs every call of the process in one thread."""

    def call(*args, **kwargs):
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(call, thread_sensitive=False)


def frame(stream_id: int | None, type: str, data) -> bytes:
    """One SSE event. Without an id (the stream's own notices), the client keeps the last id it had."""
    body = json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"))
    head = "" if stream_id is None else f"id: {stream_id}\n"
    return f"{head}event: {type}\ndata: {body}\n\n".encode()


def frames(events) -> bytes:
    return b"".join(frame(e.stream_id, e.type, e.data) for e in events)


def opening(*, reset: bool) -> bytes:
    """What a stream starts with: the reconnect delay, and `stream.reset` when events it missed may be gone."""
    head = f"retry: {RETRY_MILLISECONDS}\n\n".encode()
    return head + frame(None, "stream.reset", {"reason": "events_expired"}) if reset else head


def resume_marker(stream_id: int) -> bytes:
    """An id with no event: the client's Last-Event-ID becomes `stream_id` (the SSE spec sets it before it
    discards an event without data), so a client that has seen no event yet still resumes from here."""
    return f"id: {stream_id}\n\n".encode()


def last_event_id(raw: bytes) -> int | None:
    """The Last-Event-ID header's value (None when absent); StreamRefused (400) unless it is an id."""
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise StreamRefused(400, "invalid", "Last-Event-ID must be an event id this stream sent.")
    return int(raw)


def _comment(text: str) -> bytes:
    return f": {text}\n\n".encode()


class EventStream(AsyncHttpConsumer):
    """GET only; `grant` (a sync function of the request headers) says who is reading and until when."""

    grant = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.audience = None
        self.last_id = 0
        self.ended = False  # nothing more is written
        self.left = False  # out of its groups
        self.abandoned = False  # stop at the next message
        self.write_lock = asyncio.Lock()
        self.ticker = None

    async def http_request(self, message):
        if message.get("more_body"):
            return
        try:
            await self.open()
        except StreamRefused as refusal:
            await self.refuse(refusal)
            raise StopConsumer from None

    async def open(self) -> None:
        global open_streams
        if self.scope["method"] != "GET":
            raise StreamRefused(405, "method_not_allowed", f'Method "{self.scope["method"]}" not allowed.')
        headers = dict(self.scope["headers"])
        resume_after = last_event_id(headers.get(b"last-event-id", b""))
        try:
            grant: Grant = await _in_thread(type(self).grant)(headers)
        except Exception as exc:
            if is_database_outage(exc):
                retry = {"Retry-After": str(outage.RETRY_AFTER_SECONDS)}
                raise StreamRefused(503, outage.CODE, outage.MESSAGE, retry) from exc
            raise
        self.audience = grant.audience
        open_streams += 1
        for group in [*self.audience.wake_groups, *self.audience.control_groups]:
            await self.channel_layer.group_add(group, self.channel_name)
        if resume_after is None:  # a new client: what happens from now on (and its resume point, should it drop)
            self.last_id = await _in_thread(latest_event_id)()  # before the headers: nothing it causes is skipped
            await self.send_headers(headers=SSE_HEADERS)
            await self.write(opening(reset=False) + resume_marker(self.last_id))
        else:
            self.last_id = resume_after
            await self.send_headers(headers=SSE_HEADERS)
            await self.write(opening(reset=await _in_thread(events_may_be_gone)(resume_after)))
        self.ticker = asyncio.create_task(self.tick(seconds_left(grant)))
        await self.send_missed()

    async def refuse(self, refusal: StreamRefused) -> None:
        headers = [(b"content-type", b"application/json")]
        headers += [(name.lower().encode(), value.encode()) for name, value in refusal.headers.items()]
        await self.send_response(refusal.status, refusal.json, headers=headers)

    async def events_wake(self, message) -> None:
        if message["stream_id"] > self.last_id:
            await self.send_missed()

    async def stream_close(self, message) -> None:
        await self.end("access_ended")

    async def send_missed(self) -> None:
        while not self.ended:
            events = await _in_thread(events_after)(self.audience, self.last_id)
            if not events:
                return
            await self.write(frames(events))
            self.last_id = events[-1].stream_id
            if len(events) < READ_BATCH:
                return

    async def tick(self, lifetime: float) -> None:
        """Heartbeats (comments) every EVENTS_HEARTBEAT_SECONDS, and the end when the credential expires."""
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + lifetime
        while not self.ended:
            left = ends_at - loop.time()
            if left <= 0:
                await self.end("credentials_expired")
                return
            await asyncio.sleep(min(settings.EVENTS_HEARTBEAT_SECONDS, left))
            if not self.ended and ends_at > loop.time():
                await self.write(_comment("keep-alive"))

    async def write(self, body: bytes, *, more_body: bool = True) -> None:
        async with self.write_lock:
            if self.ended:
                return
            try:
                await asyncio.wait_for(
                    self.send_body(body, more_body=more_body), timeout=settings.EVENTS_WRITE_TIMEOUT_SECONDS
                )
                self.ended = not more_body
            except TimeoutError:
                logger.info("Ending an event stream whose client reads nothing")
                await self.abandon()

    async def end(self, reason: str) -> None:
        """Say why and complete the response; the server then closes the connection (SSE_HEADERS: connection
        close), and the consumer stops on the disconnect that follows."""
        await self.write(frame(None, "stream.end", {"reason": reason}), more_body=False)
        await self.leave()

    async def abandon(self) -> None:
        """Stop without completing the response (its socket is stuck): once the consumer returns, the server drops
        the connection. Through the consumer's own channel, so it also works from the ticker's task."""
        self.ended = self.abandoned = True
        await self.leave()
        with contextlib.suppress(ChannelFull):  # if full, messages are queued for it already: the next one stops it
            await self.channel_layer.send(self.channel_name, {"type": "stream.abandon"})

    async def dispatch(self, message):
        if self.abandoned and message["type"] != "http.disconnect":
            raise StopConsumer
        await super().dispatch(message)

    async def leave(self) -> None:
        global open_streams
        if self.left:
            return
        self.left = True
        if self.audience is not None:
            open_streams -= 1
            for group in [*self.audience.wake_groups, *self.audience.control_groups]:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def disconnect(self) -> None:
        if self.ticker is not None and self.ticker is not asyncio.current_task():
            self.ticker.cancel()
        await self.leave()
        await aclose_old_connections()


class ApiEventStream(EventStream):
    """GET /api/events/ on the platform host, with Authorization: Bearer <access token>."""

    grant = staticmethod(bearer_grant)


class DashboardEventStream(EventStream):
    """GET /events/ on a hospital's subdomain, with the dashboard's session cookie."""

    grant = staticmethod(session_grant)
