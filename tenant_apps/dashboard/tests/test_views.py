"""Who may open which dashboard page, without a browser: the permission matrix and every page rendering."""

import datetime as dt

import pytest

from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.tests.helpers import bookable_doctor
from tenant_apps.dashboard.tests.conftest import book_slot, client_for
from tenant_apps.doctors.services import schedule_set, time_off_add
from tenant_apps.doctors.tests.factories import open_day

pytestmark = pytest.mark.django_db

ADMIN_ONLY = ["/doctors/", "/doctors/add/", "/doctors/{doctor}/", "/profile/", "/activity/"]
STAFF_PAGES = [
    "/",
    "/availability/",
    "/availability/{doctor}/",
    "/availability/{doctor}/hours/",
    "/availability/{doctor}/time-off/",
    "/appointments/",
    "/appointments/{appointment}/",
]
POSTS = [
    ("/doctors/{doctor}/", {"name": "X"}),
    ("/doctors/{doctor}/deactivate/", {}),
    ("/doctors/{doctor}/activate/", {}),
    ("/doctors/{doctor}/invite/", {}),
    ("/availability/{doctor}/add/", {"date": "2030-01-01", "start_time": "09:00", "end_time": "10:00"}),
    ("/availability/{doctor}/remove/", {"window_id": 1}),
    ("/availability/{doctor}/hours/", {"hours-TOTAL_FORMS": "0", "hours-INITIAL_FORMS": "0", "save": "1"}),
    ("/availability/{doctor}/time-off/add/", {"start_date": "2030-01-01", "end_date": "2030-01-01"}),
    ("/availability/{doctor}/time-off/00000000-0000-4000-8000-000000000000/remove/", {}),
    ("/appointments/{appointment}/cancel/", {"reason": "No"}),
    ("/appointments/{appointment}/complete/", {}),
    ("/profile/", {"name": "Hijacked"}),
]


@pytest.fixture
def world(alpha, beta, doctor_with_login):
    """Two doctors of alpha (one with a login), each with a booking; a doctor and a booking in beta."""
    doctor, day = bookable_doctor(alpha, name="Dr Alpha Admin-Managed")
    own_doctor, own_user = doctor_with_login
    open_day(alpha, own_doctor, day)
    beta_doctor, beta_day = bookable_doctor(beta, name="Dr Beta")
    return {
        "doctor": doctor,
        "appointment": book_slot(alpha, doctor, day, reason="Checkup"),
        "own_doctor": own_doctor,
        "own_user": own_user,
        "own_appointment": book_slot(alpha, own_doctor, day, "10:00"),
        "beta_doctor": beta_doctor,
        "beta_appointment": book_slot(beta, beta_doctor, beta_day),
    }


def fill(path: str, doctor, appointment) -> str:
    return path.format(doctor=doctor.pk, appointment=appointment.pk)


def test_every_page_renders_for_the_hospital_admin_with_its_name_and_nav(world, alpha_admin):
    client = client_for(alpha_admin)
    for path in STAFF_PAGES + ADMIN_ONLY:
        response = client.get(fill(path, world["doctor"], world["appointment"]))
        assert response.status_code == 200, path
        html = response.content.decode()
        assert 'data-testid="hospital-name">Alpha General<' in html, path
        assert 'aria-current="page"' in html, path
        assert 'href="/activity/"' in html, path


def test_anonymous_visitors_are_sent_to_sign_in_for_every_page(world):
    client = client_for()
    for path in STAFF_PAGES + ADMIN_ONLY:
        path = fill(path, world["doctor"], world["appointment"])
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/sign-in/?next="), path
    for path, data in POSTS:
        response = client.post(fill(path, world["doctor"], world["appointment"]), data)
        assert response.status_code == 302, path


@pytest.mark.parametrize("who", ["patient", "superadmin", "beta_admin"])
def test_patients_superadmins_and_other_hospitals_admins_get_404_everywhere(request, world, who):
    client = client_for(request.getfixturevalue(who))
    for path in STAFF_PAGES + ADMIN_ONLY:
        assert client.get(fill(path, world["doctor"], world["appointment"])).status_code == 404, path
    for path, data in POSTS:
        assert client.post(fill(path, world["doctor"], world["appointment"]), data).status_code == 404, path


def test_a_doctor_opens_their_own_schedule_and_appointments_only(world):
    client = client_for(world["own_user"])
    own, other = world["own_doctor"], world["doctor"]

    assert client.get("/").status_code == 200
    assert client.get("/availability/").url == f"/availability/{own.pk}/"
    assert client.get(f"/availability/{own.pk}/").status_code == 200
    assert client.get(f"/appointments/{world['own_appointment'].pk}/").status_code == 200
    listing = client.get("/appointments/").content.decode()
    assert str(world["own_appointment"].pk) in listing
    assert str(world["appointment"].pk) not in listing

    assert client.get(f"/availability/{other.pk}/").status_code == 404
    assert client.get(f"/appointments/{world['appointment'].pk}/").status_code == 404
    for path in ADMIN_ONLY:
        assert client.get(fill(path, own, world["own_appointment"])).status_code == 404, path
    for path, data in POSTS:
        target = fill(path, other, world["appointment"])
        assert client.post(target, data).status_code == 404, target


def test_a_doctors_navigation_shows_no_admin_pages(world):
    html = client_for(world["own_user"]).get("/").content.decode()
    assert "My schedule" in html
    for admin_link in ('href="/doctors/"', 'href="/profile/"', 'href="/activity/"'):
        assert admin_link not in html


