"""GET /api/events/ in the OpenAPI schema, and its answer where no ASGI server runs.

The ASGI application (config/asgi.py) routes /api/events/ to the live stream (streams.ApiEventStream) before
Django sees it. A WSGI server would reach this view instead: it answers the events missed since `Last-Event-ID`
and ends, so an EventSource client still gets every event, a reconnect (`retry:`) later.
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from shared_apps.common.schema import error_responses
from shared_apps.events.access import StreamRefused
from shared_apps.events.selectors import audience_for, events_after, events_may_be_gone, latest_event_id
from shared_apps.events.streams import frames, last_event_id, opening, resume_marker
from shared_apps.events.types import EVENT_TYPES

STREAM_DESCRIPTION = """
Server-Sent Events (`text/event-stream`) for the signed-in user: a patient gets the events about them, a hospital
admin all of their hospital's, a doctor those of their own appointments and slots. Superadmins have no stream
(403).

Each event has an increasing `id:`, an `event:` name and a JSON `data:` line:

- `appointment.booked`, `appointment.cancelled`, `appointment.rescheduled`, `appointment.completed`,
  `appointment.no_show`: `{id, hospital_id, doctor_id, status, starts_at}` (the appointment; `starts_at` with the
  hospital's UTC offset).
- `waitlist.offered`: `{id, offer: {date, time, starts_at, expires_at}}` (the waitlist entry, the slot held).
- `waitlist.expired`: `{id, offer}`: the offer lapsed (`offer`: the slot that was held) or the entry ended unserved
  (`offer` null).
- `slots.changed`: `{doctor_id, dates}`: the doctor's free slots changed on these local dates (null: on any date);
  to the hospital's admins and the doctor.

The stream's own notices have no `id:`: `stream.reset` `{reason: "events_expired"}` when `Last-Event-ID` is older
than the events kept (at least 24 hours): resynchronise with `GET /api/appointments/user/?updated_since=`;
`stream.end` `{reason}` right before the server closes the stream — `credentials_expired` (the access token
expired: reconnect with a fresh one) or `access_ended` (the user was deactivated or signed out everywhere).
Comments (`: keep-alive`) arrive every 20 seconds.

**Reconnecting**: send the last `id:` you received as the `Last-Event-ID` header; you get every event you missed,
in order, none twice. Events are published only after their change commits.
"""


STREAM_NOTICES = ("stream.reset", "stream.end")


class StreamEvent(serializers.Serializer):
    """One event of the stream, as an SSE client parses it (`data` is a JSON document; see the description)."""

    id = serializers.CharField(required=False, help_text="Increasing; absent on the stream's own notices.")
    event = serializers.ChoiceField(choices=sorted(EVENT_TYPES) + list(STREAM_NOTICES))
    data = serializers.CharField(help_text="JSON: the event's payload.")
    retry = serializers.IntegerField(required=False, help_text="Reconnect delay in milliseconds.")


class EventStreamRenderer(BaseRenderer):
    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class EventStreamApi(APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        operation_id="events_stream",
        summary="Live event stream (Server-Sent Events)",
        description=STREAM_DESCRIPTION,
        parameters=[
            OpenApiParameter("format", exclude=True),  # DRF's renderer override: not part of the contract
            OpenApiParameter(
                "Last-Event-ID",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                description="The last event id received: the stream starts with every event after it.",
            ),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(StreamEvent, description="The event stream: its events."),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request):
        audience = audience_for(request.user)
        if audience is None:
            raise PermissionDenied("Only patients and hospital staff have an event stream.")
        try:
            after = last_event_id(request.headers.get("Last-Event-ID", "").encode())
        except StreamRefused as refusal:
            return HttpResponse(refusal.json, status=refusal.status, content_type="application/json")
        if after is None:  # a new client: nothing missed yet; the next request resumes from here
            body = opening(reset=False) + resume_marker(latest_event_id())
        else:
            body = opening(reset=events_may_be_gone(after)) + frames(events_after(audience, after))
        return HttpResponse(
            body, content_type="text/event-stream; charset=utf-8", headers={"Cache-Control": "no-store"}
        )
