"""Fixtures for the dashboard's view tests (Django's test client on alpha.localhost) and browser tests.

Browser tests drive Debian's Chromium through pytest-playwright against the root conftest's `project_server`
(a server thread, not pytest-django's `live_server`: see there why). The browser tests' data is committed by a
module fixture, in hospitals of their own that are deactivated afterwards (so they appear in no list). The tests
themselves are plain `django_db` tests: the test thread's own transaction is rolled back, so anything the server
thread must see is written by the fixture or through HTTP.
"""

import datetime as dt
import os
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.services import appointment_book
from tenant_apps.doctors.services import doctor_invite, schedule_set
from tenant_apps.doctors.tests.factories import admin_of, make_doctor

ALPHA_HOST = "alpha.localhost"
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"


# View tests ------------------------------------------------------------------------------------------------------


def client_for(user=None, host: str = ALPHA_HOST, **kwargs) -> Client:
    """A test client on `host`, signed in as `user` (anonymous when None)."""
    client = Client(HTTP_HOST=host, **kwargs)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def admin_client(alpha_admin):
    return client_for(alpha_admin)


@pytest.fixture
def doctor_with_login(alpha):
    """A doctor of alpha who was invited (has a login): (doctor, user)."""
    doctor = make_doctor(alpha, name="Dr Own Schedule")
    with hospital_context(alpha):
        doctor = doctor_invite(actor=admin_of(alpha), hospital=alpha, doctor=doctor)
    return doctor, doctor.user


def book_slot(hospital, doctor, day: dt.date, time: str = "09:00", patient=None, reason: str = ""):
    """Book through the booking service, as a patient (a new one unless given)."""
    patient = patient or PatientFactory().user
    with hospital_context(hospital):
        return appointment_book(
            actor=patient, hospital=hospital, doctor=doctor, date=day, time=dt.time.fromisoformat(time), reason=reason
        )


# Browser tests ---------------------------------------------------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    """Run browser tests last: once Playwright has started, Django's async-safety check is off for the rest of the
    session (see `_django_beside_playwright`), and no other test should run without it.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def _django_beside_playwright():
    """Playwright's sync API keeps an asyncio loop running in the main thread from its start to the session's end,
    and Django refuses database calls from a thread with a running loop unless told it is safe (it is here: every
    call stays synchronous). Set before Playwright starts, restored after it stops.
    """
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def playwright(_django_beside_playwright, playwright):
    """pytest-playwright's, started only once Django accepts database calls beside its event loop.

    While Playwright runs, code in the main thread sees its own set of Django's database connections (they are kept
    per context, and Playwright's greenlets run it in another one): they are closed before Playwright stops, or one
    would stay open and the test database could not be dropped at the end of the session.
    """
    yield playwright
    connections.close_all()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, headless (never `playwright install`: it downloads browsers and fails here)."""
    executable = next((path for path in CHROMIUM_CANDIDATES if Path(path).exists()), None)
    if executable is None:
        pytest.skip("Chromium is not installed (scripts/test installs it: apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": executable, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def ui_server(project_server, django_db_blocker):
    """The whole project served on 127.0.0.1:<port> (`project_server`), with committed data: a hospital whose admin
    and one doctor have a known password, a colleague with weekly hours (Monday to Friday, 09:00–17:00), a patient,
    and a second hospital with a doctor of its own.
    """
    from shared_apps.accounts.tests.factories import PASSWORD, SuperadminFactory
    from shared_apps.hospitals.services import hospital_set_active
    from shared_apps.hospitals.tests.factories import approved_hospital

    with django_db_blocker.unblock():
        suffix = uuid.uuid4().hex[:6]
        hospital = approved_hospital(name="Riverside Hospital", slug=f"ui-{suffix}", timezone_name="Europe/London")
        other = approved_hospital(name="Hilltop Clinic", slug=f"ui-other-{suffix}", timezone_name="Europe/London")
        admin = admin_of(hospital)
        admin.set_password(PASSWORD)
        admin.save(update_fields=["password"])
        other_doctor = make_doctor(other, name="Dr Elsewhere", specialization="UI-Testing")
        doctor = make_doctor(hospital, name="Dr Own Week", specialization="General practice")
        colleague = make_doctor(hospital, name="Dr Colleague", specialization="General practice")
        with hospital_context(hospital):
            doctor_user = doctor_invite(actor=admin, hospital=hospital, doctor=doctor).user
            weekdays = [{"weekday": n, "start_time": dt.time(9), "end_time": dt.time(17)} for n in range(5)]
            schedule_set(actor=admin, hospital=hospital, doctor=colleague, weekly_hours=weekdays)
        doctor_user.set_password(PASSWORD)
        doctor_user.save(update_fields=["password"])
        patient = PatientFactory().user
        try:
            yield {
                "port": project_server,
                "base_url": f"http://{hospital.slug}.localhost:{project_server}",
                "other_base_url": f"http://{other.slug}.localhost:{project_server}",
                "hospital": hospital,
                "other": other,
                "admin": admin,
                "password": PASSWORD,
                "other_doctor": other_doctor,
                "doctor": doctor,
                "doctor_user": doctor_user,
                "colleague": colleague,
                "patient": patient,
            }
        finally:
            superadmin = SuperadminFactory()
            for h in (hospital, other):
                hospital_set_active(actor=superadmin, hospital=h, active=False)


@pytest.fixture
def screenshot(page):
    """screenshot(name): save the page (full length) to artifacts/screenshots/<name>.png for review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
