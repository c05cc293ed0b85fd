"""Two reminder jobs at once (two beat schedulers), each in its own thread and database connection, on committed
data: every offset still gives one message per channel.

Like tenant_apps/appointments/tests/test_concurrency.py, these tests commit; their hospital is deactivated after.
"""

import datetime as dt
import uuid
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.common.tests.parallel import in_parallel
from shared_apps.directory.models import Reminder
from shared_apps.directory.reminders import reminders_queue_due
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.models import Notification
from tenant_apps.appointments.services import appointment_book
from tenant_apps.appointments.tests.helpers import bookable_doctor

REAL_NOW = timezone.now


@pytest.fixture(scope="module")
def appointment(django_db_setup, django_db_blocker):
    from shared_apps.accounts.tests.factories import SuperadminFactory
    from shared_apps.hospitals.services import hospital_set_active
    from shared_apps.hospitals.tests.factories import approved_hospital

    with django_db_blocker.unblock():
        hospital = approved_hospital(name="Reminder Race", slug=f"remind-{uuid.uuid4().hex[:6]}")
        doctor, day = bookable_doctor(hospital, specialization="Reminder-Testing")
        patient = PatientFactory(user__phone_number="+442079460122").user
        with hospital_context(hospital):
            booked = appointment_book(actor=patient, hospital=hospital, doctor=doctor, date=day, time=dt.time(9))
        yield booked
        hospital_set_active(actor=SuperadminFactory(), hospital=hospital, active=False)
        # Committed and never sent (no worker): left queued, they would be re-sent by the requeue job that other
        # modules' tests run and count.
        Notification.objects.filter(hospital=hospital).delete()
        connection.close()


def test_two_schedulers_at_once_queue_one_message_per_offset_and_channel(appointment, django_db_blocker):
    moment = {"now": REAL_NOW()}
    with django_db_blocker.unblock(), mock.patch("django.utils.timezone.now", side_effect=lambda: moment["now"]):
        for offset in (1440, 120):
            moment["now"] = appointment.starts_at - dt.timedelta(minutes=offset)
            in_parallel([reminders_queue_due, reminders_queue_due])  # other tests' committed reminders may be due

        messages = Notification.objects.filter(
            template="appointment_reminder", context__appointment_id=str(appointment.pk)
        )
        offsets = dict(Reminder.objects.filter(booking_id=appointment.pk).values_list("pk", "offset_minutes"))
        sent = sorted((offsets[n.context["reminder_id"]], n.channel) for n in messages)
        assert sent == [(120, "email"), (120, "sms"), (1440, "email"), (1440, "sms")]
        connection.close()
