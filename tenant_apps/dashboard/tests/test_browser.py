"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright against a live server.

A hospital admin signs in, adds a doctor, opens hours, sees a patient's booking made through the public API,
cancels it with a reason, changes the logo and sees it in the header, and cannot open another hospital's pages.
A doctor fills in their weekly hours in the week grid and sees the week's slots; the admin adds time off over a
booked appointment, confirms cancelling it, and sees it cancelled.
Screenshots of every page go to artifacts/screenshots/ (ignored by git) for review.
"""

import datetime as dt
import json
import re
import urllib.request
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from shared_apps.accounts.tests.factories import PASSWORD
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.hospitals.tests.factories import image_bytes
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.tests.test_schedule_api import next_weekday

# django_db: the test database must exist (pytest-django creates it only for tests that ask), and the test thread's
# own writes roll back. The server thread sees committed data only: the `ui_server` fixture's, and what goes
# through HTTP.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def ui_media(tmp_path_factory):
    return tmp_path_factory.mktemp("ui-media")


@pytest.fixture(autouse=True)
def _media_root(settings, ui_media):
    """One media folder for the whole module (the server thread serves logos uploaded by earlier tests)."""
    settings.MEDIA_ROOT = ui_media


@pytest.fixture(autouse=True)
def no_csp_violation(page: Page):
    """Chromium logs every resource or inline code that the Content-Security-Policy blocked: none may be."""
    violations = []

    def record(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", record)
    yield violations
    assert violations == []


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/")


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=name)).to_have_attribute(
        "aria-current", "page"
    )


def header_logo_src(page: Page) -> str | None:
    logo = page.get_by_test_id("hospital-logo")
    return logo.get_attribute("src") if logo.count() else None


def api_call(ui, method: str, path: str, body: dict, token: str = "") -> dict:
    """One JSON call to the live server's public API (the platform host), as the patient app makes it."""
    headers = {
        "Host": f"localhost:{ui['port']}",
        "Content-Type": "application/json",
        "Idempotency-Key": str(uuid.uuid4()),
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = f"http://127.0.0.1:{ui['port']}{path}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own test server
        return json.loads(response.read())


def book_through_the_api(ui, doctor_id, day: dt.date, time: str) -> dict:
    """The patient app's calls: sign in, then book."""
    tokens = api_call(ui, "POST", "/api/auth/login/", {"email": ui["patient"].email, "password": PASSWORD})
    body = {"doctor_id": str(doctor_id), "date": str(day), "time": time, "reason": "Persistent cough"}
    booking = api_call(ui, "POST", "/api/appointments/book/", body, token=tokens["access"])
    assert booking["status"] == "booked"
    return booking


def test_the_hospital_admins_working_day(page: Page, ui_server, screenshot, tmp_path):
    ui, base = ui_server, ui_server["base_url"]
    hospital = ui["hospital"]
    day = timezone.now().astimezone(hospital.zone).date() + dt.timedelta(days=3)

    page.goto(f"{base}/")
    screenshot("01-sign-in")
    sign_in(page, base, ui["admin"].email, ui["password"])
    expect(page.get_by_test_id("hospital-name")).to_have_text("Riverside Hospital")
    screenshot("02-overview-empty")

    # Add a doctor.
    nav(page, "Doctors")
    page.get_by_role("link", name="Add a doctor").click()
    page.get_by_label("Name", exact=True).fill("Dr Rosalind Franklin")
    page.get_by_label("Email", exact=True).fill("rosalind@riverside.example.com")
    page.get_by_label("Specialization").fill("Radiology")
    page.get_by_label("Fee").fill("120")
    page.get_by_label("Slot length (minutes)").fill("30")
    screenshot("03-doctor-add")
    page.get_by_role("button", name="Add doctor").click()
    expect(page.get_by_role("status")).to_contain_text("Dr Rosalind Franklin was added.")
    screenshot("04-doctor-edit")
    nav(page, "Doctors")
    expect(page.get_by_role("row", name=re.compile("Dr Rosalind Franklin"))).to_contain_text("Radiology")
    screenshot("05-doctors")

    # Open hours three days ahead, with a break, through the week view.
    page.get_by_role("link", name="Schedule of Dr Rosalind Franklin").click()
    page.get_by_label("Date", exact=True).fill(str(day))
    page.get_by_label("From", exact=True).fill("09:00")
    page.get_by_label("To", exact=True).fill("12:00")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Open time added")
    page.get_by_label("Date", exact=True).fill(str(day))
    page.get_by_label("From", exact=True).fill("10:00")
    page.get_by_label("To", exact=True).fill("11:00")
    page.get_by_label("Blocked (leave or break)").check()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Blocked time added")
    day_card = page.locator(f"#day-{day:%Y%m%d}").locator("xpath=..")
    expect(day_card).to_contain_text("09:00–12:00")
    expect(day_card).to_contain_text("10:00–11:00")
    expect(day_card).to_contain_text("0 booked · 4 free")

    # An overlapping window is refused inline, and nothing changes.
    page.get_by_label("Date", exact=True).fill(str(day))
    page.get_by_label("From", exact=True).fill("11:30")
    page.get_by_label("To", exact=True).fill("12:30")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("overlap")
    screenshot("06-availability-error")
    page.goto(f"{page.url.split('/add/')[0]}/?week={day}")
    expect(page.locator(f"#day-{day:%Y%m%d}").locator("xpath=..")).to_contain_text("0 booked · 4 free")
    screenshot("07-availability")

    # A patient books through the public API; the admin sees it.
    with hospital_context(hospital):
        doctor = Doctor.objects.get(email="rosalind@riverside.example.com")
    booking = book_through_the_api(ui, doctor.pk, day, "11:30")
    nav(page, "Appointments")
    row = page.get_by_role("row", name=re.compile(re.escape(ui["patient"].name)))
    expect(row).to_contain_text("11:30")
    expect(row).to_contain_text("Booked")
    screenshot("08-appointments")

    # Cancel it with a reason.
    row.get_by_role("link", name=re.compile("^Open")).click()
    expect(page).to_have_url(f"{base}/appointments/{booking['id']}/")
    screenshot("09-appointment")
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_label("Reason for cancelling")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Reason for cancelling").fill("The doctor is called to surgery.")
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_test_id("appointment-status")).to_have_text("Cancelled")
    expect(page.get_by_test_id("cancellation-reason")).to_have_text("The doctor is called to surgery.")
    screenshot("10-appointment-cancelled")

    # Change the logo twice; the header follows each time.
    nav(page, "Hospital profile")
    assert header_logo_src(page) is None
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    first.write_bytes(image_bytes("PNG", size=(120, 40), color=(200, 40, 40)))
    second.write_bytes(image_bytes("PNG", size=(120, 40), color=(20, 120, 60)))
    page.get_by_label("Upload a logo").set_input_files(str(first))
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_contain_text("profile was saved")
    first_src = header_logo_src(page)
    page.get_by_label("Upload a logo").set_input_files(str(second))
    page.get_by_label("Brand colour").fill("#0a7a3d")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_contain_text("profile was saved")
    second_src = header_logo_src(page)
    assert first_src
    assert second_src != first_src
    assert second_src.startswith("/media/logos/")
    brand = "getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()"
    assert page.evaluate(brand) == "#0a7a3d"  # the nonce'd <style> block applied under the CSP
    page.wait_for_function("() => document.querySelector('[data-testid=hospital-logo]')?.naturalWidth > 0")
    assert page.get_by_test_id("hospital-logo").evaluate("img => img.naturalWidth") == 120
    screenshot("11-profile")

    # A refused logo is an inline error.
    (tmp_path / "fake.png").write_bytes(b"<html>not an image</html>")
    page.get_by_label("Upload a logo").set_input_files(str(tmp_path / "fake.png"))
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.locator(".field.has-error")).to_contain_text("PNG, JPEG or WebP")
    assert header_logo_src(page) == second_src
    screenshot("12-profile-error")

    nav(page, "Activity")
    expect(page.get_by_role("table")).to_contain_text("appointment.cancelled")
    expect(page.get_by_role("table")).to_contain_text("hospital.profile_updated")
    screenshot("13-activity")

    nav(page, "Overview")
    # The chart: an image with a name, a caption with the numbers, a table per day behind "Numbers per day".
    chart = page.get_by_role("img", name=re.compile(r"^Appointments per day"))
    expect(chart).to_be_visible()
    assert chart.evaluate("svg => svg.getBBox().width") > 300  # drawn: the CSS loaded and nothing was blocked
    expect(page.locator("figure.chart figcaption")).to_contain_text("Next four weeks, from today:")
    expect(page.locator("figure.chart figcaption")).to_contain_text("cancelled by patient")
    page.locator("summary", has_text="Numbers per day").click()
    expect(page.get_by_role("row", name=re.compile(r"\(today\)"))).to_be_visible()
    expect(page.get_by_role("table", name="Utilisation per doctor")).to_contain_text("Dr Rosalind Franklin")
    screenshot("14-overview")


