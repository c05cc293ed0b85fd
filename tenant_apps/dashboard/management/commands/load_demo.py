"""Demo data for scripts/run: a hospital that is already running, another approved one, a pending application.

Demo General Hospital has a logo, three doctors with weekly hours (one with a dated evening clinic, one on leave
soon), four patients, three weeks of history (completed, cancelled by the patient and by the hospital, no-shows)
and upcoming bookings made through the booking service.

Idempotent: running it again changes nothing. Each part is written only when it is missing (weekly hours when a
doctor has none, leave when no current or upcoming leave, history when the demo patients have no past visits,
bookings when they have no upcoming ones), so a later run tops up what time has used up and never undoes what
someone changed by hand. Passwords are for local development only and printed here.
"""

import datetime as dt
import io
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from shared_apps.accounts.models import Role, User
from shared_apps.accounts.services import patient_register
from shared_apps.common.errors import Conflict
from shared_apps.common.links import platform_url, subdomain_url
from shared_apps.directory.models import BookingEntry
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.services import hospital_approve, hospital_register, hospital_update_profile
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.demo_history import demo_past_appointment_record, demo_past_slots
from tenant_apps.appointments.models import AppointmentStatus
from tenant_apps.appointments.services import appointment_book
from tenant_apps.doctors.models import Doctor, DoctorAvailability, TimeOff, WeeklyHours
from tenant_apps.doctors.selectors import doctor_free_slots
from tenant_apps.doctors.services import availability_set, doctor_create, schedule_set, time_off_add

DEMO_PASSWORD = "demo-insecure-Passw0rd"  # noqa: S105 - local demo data only, printed to the developer
ADMIN_EMAIL = "admin@demo-hospital.example.com"
BRAND_COLOR = "#0f766e"

MON, TUE, WED, THU, FRI, SAT = range(6)
MORNING, AFTERNOON = ("09:00", "12:30"), ("13:30", "17:00")
# name, specialization, fee, weekly hours {weekday: [(start, end), ...]}
DEMO_DOCTORS = [
    ("Dr Ada Lovelace", "Cardiology", "120.00", {day: [MORNING, AFTERNOON] for day in (MON, TUE, WED, THU, FRI)}),
    ("Dr Alan Turing", "Neurology", "150.00", {day: [("10:00", "13:00"), ("14:00", "18:00")] for day in range(4)}),
    (
        "Dr Grace Hopper",
        "Pediatrics",
        "90.00",
        {MON: [MORNING], WED: [MORNING, AFTERNOON], FRI: [MORNING]} | {SAT: [("09:00", "12:00")]},
    ),
]
ON_LEAVE = "Dr Alan Turing"  # three days at a conference, from the Tuesday after next
EVENING_CLINIC = "Dr Ada Lovelace"  # next week's Wednesday replaced by 14:00–20:00 (a dated override)
HISTORY_DAYS = 21

# email, name, phone (E.164 or "")
DEMO_PATIENTS = [
    ("patient@example.com", "Pat Demo", ""),
    ("sam.patel@example.com", "Sam Patel", "+14155550123"),
    ("maria.garcia@example.com", "Maria Garcia", "+14155550124"),
    ("kenji.sato@example.com", "Kenji Sato", ""),
]
COMPLETED, CANCELLED, NO_SHOW = AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW
# patient, doctor (indexes), days ago, earliest time, outcome, who cancelled ("patient" | "hospital" | None)
HISTORY = [
    (0, 0, 20, "09:00", COMPLETED, None),
    (1, 1, 19, "10:00", COMPLETED, None),
    (2, 2, 18, "09:30", COMPLETED, None),
    (3, 0, 17, "14:00", CANCELLED, "patient"),
    (0, 2, 15, "10:00", COMPLETED, None),
    (1, 0, 14, "11:00", NO_SHOW, None),
    (2, 1, 13, "15:00", COMPLETED, None),
    (3, 1, 12, "10:30", COMPLETED, None),
    (0, 1, 11, "14:30", CANCELLED, "hospital"),
    (1, 2, 10, "09:00", COMPLETED, None),
    (2, 0, 8, "09:30", CANCELLED, "patient"),
    (3, 2, 7, "13:30", NO_SHOW, None),
    (0, 0, 6, "15:00", COMPLETED, None),
    (1, 1, 5, "11:00", CANCELLED, "hospital"),
    (2, 2, 4, "09:00", COMPLETED, None),
    (3, 0, 3, "10:00", COMPLETED, None),
]
# patient, doctor (indexes), days ahead (the first day from then with a free slot), earliest time, reason
UPCOMING = [
    (0, 0, 1, "10:00", "Follow-up on blood pressure"),
    (1, 2, 2, "09:30", ""),
    (2, 1, 3, "11:00", "Recurring headaches"),
    (3, 0, 5, "14:00", ""),
    (0, 2, 8, "10:30", "Vaccination"),
    (1, 1, 10, "15:00", ""),
    (2, 0, 13, "09:00", "Annual check-up"),
    (3, 2, 17, "11:00", ""),
]


