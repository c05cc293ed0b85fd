from django.db import models
from django.utils import timezone


class AuditLog(models.Model):
    """One row per action. Append-only: database triggers refuse UPDATE, DELETE (migration 0002) and TRUNCATE (0003)."""

    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    hospital = models.ForeignKey(
        "hospitals.Hospital", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64)
    entity = models.CharField(max_length=64)
    entity_id = models.CharField(max_length=64, blank=True)
    timestamp = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["hospital", "-timestamp"], name="audit_hospital_time_idx"),
            models.Index(fields=["action", "-timestamp"], name="audit_action_time_idx"),
            models.Index(fields=["user", "-timestamp"], name="audit_user_time_idx"),
        ]

    def __str__(self):
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.action} {self.entity}:{self.entity_id}"
