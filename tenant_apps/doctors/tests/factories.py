import datetime as dt
import itertools
from decimal import Decimal

from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.doctors.services import availability_set, doctor_create

_n = itertools.count(1)


def admin_of(hospital):
    return hospital.memberships.select_related("user").get(role="hospital_admin").user


def make_doctor(hospital, **fields):
    """A doctor created through the service (so the directory row exists), inside the hospital's schema."""
    n = next(_n)
    values = {
        "name": f"Dr Test {n}",
        "email": f"doctor{n}@example.com",
        "specialization": "Cardiology",
        "fee": Decimal("100.00"),
        "slot_minutes": 30,
    }
    values.update(fields)
    with hospital_context(hospital):
        return doctor_create(actor=admin_of(hospital), hospital=hospital, **values)


def open_day(hospital, doctor, day: dt.date, start="09:00", end="12:00", blocked=()):
    """Give `doctor` an available window on `day`, with optional blocked (start, end) pairs."""
    windows = [
        {
            "date": day,
            "start_time": dt.time.fromisoformat(start),
            "end_time": dt.time.fromisoformat(end),
            "is_available": True,
        }
    ]
    windows += [
        {
            "date": day,
            "start_time": dt.time.fromisoformat(b_start),
            "end_time": dt.time.fromisoformat(b_end),
            "is_available": False,
        }
        for b_start, b_end in blocked
    ]
    with hospital_context(hospital):
        return availability_set(actor=admin_of(hospital), hospital=hospital, doctor=doctor, windows=windows)
