"""Writing events and waking the streams that may read them.

`event_record` writes the row in the caller's transaction; after commit `events_publish` gives every committed
pending row its stream id and wakes the streams of its audience through the channel layer (Redis: every web
process). The sequencer holds one transaction-scoped advisory lock while it numbers rows, so the ids it hands out
are committed in order: a stream that has sent id N never later finds a smaller one. A row whose publish was lost
(a crash between the commit and the sequencer) is numbered by the next publish or the periodic sweep.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shared_apps.events import groups
from shared_apps.events.models import Event
from shared_apps.events.types import EVENT_TYPES
from shared_apps.webhooks.services import deliveries_create

logger = logging.getLogger(__name__)

SEQUENCER_LOCK = 0x52484D53_45564E54  # "RHMS" "EVNT": pg_advisory_xact_lock's key for the sequencer
PUBLISH_BATCH = 1000

_NUMBER_PENDING = """
    UPDATE events_event AS e SET stream_id = n.stream_id
    FROM (
        SELECT seq, nextval('events_stream_id_seq') AS stream_id
        FROM (SELECT seq FROM events_event WHERE stream_id IS NULL ORDER BY seq LIMIT %s) AS pending
    ) AS n
    WHERE e.seq = n.seq
    RETURNING e.stream_id, e.hospital_id, e.patient_id, e.doctor_user_id
"""


def event_record(*, type: str, hospital_id: int, data: dict, patient_id=None, doctor_user_id=None) -> Event:
    """Append an event to the log in the caller's transaction; it is published after commit (never if the change
    rolls back). `patient_id` and `doctor_user_id` are user ids: with `hospital_id` they say who may read it.
    The hospital's webhook deliveries of the event are written in the same transaction."""
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}")
    event = Event.objects.create(
        type=type, data=data, hospital_id=hospital_id, patient_id=patient_id, doctor_user_id=doctor_user_id
    )
    deliveries_create(event=event)
    transaction.on_commit(events_publish_quietly)
    return event


def events_publish() -> int:
    """Number every committed pending event (in insertion order) and wake the streams that may read them.
    Returns how many were numbered."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEQUENCER_LOCK])
        cursor.execute(_NUMBER_PENDING, [PUBLISH_BATCH])
        numbered = cursor.fetchall()
    newest: dict[str, int] = {}
    for stream_id, hospital_id, patient_id, doctor_user_id in numbered:
        for group in groups.readers_of(hospital_id=hospital_id, patient_id=patient_id, doctor_user_id=doctor_user_id):
            newest[group] = max(stream_id, newest.get(group, 0))
    _send_all({group: {"type": "events.wake", "stream_id": stream_id} for group, stream_id in newest.items()})
    if len(numbered) == PUBLISH_BATCH:
        return len(numbered) + events_publish()
    return len(numbered)


def events_publish_quietly() -> None:
    """events_publish after a commit: a failure is logged, never raised into the request that committed (the
    periodic sweep numbers what is left; streams read the log, so a lost wake-up is made up by the next one)."""
    try:
        events_publish()
    except Exception:
        logger.exception("Publishing events failed; the periodic sweep retries")


def events_prune() -> int:
    """Delete published events older than EVENTS_RETENTION_HOURS (at least 24). Returns how many."""
    cutoff = timezone.now() - timezone.timedelta(hours=settings.EVENTS_RETENTION_HOURS)
    deleted, _ = Event.objects.filter(created_at__lt=cutoff, stream_id__isnull=False).delete()
    return deleted


def streams_close_after_commit(*group_names: str) -> None:
    """End every open stream in these control groups once the transaction commits (a user deactivated or signed
    out everywhere, a membership suspended, a hospital deactivated): the client must authenticate again."""
    transaction.on_commit(lambda: _send_quietly({name: {"type": "stream.close"} for name in group_names}))


def _send_quietly(messages: dict[str, dict]) -> None:
    try:
        _send_all(messages)
    except Exception:
        logger.exception("Closing streams failed; they end when their token or session expires")


def _send_all(messages: dict[str, dict]) -> None:
    if not messages:
        return
    layer = get_channel_layer()

    async def send():
        for group, message in messages.items():
            await layer.group_send(group, message)

    async_to_sync(send)()
