import datetime as dt
import math

from django.db.models import Count, QuerySet
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.common.errors import NotFound
from shared_apps.directory.models import WaitlistListing
from shared_apps.hospitals.models import Hospital
from tenant_apps.doctors.models import Doctor
from tenant_apps.waitlist.models import ACTIVE, WaitlistEntry, WaitlistStatus


def waitlist_list_for_patient(*, user: User) -> QuerySet[WaitlistListing]:
    """The patient's waitlist entries in every hospital, newest first, from the directory: one query."""
    return WaitlistListing.objects.filter(patient=user).select_related("hospital").order_by("-created_at", "entry_id")


def waitlist_listing_for(*, user: User, entry_id) -> WaitlistListing:
    """The directory row of one of `user`'s entries (with its hospital); NotFound for a missing one or another
    patient's, alike."""
    listing = WaitlistListing.objects.select_related("hospital").filter(entry_id=entry_id, patient=user).first()
    if listing is None:
        raise NotFound()
    return listing


def waitlist_entry_get_for(*, user: User, entry_id) -> WaitlistEntry:
    """Inside the hospital's schema: one of `user`'s own entries. NotFound otherwise."""
    entry = WaitlistEntry.objects.select_related("doctor", "patient").filter(pk=entry_id, patient=user).first()
    if entry is None:
        raise NotFound()
    return entry


def offer_shape(zone, starts_at: dt.datetime, expires_at: dt.datetime) -> dict:
    """The contract's `offer`: the held slot's local date and time, and its start and expiry with offset."""
    local_start = starts_at.astimezone(zone)
    return {
        "date": local_start.date().isoformat(),
        "time": local_start.strftime("%H:%M"),
        "starts_at": local_start.isoformat(timespec="seconds"),
        "expires_at": expires_at.astimezone(zone).isoformat(timespec="seconds"),
    }


def waitlist_row(listing: WaitlistListing, *, now: dt.datetime | None = None) -> dict:
    """The contract's entry shape. An offer past its expiry reads as gone (the entry waiting again, no offer) even
    before the sweep releases it."""
    zone = listing.hospital.zone
    now = now or timezone.now()
    status, offer = listing.status, None
    if status == WaitlistStatus.OFFERED:
        if listing.offer_expires_at <= now:
            status = WaitlistStatus.WAITING
        else:
            offer = offer_shape(zone, listing.offer_starts_at, listing.offer_expires_at)
    return {
        "id": str(listing.entry_id),
        "doctor_id": str(listing.doctor_id),
        "hospital_id": listing.hospital_id,
        "date_from": listing.date_from.isoformat(),
        "date_to": listing.date_to.isoformat(),
        "time_from": listing.time_from.strftime("%H:%M") if listing.time_from else None,
        "time_to": listing.time_to.strftime("%H:%M") if listing.time_to else None,
        "status": status,
        "offer": offer,
        "created_at": listing.created_at.astimezone(zone).isoformat(timespec="seconds"),
    }


def offers_good_for(page: dict) -> float:
    """Seconds until the first offer on a page of `waitlist_row`s lapses (that entry then reads as waiting again);
    inf without one. Caps how long the page may be served from a cache."""
    expiries = [dt.datetime.fromisoformat(row["offer"]["expires_at"]) for row in page["results"] if row["offer"]]
    return min((expiry - timezone.now()).total_seconds() for expiry in expiries) if expiries else math.inf


def waiting_counts(*, doctors: list[Doctor], dates: list[dt.date]) -> dict[tuple, int]:
    """Inside the hospital's schema: how many active entries (waiting or offered) of each doctor cover each date,
    as {(doctor_id, date): n}."""
    if not dates:
        return {}
    entries = WaitlistEntry.objects.filter(
        doctor__in=doctors, status__in=ACTIVE, date_from__lte=max(dates), date_to__gte=min(dates)
    ).values_list("doctor_id", "date_from", "date_to")
    counts: dict[tuple, int] = {}
    for doctor_id, date_from, date_to in entries:
        for day in dates:
            if date_from <= day <= date_to:
                counts[(doctor_id, day)] = counts.get((doctor_id, day), 0) + 1
    return counts


def waitlist_queue(*, hospital: Hospital, doctor: Doctor | None = None) -> QuerySet[WaitlistEntry]:
    """Inside the hospital's schema: the active entries, in queue order (who is offered the next free slot)."""
    entries = WaitlistEntry.objects.select_related("doctor", "patient", "hold").filter(status__in=ACTIVE)
    if doctor is not None:
        entries = entries.filter(doctor=doctor)
    return entries.order_by("doctor__name", "doctor_id", "created_at", "id")


def waitlist_entry_for_admin(*, entry_id) -> WaitlistEntry | None:
    return WaitlistEntry.objects.select_related("doctor", "patient").filter(pk=entry_id).first()


def waiting_total(*, doctors: list[Doctor]) -> dict:
    """{doctor_id: active entries} inside the hospital's schema."""
    rows = (
        WaitlistEntry.objects.filter(doctor__in=doctors, status__in=ACTIVE).values("doctor_id").annotate(n=Count("id"))
    )
    return {row["doctor_id"]: row["n"] for row in rows}