def test_a_doctors_appointment_list_counts_their_own_only(world, alpha_admin):
    assert "1 appointment<" in client_for(world["own_user"]).get("/appointments/?date_from=").content.decode()
    assert "2 appointments<" in client_for(alpha_admin).get("/appointments/?date_from=").content.decode()


def test_another_hospitals_ids_in_urls_are_404_for_the_admin(world, alpha_admin):
    client = client_for(alpha_admin)
    beta_doctor, beta_appointment = world["beta_doctor"], world["beta_appointment"]
    for path in ["/doctors/{doctor}/", "/availability/{doctor}/", "/appointments/{appointment}/"]:
        assert client.get(fill(path, beta_doctor, beta_appointment)).status_code == 404, path
    for path, data in POSTS:
        if "{" in path:
            assert client.post(fill(path, beta_doctor, beta_appointment), data).status_code == 404, path


@pytest.mark.parametrize(
    "path", ["/doctors/not-a-uuid/", "/availability/123/", "/appointments/../", "/appointments/zzzz/cancel/"]
)
def test_malformed_ids_are_404(alpha_admin, path):
    assert client_for(alpha_admin).get(path).status_code == 404


def test_unknown_uuids_are_404(alpha_admin):
    missing = "00000000-0000-4000-8000-000000000000"
    client = client_for(alpha_admin)
    for path in [f"/doctors/{missing}/", f"/availability/{missing}/", f"/appointments/{missing}/"]:
        assert client.get(path).status_code == 404, path


def test_mutations_are_post_only(world, alpha_admin):
    client = client_for(alpha_admin)
    for path in [
        "/doctors/{doctor}/deactivate/",
        "/availability/{doctor}/add/",
        "/availability/{doctor}/time-off/add/",
        "/appointments/{appointment}/cancel/",
    ]:
        assert client.get(fill(path, world["doctor"], world["appointment"])).status_code == 405, path


def test_posts_without_a_csrf_token_are_refused(world, alpha_admin):
    client = client_for(alpha_admin, enforce_csrf_checks=True)
    response = client.post(f"/doctors/{world['doctor'].pk}/deactivate/")
    assert response.status_code == 403


def test_the_session_of_one_hospital_opens_nothing_in_another(world, alpha_admin):
    client = client_for(alpha_admin)
    assert client.get("/doctors/", HTTP_HOST="beta.localhost").status_code == 404


def test_sign_in_offers_a_password_reset_and_sign_out_ends_the_session(alpha_admin):
    sign_in = client_for().get("/sign-in/").content.decode()
    assert 'href="/password-reset/"' in sign_in

    client = client_for(alpha_admin)
    assert client.get("/").status_code == 200
    assert client.post("/sign-out/").status_code == 302
    assert client.get("/").status_code == 302


def test_pages_use_only_the_projects_own_assets(world, alpha_admin):
    html = client_for(alpha_admin).get("/").content.decode()
    assert '<link rel="stylesheet" href="/static/rhms/site.css">' in html
    assert "http://" not in html
    assert "https://" not in html


def test_the_session_is_an_idle_timeout_renewed_by_each_request(alpha_admin, settings):
    client = client_for(alpha_admin)
    response = client.get("/")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE
    assert cookie["httponly"]
    assert settings.SESSION_SAVE_EVERY_REQUEST


def _queries(client, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_page_queries_do_not_grow_with_the_number_of_rows(alpha, alpha_admin):
    client = client_for(alpha_admin)
    doctor, day = bookable_doctor(alpha, days=2, start="08:00", end="18:00")
    book_slot(alpha, doctor, day)
    paths = [
        "/",
        f"/appointments/?date_from={day}",
        "/doctors/",
        f"/availability/{doctor.pk}/?week={day}",
        f"/availability/{doctor.pk}/hours/",
        f"/availability/{doctor.pk}/time-off/",
        "/activity/",
    ]
    before = {path: _queries(client, path) for path in paths}

    with hospital_context(alpha):
        schedule_set(
            actor=alpha_admin,
            hospital=alpha,
            doctor=doctor,
            weekly_hours=[{"weekday": n, "start_time": dt.time(19), "end_time": dt.time(20)} for n in range(7)],
        )
        for n in range(1, 4):
            start = day + dt.timedelta(days=7 * n)
            time_off_add(actor=alpha_admin, hospital=alpha, doctor=doctor, start_date=start, end_date=start)
    for n in range(1, 8):
        other = bookable_doctor(alpha, days=2)[0]
        book_slot(alpha, other, day)
        book_slot(alpha, doctor, day, f"{9 + n:02d}:00")

    assert {path: _queries(client, path) for path in paths} == before


def test_the_doctor_list_shows_each_doctors_next_free_slot(alpha, alpha_admin):
    from tenant_apps.appointments.tests.helpers import bookable_doctor
    from tenant_apps.doctors.tests.factories import make_doctor

    doctor, day = bookable_doctor(alpha, name="Dr Soon", start="09:30", end="10:00")
    make_doctor(alpha, name="Dr Idle")

    html = client_for(alpha_admin).get("/doctors/").content.decode()

    assert f'<time datetime="{day:%Y-%m-%d}T09:30">{day:%a} {day.day} {day:%b}, 09:30</time>' in html
    assert f"None in the next {alpha.booking_horizon_days} days" in html
