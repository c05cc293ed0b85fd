from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """Outbox row, written in the transaction of the change that causes it; a Celery task sends it after commit.

    `context` holds ids only; the message is rendered at send time, so no personal data or token sits in the
    broker or in this table.
    """

    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    template = models.CharField(max_length=64)
    context = models.JSONField(default=dict, blank=True)
    hospital = models.ForeignKey(
        "hospitals.Hospital", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="notif_status_created_idx"),
            models.Index(fields=["hospital", "-created_at"], name="notif_hospital_created_idx"),
        ]

    def __str__(self):
        return f"{self.channel}:{self.template} → {self.recipient} ({self.status})"