def test_another_hospitals_pages_stay_closed(page: Page, ui_server, screenshot):
    ui, base = ui_server, ui_server["base_url"]
    sign_in(page, base, ui["admin"].email, ui["password"])

    for path in (f"/doctors/{ui['other_doctor'].pk}/", f"/availability/{ui['other_doctor'].pk}/"):
        response = page.goto(f"{base}{path}")
        assert response.status == 404, path
    screenshot("15-other-hospitals-doctor-404")

    response = page.goto(f"{ui['other_base_url']}/doctors/")
    assert response.status == 200
    expect(page).to_have_url(f"{ui['other_base_url']}/sign-in/?next=/doctors/")
    expect(page.get_by_test_id("hospital-name")).to_have_text("Hilltop Clinic")
    page.get_by_label("Email").fill(ui["admin"].email)
    page.get_by_label("Password").fill(ui["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct")
    screenshot("16-other-hospital-sign-in-refused")


def test_a_doctor_sees_only_their_own_schedule(page: Page, ui_server, screenshot):
    ui = ui_server
    sign_in(page, ui["base_url"], ui["doctor_user"].email, PASSWORD)

    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav).to_contain_text("My schedule")
    expect(main_nav.get_by_role("link", name="Doctors")).to_have_count(0)
    nav(page, "My schedule")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dr Own Week")
    screenshot("17-doctor-schedule")

    for path in ("/doctors/", "/profile/", "/activity/", f"/availability/{ui['colleague'].pk}/"):
        assert page.goto(f"{ui['base_url']}{path}").status == 404, path


