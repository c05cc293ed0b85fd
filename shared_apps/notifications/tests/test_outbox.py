import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from shared_apps.directory.models import Reminder
from shared_apps.directory.reminders import reminders_queue_due
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.checks import claim_outlives_the_send
from shared_apps.notifications.models import Notification
from shared_apps.notifications.services import notification_queue, notifications_requeue_stale
from shared_apps.notifications.tasks import MAX_ATTEMPTS, notification_send
from shared_apps.notifications.tests.backends import RecordingSmsBackend
from tenant_apps.appointments.models import Appointment
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, move_start_to_the_past

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(as_user, alpha, patient):
    patient.phone_number = "+442079460111"
    patient.save(update_fields=["phone_number"])
    doctor, day = bookable_doctor(alpha, name="Dr Outbox")
    response = book(as_user(patient), doctor, day, "09:00", reason="Private symptoms")
    assert response.status_code == 201
    return response.json()


@pytest.fixture
def sms(settings):
    settings.SMS_BACKEND = "shared_apps.notifications.tests.backends.RecordingSmsBackend"
    RecordingSmsBackend.sent = []
    return RecordingSmsBackend.sent


def deliver(template):
    for notification in Notification.objects.filter(template=template, status="queued"):
        notification_send.apply(args=[notification.pk])


def test_the_patient_confirmation_has_the_minimum_and_the_calendar_file(booking, patient, sms):
    mail.outbox.clear()
    deliver("appointment_booked")

    to_patient = next(m for m in mail.outbox if m.to == [patient.email])
    assert "Dr Outbox" in to_patient.body
    assert "Alpha General" in to_patient.body
    assert booking["time"] in to_patient.body
    assert "Private symptoms" not in to_patient.body
    html = to_patient.alternatives[0][0]
    assert "Alpha General" in html
    assert "Private symptoms" not in html
    assert [a[0] for a in to_patient.attachments] == ["appointment.ics"]
    assert len(sms) == 1
    assert sms[0][0] == "+442079460111"
    assert "Private symptoms" not in sms[0][1]
    assert set(Notification.objects.filter(template="appointment_booked").values_list("status", flat=True)) == {"sent"}


def test_a_redelivered_task_sends_one_message(booking, patient):
    notification = Notification.objects.get(template="appointment_booked", recipient=patient.email)
    mail.outbox.clear()

    notification_send.apply(args=[notification.pk])
    notification_send.apply(args=[notification.pk])

    assert len([m for m in mail.outbox if m.to == [patient.email]]) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)


def test_smtp_down_retries_then_fails_with_the_error_and_the_booking_stands(
    booking, patient, settings, alpha, monkeypatch
):
    settings.EMAIL_BACKEND = "shared_apps.notifications.tests.backends.SmtpDownBackend"
    monkeypatch.setitem(notification_send.app.conf, "task_eager_propagates", False)
    notification = Notification.objects.get(template="appointment_booked", recipient=patient.email)

    notification_send.apply(args=[notification.pk])  # apply() re-runs each Retry at once instead of after backoff

    notification.refresh_from_db()
    assert notification.status == "failed"
    assert notification.attempts == MAX_ATTEMPTS
    assert "Connection refused" in notification.last_error
    with hospital_context(alpha):
        assert Appointment.objects.get(pk=booking["id"]).status == "booked"


def others_sent(**own):
    """Mark every other outbox row sent (in the test's transaction): the session's hospitals left theirs queued at
    setup, and once older than NOTIFICATION_REQUEUE_AFTER_SECONDS the requeue job would count them too."""
    Notification.objects.exclude(**own).update(status="sent")


