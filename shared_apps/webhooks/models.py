"""Hospitals' webhook endpoints, the deliveries of events to them (an outbox) and every attempt at one.

All in the public schema: an event's deliveries are written by `event_record` in the change's transaction, whatever
schema it runs in, and the worker that sends them never needs a hospital's schema.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

URL_MAX_LENGTH = 500


class Endpoint(models.Model):
    """A URL of a hospital's own system that receives the events it subscribed to, signed with `secret`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hospital = models.ForeignKey("hospitals.Hospital", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=URL_MAX_LENGTH)
    events = ArrayField(models.CharField(max_length=40))
    secret = models.CharField(max_length=80)  # shown once, at creation; signs every delivery
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    failing_since = models.DateTimeField(null=True, blank=True)  # the first failed attempt since the last success
    disabled_at = models.DateTimeField(null=True, blank=True)  # set when a day of failures disabled it

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["hospital", "active"], name="webhook_endpoint_hospital_idx")]
        constraints = [models.CheckConstraint(condition=~Q(events=[]), name="webhook_endpoint_has_events")]

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending", "Sending"  # claimed by a worker
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"  # given up: a day of failures, or the endpoint was disabled


class Delivery(models.Model):
    """One event for one endpoint. `body` is the exact JSON sent (and signed) on every attempt."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # X-RHMS-Delivery
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.BigIntegerField()  # the event's id (the body's "id"): the same for every endpoint
    type = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due_idx"),
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="webhook_delivery_claimed_idx"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint_idx"),
            models.Index(  # the hourly prune
                fields=["created_at"],
                condition=Q(status__in=["succeeded", "failed"]),
                name="webhook_delivery_finished_idx",
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once")]

    def __str__(self):
        return f"{self.type} → {self.endpoint_id} ({self.status})"


class Attempt(models.Model):
    """One try at a delivery: when, how it ended, the receiver's HTTP status (none if it never answered)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    succeeded = models.BooleanField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField()

    class Meta:
        ordering = ["-attempted_at", "-id"]
        indexes = [models.Index(fields=["delivery", "-attempted_at"], name="webhook_attempt_delivery_idx")]

    def __str__(self):
        return f"#{self.number} {'ok' if self.succeeded else 'failed'} {self.response_code or ''}"