def cell(page: Page, label: str, row: int):
    """One input of the weekly-hours grid, by its (visually hidden) label: "From, row 2"."""
    return page.get_by_label(f"{label}, row {row}", exact=True)


def day_card(page: Page, day: dt.date):
    return page.locator(f"#day-{day:%Y%m%d}").locator("xpath=..")


def test_a_doctor_fills_in_the_week_grid_and_sees_the_slots(page: Page, ui_server, screenshot):
    ui = ui_server
    monday = next_weekday(ui["hospital"], 0)
    wednesday = monday + dt.timedelta(days=2)
    sign_in(page, ui["base_url"], ui["doctor_user"].email, PASSWORD)
    nav(page, "My schedule")
    page.get_by_role("link", name="Edit weekly hours").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly hours: Dr Own Week")

    cell(page, "Day", 1).select_option(label="Monday")
    cell(page, "From", 1).fill("09:00")
    cell(page, "To", 1).fill("11:00")
    page.get_by_role("button", name="Add a row").click()
    expect(cell(page, "From", 1)).to_have_value("09:00")  # kept, and a blank row 2 added
    cell(page, "Day", 2).select_option(label="Monday")
    cell(page, "From", 2).fill("10:30")
    cell(page, "To", 2).fill("12:00")
    page.get_by_role("button", name="Save weekly hours").click()

    # The service refuses the overlap: said at the top and under both rows, which are marked invalid.
    expect(page.get_by_role("alert")).to_contain_text("overlaps")
    expect(cell(page, "From", 2)).to_have_attribute("aria-invalid", "true")
    screenshot("21-weekly-hours-error")
    cell(page, "From", 2).fill("13:00")
    cell(page, "To", 2).fill("14:00")
    page.get_by_role("button", name="Add a row").click()
    cell(page, "Day", 3).select_option(label="Wednesday")
    cell(page, "From", 3).fill("09:00")
    cell(page, "To", 3).fill("10:00")
    screenshot("22-weekly-hours")
    page.get_by_role("button", name="Save weekly hours").click()
    expect(page.get_by_role("status")).to_contain_text("Weekly hours saved: 3 rows.")

    page.goto(f"{ui['base_url']}/availability/{ui['doctor'].pk}/?week={monday}")
    expect(day_card(page, monday)).to_contain_text("09:00–11:00 Open · weekly hours")
    expect(day_card(page, monday)).to_contain_text("13:00–14:00 Open · weekly hours")
    expect(day_card(page, monday).locator(".slot")).to_have_text(["09:00", "09:30", "10:00", "10:30", "13:00", "13:30"])
    expect(day_card(page, monday)).to_contain_text("0 booked · 6 free")
    expect(day_card(page, wednesday)).to_contain_text("0 booked · 2 free")
    screenshot("23-week-from-weekly-hours")

    # Remove a row: ticked, then saved.
    page.get_by_role("link", name="Edit weekly hours").click()
    cell(page, "Remove", 3).check()
    page.get_by_role("button", name="Save weekly hours").click()
    expect(page.get_by_role("status")).to_contain_text("Weekly hours saved: 2 rows.")
    page.goto(f"{ui['base_url']}/availability/{ui['doctor'].pk}/?week={monday}")
    expect(day_card(page, wednesday)).to_contain_text("No hours.")


