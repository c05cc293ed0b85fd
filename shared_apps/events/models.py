"""The event log behind the live streams (GET /api/events/, /events/): one row per change a client may want live.

A row is written in the transaction of its change (`seq`, its insertion order) and gets its stream id (`stream_id`,
the SSE `id:`) after commit, from one sequencer at a time (shared_apps.events.services.events_publish): so a
stream id is only ever handed out once every smaller one is committed, and a client that resumes after the last
id it saw misses none and gets none twice. Who may read a row is in its columns (see selectors.Audience).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Event(models.Model):
    seq = models.BigAutoField(primary_key=True)
    stream_id = models.BigIntegerField(null=True, unique=True)
    type = models.CharField(max_length=40)
    data = models.JSONField()
    hospital_id = models.IntegerField()  # its admins see it
    patient_id = models.IntegerField(null=True)  # the patient (a user id) it concerns, if any
    doctor_user_id = models.IntegerField(null=True)  # the doctor's login (a user id), if the doctor has one
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["seq"], condition=Q(stream_id__isnull=True), name="events_pending_idx"),
            models.Index(fields=["patient_id", "stream_id"], name="events_patient_idx"),
            models.Index(fields=["hospital_id", "stream_id"], name="events_hospital_idx"),
            models.Index(fields=["doctor_user_id", "stream_id"], name="events_doctor_idx"),
            models.Index(fields=["created_at"], name="events_created_idx"),
        ]

    def __str__(self):
        return f"{self.stream_id or 'pending'} {self.type}"
