"""The event types of the live streams and the webhooks (one list: a client reads the same names on both)."""

APPOINTMENT_EVENTS = tuple(
    f"appointment.{name}" for name in ("booked", "cancelled", "rescheduled", "completed", "no_show")
)
EVENT_TYPES = frozenset([*APPOINTMENT_EVENTS, "waitlist.offered", "waitlist.expired", "slots.changed"])