def _times(pair: tuple[str, str]) -> tuple[dt.time, dt.time]:
    return dt.time.fromisoformat(pair[0]), dt.time.fromisoformat(pair[1])


def demo_logo_png() -> bytes:
    """A small original logo, drawn here: a white cross on the brand colour."""
    size, arm = 128, 28
    image = Image.new("RGB", (size, size), BRAND_COLOR)
    draw = ImageDraw.Draw(image)
    middle = size // 2
    draw.rectangle([middle - arm // 2, 20, middle + arm // 2, size - 20], fill="white")
    draw.rectangle([20, middle - arm // 2, size - 20, middle + arm // 2], fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class Command(BaseCommand):
    help = "Load demo data (idempotent: writes only what is missing). Refuses to run with debug off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Demo data is for development only (DJANGO_DEBUG is off).")
        with transaction.atomic():
            demo = self._hospital("Demo General Hospital", "demo", "DEMO-001", ADMIN_EMAIL)
            self._hospital("Lakeside Clinic", "lakeside", "DEMO-002", "admin@lakeside.example.com")
            self._pending()
            admin = User.objects.get(email=ADMIN_EMAIL)
            self._logo(demo, admin)
            patients = self._patients()
            with hospital_context(demo):
                doctors = self._doctors(demo, admin)
                self._leave(demo, admin, doctors)
                self._evening_clinic(demo, admin, doctors)
                self._history(demo, admin, doctors, patients)
                self._upcoming(demo, doctors, patients)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with password " + DEMO_PASSWORD + " as:"))
        self.stdout.write(f"  hospital admin  {ADMIN_EMAIL:<32} {subdomain_url(demo.slug, '/')}")
        for email, _, _ in DEMO_PATIENTS:
            self.stdout.write(f"  patient (API)   {email:<32} {platform_url('/api/docs/')}")

    def _hospital(self, name, slug, registration_number, email) -> Hospital:
        hospital = Hospital.objects.filter(slug=slug).first()
        if hospital is None:
            hospital = hospital_register(
                actor=None,
                name=name,
                registration_number=registration_number,
                email=email,
                address="1 Demo Avenue",
                phone_number="+14155550100",
                city="Springfield",
                timezone="Europe/London",
                subdomain=slug,
            )
        if hospital.status == "pending":
            actor = User.objects.filter(role=Role.SUPERADMIN).first()
            hospital = hospital_approve(actor=actor, hospital=hospital)
        admin = User.objects.get(email=email)
        if not admin.has_usable_password():
            admin.set_password(DEMO_PASSWORD)
            admin.save(update_fields=["password"])
        return hospital

    def _logo(self, hospital: Hospital, admin: User) -> None:
        """Through the profile service, so the logo is validated and re-encoded like an upload; again only when the
        hospital has none or its file is gone (a wiped media folder).
        """
        if hospital.logo and hospital.logo.storage.exists(hospital.logo.name):
            return
        changes = {"logo": ContentFile(demo_logo_png(), name="demo-logo.png")}
        if not hospital.brand_color:
            changes["brand_color"] = BRAND_COLOR
        hospital_update_profile(actor=admin, hospital=hospital, **changes)

    def _patients(self) -> list[User]:
        for email, name, phone in DEMO_PATIENTS:
            if not User.objects.filter(email=email).exists():
                patient_register(email=email, password=DEMO_PASSWORD, name=name, phone_number=phone)
        by_email = {u.email: u for u in User.objects.filter(email__in=[p[0] for p in DEMO_PATIENTS])}
        return [by_email[email] for email, _, _ in DEMO_PATIENTS]

    def _doctors(self, hospital: Hospital, admin: User) -> list[Doctor]:
        """The demo doctors, each given weekly hours (valid from the start of the history) unless they have some."""
        start = self._today(hospital) - dt.timedelta(days=HISTORY_DAYS)
        doctors = []
        for name, specialization, fee, week in DEMO_DOCTORS:
            doctor = Doctor.objects.filter(name=name).first() or doctor_create(
                actor=admin,
                hospital=hospital,
                name=name,
                specialization=specialization,
                fee=Decimal(fee),
                email=name.lower().replace("dr ", "").replace(" ", ".") + "@demo-hospital.example.com",
            )
            if not WeeklyHours.objects.filter(doctor=doctor).exists():
                rows = [
                    {"weekday": day, "start_time": s, "end_time": e, "valid_from": start}
                    for day, pairs in week.items()
                    for s, e in map(_times, pairs)
                ]
                schedule_set(actor=admin, hospital=hospital, doctor=doctor, weekly_hours=rows)
            doctors.append(doctor)
        return doctors

    def _leave(self, hospital: Hospital, admin: User, doctors: list[Doctor]) -> None:
        doctor = next(d for d in doctors if d.name == ON_LEAVE)
        today = self._today(hospital)
        if TimeOff.objects.filter(doctor=doctor, end_date__gte=today).exists():
            return
        start = today + dt.timedelta(days=(TUE - today.weekday()) % 7 + 7)  # the Tuesday after next (or next)
        # Any demo patient booked there meanwhile is cancelled by the hospital and told, as in a real hospital.
        time_off_add(
            actor=admin,
            hospital=hospital,
            doctor=doctor,
            start_date=start,
            end_date=start + dt.timedelta(days=2),
            reason="Neurology conference",
            cancel_appointments=True,
        )

    def _evening_clinic(self, hospital: Hospital, admin: User, doctors: list[Doctor]) -> None:
        """One dated override: next week's Wednesday 14:00–20:00 replaces that day's weekly hours."""
        doctor = next(d for d in doctors if d.name == EVENING_CLINIC)
        today = self._today(hospital)
        if DoctorAvailability.objects.filter(doctor=doctor, date__gt=today).exists():
            return
        day = today + dt.timedelta(days=(WED - today.weekday()) % 7 + 7)
        window = {"date": day, "start_time": dt.time(14), "end_time": dt.time(20), "is_available": True}
        availability_set(actor=admin, hospital=hospital, doctor=doctor, windows=[window])

    def _history(self, hospital: Hospital, admin: User, doctors: list[Doctor], patients: list[User]) -> None:
        """Three weeks of past visits, when the demo patients have none at this hospital."""
        now = timezone.now()
        demo_bookings = BookingEntry.objects.filter(hospital=hospital, patient__in=patients)
        if demo_bookings.filter(starts_at__lt=now).exists():
            return
        today = self._today(hospital)
        for patient_n, doctor_n, days_ago, earliest, status, cancelled_by in HISTORY:
            doctor, patient = doctors[doctor_n], patients[patient_n]
            # That day, or the next one the doctor worked (their hours or someone's hand may leave a day empty).
            for day in (today - dt.timedelta(days=n) for n in range(days_ago, 0, -1)):
                slot = self._first_slot(demo_past_slots(hospital=hospital, doctor=doctor, date=day), earliest)
                if slot is None:
                    continue
                try:
                    demo_past_appointment_record(
                        hospital=hospital,
                        doctor=doctor,
                        patient=patient,
                        date=slot.date,
                        time=slot.time,
                        status=status,
                        cancelled_by={"patient": patient, "hospital": admin}.get(cancelled_by),
                        cancellation_reason="The doctor had to reschedule." if cancelled_by == "hospital" else "",
                    )
                except ValueError:  # the patient was seen elsewhere then: try the next day
                    continue
                break

    def _upcoming(self, hospital: Hospital, doctors: list[Doctor], patients: list[User]) -> None:
        """Upcoming bookings through the booking service (every rule holds), when the demo patients have none."""
        demo_bookings = BookingEntry.objects.filter(hospital=hospital, patient__in=patients)
        if demo_bookings.filter(status=AppointmentStatus.BOOKED, starts_at__gt=timezone.now()).exists():
            return
        today = self._today(hospital)
        for patient_n, doctor_n, days_ahead, earliest, reason in UPCOMING:
            doctor, patient = doctors[doctor_n], patients[patient_n]
            first = today + dt.timedelta(days=days_ahead)
            free = doctor_free_slots(
                hospital=hospital, doctor=doctor, date_from=first, date_to=first + dt.timedelta(days=6)
            )
            for day in sorted({s.date for s in free}):
                slot = self._first_slot([s for s in free if s.date == day], earliest)
                if slot is None:
                    continue
                try:
                    appointment_book(
                        actor=patient, hospital=hospital, doctor=doctor, date=slot.date, time=slot.time, reason=reason
                    )
                except Conflict:  # e.g. the patient is busy then: try the next day
                    continue
                break

    @staticmethod
    def _first_slot(slots, earliest: str):
        """The first slot at or after `earliest`, else the day's last one (None on a day without slots)."""
        after = [s for s in slots if s.time >= dt.time.fromisoformat(earliest)]
        return (after or slots[-1:] or [None])[0]

    @staticmethod
    def _today(hospital: Hospital) -> dt.date:
        return timezone.now().astimezone(hospital.zone).date()

    def _pending(self) -> None:
        if not Hospital.objects.filter(slug="northside").exists():
            hospital_register(
                actor=None,
                name="Northside Medical Centre",
                registration_number="DEMO-003",
                email="admin@northside.example.com",
                address="9 North Road",
                phone_number="+14155550101",
                city="Shelbyville",
                subdomain="northside",
            )