def test_broker_down_at_commit_keeps_the_row_queued_until_the_requeue_job(
    as_user, alpha, patient, django_capture_on_commit_callbacks
):
    others_sent(pk__in=[])
    doctor, day = bookable_doctor(alpha)
    with (
        mock.patch.object(notification_send, "apply_async", side_effect=OperationalError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = book(as_user(patient), doctor, day, "09:00")
    assert response.status_code == 201  # the booking does not depend on the broker
    queued = Notification.objects.filter(template="appointment_booked", status="queued")
    assert queued.count() == 2

    queued.update(created_at=timezone.now() - dt.timedelta(minutes=10))
    with mock.patch.object(notification_send, "apply_async") as publish:
        assert notifications_requeue_stale() == 2
    for call in publish.call_args_list:
        notification_send.apply(args=call.kwargs["args"])
    assert set(Notification.objects.filter(template="appointment_booked").values_list("status", flat=True)) == {"sent"}


def test_a_claim_left_by_a_dead_worker_is_taken_over_after_the_timeout(booking, patient, settings):
    notification = Notification.objects.get(template="appointment_booked", recipient=patient.email)
    Notification.objects.filter(pk=notification.pk).update(status="sending", claimed_at=timezone.now())
    notification_send.apply(args=[notification.pk])
    notification.refresh_from_db()
    assert notification.status == "sending"  # another worker may still be sending it

    Notification.objects.filter(pk=notification.pk).update(claimed_at=timezone.now() - dt.timedelta(hours=1))
    notification_send.apply(args=[notification.pk])
    notification.refresh_from_db()
    assert notification.status == "sent"


def test_the_requeue_job_resends_expired_claims_and_leaves_live_ones(booking, patient):
    others_sent(pk__in=Notification.objects.filter(context__appointment_id=booking["id"]).values("pk"))
    to_patient = Notification.objects.filter(template="appointment_booked", recipient=patient.email)
    to_patient.update(status="sending", claimed_at=timezone.now() - dt.timedelta(hours=1))  # its worker died
    live = Notification.objects.filter(template="appointment_booked").exclude(recipient=patient.email)
    live.update(status="sending", claimed_at=timezone.now())  # its worker may still be sending

    with mock.patch.object(notification_send, "apply_async") as publish:
        assert notifications_requeue_stale() == 1
    assert [call.kwargs["args"] for call in publish.call_args_list] == [[to_patient.get().pk]]


def test_a_claim_outlives_the_longest_send(settings):
    assert claim_outlives_the_send() == []
    settings.NOTIFICATION_CLAIM_TIMEOUT_SECONDS = settings.NOTIFICATION_SEND_TIME_LIMIT_SECONDS
    assert [error.id for error in claim_outlives_the_send()] == ["notifications.E002"]
    settings.NOTIFICATION_SEND_TIME_LIMIT_SECONDS = settings.EMAIL_TIMEOUT
    assert [error.id for error in claim_outlives_the_send()] == ["notifications.E001"]


def make_due(appointment_id, offset_minutes=1440):
    """Bring one armed reminder's time to now (the clock is not moved: the appointment is 3 days ahead)."""
    Reminder.objects.filter(booking_id=appointment_id, offset_minutes=offset_minutes).update(due_at=timezone.now())


def test_the_reminder_job_run_twice_queues_one_reminder(booking, alpha, patient):
    make_due(booking["id"])

    assert reminders_queue_due() == 1
    assert reminders_queue_due() == 0
    reminders = Notification.objects.filter(template="appointment_reminder")
    assert sorted(reminders.values_list("channel", flat=True)) == ["email", "sms"]
    mail.outbox.clear()
    deliver("appointment_reminder")
    assert "reminder" in mail.outbox[0].subject.lower()


def test_no_reminder_for_cancelled_or_distant_appointments(as_user, booking, patient):
    assert reminders_queue_due() == 0  # armed, not due
    make_due(booking["id"])
    as_user(patient).post(f"/api/appointments/{booking['id']}/cancel/")
    assert reminders_queue_due() == 0
    assert not Notification.objects.filter(template="appointment_reminder").exists()


def test_a_reminder_for_an_appointment_cancelled_after_queueing_is_not_sent(as_user, booking, patient):
    make_due(booking["id"])
    assert reminders_queue_due() == 1
    as_user(patient).post(f"/api/appointments/{booking['id']}/cancel/")
    mail.outbox.clear()
    deliver("appointment_reminder")
    assert mail.outbox == []
    assert Notification.objects.filter(template="appointment_reminder", last_error__startswith="skipped").exists()


def test_tasks_read_the_appointment_in_its_own_hospitals_schema(booking, beta, patient):
    notification = Notification.objects.get(template="appointment_booked", recipient=patient.email)
    mail.outbox.clear()
    with hospital_context(beta):  # a worker last used by another hospital
        notification_send.apply(args=[notification.pk])
    assert "Dr Outbox" in mail.outbox[0].body


def test_cancellation_notifies_the_other_party(as_user, alpha_admin, booking, patient, alpha):
    move_start_to_the_past(alpha, booking["id"], hours=-5)  # still in the future
    as_user(alpha_admin).post(f"/api/appointments/{booking['id']}/cancel/", {"reason": "Doctor unwell"})
    recipients = set(Notification.objects.filter(template="appointment_cancelled").values_list("recipient", flat=True))
    assert recipients == {patient.email, patient.phone_number}


def test_task_arguments_hold_ids_only(booking):
    for notification in Notification.objects.all():
        assert set(notification.context) <= {"appointment_id", "hospital_id", "audience", "user_id", "reminder_id"}


def test_hospital_admins_see_their_hospitals_notifications_only(as_user, booking, alpha_admin, beta_admin, superadmin):
    own = as_user(alpha_admin).get("/api/admin/notifications/").json()
    assert own["count"] >= 3
    assert as_user(beta_admin).get("/api/admin/notifications/", {"template": "appointment_booked"}).json()["count"] == 0
    assert as_user(superadmin).get("/api/admin/notifications/").json()["count"] >= own["count"]


def test_the_twilio_backend_sends_through_the_official_client(settings):
    from shared_apps.notifications.sms import TwilioSmsBackend

    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC-test", "test-token"
    settings.TWILIO_FROM_NUMBER, settings.TWILIO_MESSAGING_SERVICE_SID = "+15005550006", ""
    with mock.patch("twilio.rest.Client") as client_class:
        TwilioSmsBackend().send(to="+442079460111", body="Hello")
    client_class.return_value.messages.create.assert_called_once_with(
        to="+442079460111", body="Hello", from_="+15005550006"
    )


def test_the_twilio_backend_refuses_to_start_unconfigured(settings):
    from django.core.exceptions import ImproperlyConfigured

    from shared_apps.notifications.sms import TwilioSmsBackend

    settings.TWILIO_ACCOUNT_SID = ""
    with pytest.raises(ImproperlyConfigured):
        TwilioSmsBackend()


def test_plain_text_parts_show_names_as_typed_and_html_escapes_them(booking, alpha, patient, sms):
    Hospital.objects.filter(pk=alpha.pk).update(name="A <b>&")
    mail.outbox.clear()
    deliver("appointment_booked")

    to_patient = next(m for m in mail.outbox if m.to == [patient.email])
    assert to_patient.subject == "Your appointment at A <b>& is booked"
    assert "A <b>&" in to_patient.body
    html = to_patient.alternatives[0][0]
    assert "A &lt;b&gt;&amp;" in html
    assert "A <b>&" not in html
    assert sms[0][1].startswith("A <b>&:")


def test_a_subject_is_one_line_whatever_line_breaks_a_name_holds(alpha):
    Hospital.objects.filter(pk=alpha.pk).update(name="A <b>&\r\nBcc: x@example.com\rC")
    notification = notification_queue(
        channel="email",
        recipient="applicant@example.com",
        template="hospital_registered",
        context={"hospital_id": alpha.pk},
    )
    mail.outbox.clear()
    notification_send.apply(args=[notification.pk])

    notification.refresh_from_db()
    assert notification.status == "sent", notification.last_error
    assert mail.outbox[0].subject == "We received your application, A <b>& Bcc: x@example.com C"
