"""Idempotency-Key support: a retried request with the same key and body gets the first response again.

The key row is inserted first, in the same transaction as the work. A concurrent duplicate blocks on the unique
index until the first commits, then replays its answer; if the first fails, its row rolls back with it, and the
retry does the work itself. Only successful answers are kept, for IDEMPOTENCY_KEY_HOURS.
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from shared_apps.accounts.models import IdempotencyKey
from shared_apps.common.errors import ApplicationError

HEADER = "Idempotency-Key"


def _request_hash(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= 100 and key.isprintable() and key.isascii()


def idempotent_response(request, *, scope: str, handler) -> Response:
    """Run `handler()` (which returns a DRF Response) at most once per user, scope and Idempotency-Key."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not _valid_key(key):
        raise ApplicationError(
            "invalid", f"{HEADER} must be 1–100 printable ASCII characters.", fields={HEADER: ["Invalid key."]}
        )
    request_hash = _request_hash(request.data)
    with transaction.atomic():
        cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
        IdempotencyKey.objects.filter(user=request.user, scope=scope, key=key, created_at__lt=cutoff).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request.user, scope=scope, key=key, request_hash=request_hash
                )
        except IntegrityError:
            return _replay(IdempotencyKey.objects.get(user=request.user, scope=scope, key=key), request_hash)
        response = handler()
        record.response_status = response.status_code
        record.response_body = response.data
        record.save(update_fields=["response_status", "response_body"])
        return response


def _replay(record: IdempotencyKey, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        raise ApplicationError(
            "idempotency_mismatch", f"This {HEADER} was used with a different request body.", status=422
        )
    return Response(record.response_body, status=record.response_status, headers={"Idempotent-Replayed": "true"})