def test_time_off_over_a_booking_is_confirmed_and_cancels_it(page: Page, ui_server, screenshot):
    ui, base = ui_server, ui_server["base_url"]
    colleague = ui["colleague"]
    tuesday = next_weekday(ui["hospital"], 1)
    booking = book_through_the_api(ui, colleague.pk, tuesday, "10:00")
    sign_in(page, base, ui["admin"].email, ui["password"])

    nav(page, "Doctors")
    page.get_by_role("link", name="Time off of Dr Colleague").click()
    page.get_by_label("First day").fill(str(tuesday))
    page.get_by_label("Last day").fill(str(tuesday))
    page.get_by_label("Reason (optional)").fill("Training course")
    page.get_by_role("button", name="Add time off").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("1 booked appointment inside this time off")
    affected = page.get_by_test_id("affected-appointment")
    expect(affected).to_have_count(1)
    expect(affected).to_contain_text(ui["patient"].name)
    expect(affected).to_contain_text("10:00")
    screenshot("24-time-off-confirm")
    page.get_by_role("button", name="Cancel the appointment and add the time off").click()

    expect(page.get_by_role("status")).to_contain_text("1 appointment cancelled; the patients are told")
    expect(page.get_by_test_id("time-off-row")).to_contain_text("Training course")
    screenshot("25-time-off-list")

    page.goto(f"{base}/appointments/{booking['id']}/")
    expect(page.get_by_test_id("appointment-status")).to_have_text("Cancelled")
    page.goto(f"{base}/availability/{colleague.pk}/?week={tuesday}")
    expect(day_card(page, tuesday)).to_contain_text("Time off · all day")
    expect(day_card(page, tuesday)).to_contain_text("0 booked · 0 free")
    screenshot("26-week-with-time-off")


def test_keyboard_and_a_small_screen(page: Page, ui_server, screenshot):
    ui = ui_server
    sign_in(page, ui["base_url"], ui["admin"].email, ui["password"])

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.set_viewport_size({"width": 390, "height": 844})
    nav(page, "Overview")  # the chart scales down; the page does not scroll sideways
    expect(page.get_by_role("img", name=re.compile(r"^Appointments per day"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("17-overview-phone")
    nav(page, "Appointments")
    # Wide tables scroll inside their own box; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("18-appointments-phone")
    nav(page, "Availability")
    screenshot("19-availability-index-phone")


def test_the_public_pages_work_under_the_content_security_policy(page: Page, ui_server, screenshot):
    """Swagger UI (drf-spectacular-sidecar), the registration form and the Django admin's sign-in, with no CSP
    violation logged (checked by `no_csp_violation`)."""
    platform = f"http://localhost:{ui_server['port']}"

    page.goto(f"{platform}/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("RHMS API")
    screenshot("20-api-docs")

    page.goto(f"{platform}/")
    expect(page.get_by_role("button", name="Apply")).to_be_visible()
    page.goto(f"{platform}/admin/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_the_appointments_page_shows_a_booking_made_through_the_api_without_a_reload(page: Page, ui_server, screenshot):
    ui, base = ui_server, ui_server["base_url"]
    wednesday = next_weekday(ui["hospital"], 2)
    sign_in(page, base, ui["admin"].email, ui["password"])
    page.goto(f"{base}/appointments/?date_from={wednesday}&date_to={wednesday}")
    expect(page.locator("[data-live-status]")).to_contain_text("Live:")  # the stream is open
    count = page.get_by_test_id("appointment-count")
    expect(count).to_have_text("0 appointments")
    page.evaluate("window.stillTheSamePage = true")

    booking = book_through_the_api(ui, ui["colleague"].pk, wednesday, "11:30")

    row = page.get_by_role("row").filter(has_text=ui["patient"].name)
    expect(row).to_contain_text("11:30")
    expect(count).to_have_text("1 appointment")
    assert page.evaluate("window.stillTheSamePage") is True  # updated in place, not reloaded
    expect(page.locator("[data-live-status]")).to_contain_text("Live: updated at")
    screenshot("30-appointments-live")

    api_call(ui, "POST", f"/api/appointments/{booking['id']}/cancel/", {}, token=_patient_token(ui))
    expect(row).to_contain_text("Cancelled")
    assert page.evaluate("window.stillTheSamePage") is True


def _patient_token(ui) -> str:
    return api_call(ui, "POST", "/api/auth/login/", {"email": ui["patient"].email, "password": PASSWORD})["access"]


def test_without_javascript_the_live_pages_offer_a_reload_link(browser, ui_server):
    ui, base = ui_server, ui_server["base_url"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, base, ui["admin"].email, ui["password"])
    for path in ("/", "/appointments/"):
        page.goto(f"{base}{path}")
        expect(page.locator("[data-live-status]").get_by_role("link", name="reload this page")).to_be_visible()
    context.close()
