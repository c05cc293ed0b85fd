# Reminders per offset (issue 14): one armed Reminder row per offset of the hospital's policy replaces the single
# `reminder_queued_at` claim on the booking entry; one patient, one place at a time across hospitals.

import django.contrib.postgres.constraints
import django.db.models.deletion
import shared_apps.directory.models
from django.conf import settings
from django.db import migrations, models

# Upcoming booked appointments keep their reminders: every offset of their hospital still ahead is armed. A
# reminder already queued under the old rule (`reminder_queued_at`, one reminder REMINDER_HOURS_BEFORE ahead) was
# due in the past, so the offsets armed here are the ones still to come.
ARM_UPCOMING = """
INSERT INTO directory_reminder (appointment_id, hospital_id, offset_minutes, due_at, queued_at, skipped)
SELECT b.appointment_id, b.hospital_id, o.minutes, b.starts_at - make_interval(mins => o.minutes), NULL, ''
FROM directory_bookingentry b
JOIN hospitals_hospital h ON h.id = b.hospital_id
CROSS JOIN LATERAL (SELECT DISTINCT unnest(h.reminder_offsets_minutes) AS minutes) o
WHERE b.status = 'booked' AND b.starts_at - make_interval(mins => o.minutes) > now()
ON CONFLICT DO NOTHING
"""


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0006_booking_cancelled_by'),
        ('hospitals', '0005_policy'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Reminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('offset_minutes', models.PositiveIntegerField()),
                ('due_at', models.DateTimeField()),
                ('queued_at', models.DateTimeField(blank=True, null=True)),
                ('skipped', models.CharField(blank=True, max_length=20)),
            ],
        ),
        migrations.AddField(
            model_name='reminder',
            name='booking',
            field=models.ForeignKey(db_column='appointment_id', on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='directory.bookingentry'),
        ),
        migrations.AddField(
            model_name='reminder',
            name='hospital',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='hospitals.hospital'),
        ),
        migrations.AddIndex(
            model_name='reminder',
            index=models.Index(condition=models.Q(('queued_at__isnull', True)), fields=['due_at'], name='dir_reminder_due_idx'),
        ),
        migrations.AddConstraint(
            model_name='reminder',
            constraint=models.UniqueConstraint(fields=('booking', 'offset_minutes'), name='dir_reminder_once_per_offset'),
        ),
        migrations.RunSQL(ARM_UPCOMING, migrations.RunSQL.noop),
        migrations.RemoveIndex(
            model_name='bookingentry',
            name='dir_booking_reminder_due_idx',
        ),
        migrations.RemoveField(
            model_name='bookingentry',
            name='reminder_queued_at',
        ),
        # Fails if two booked entries of one patient already overlap (possible only across hospitals, where
        # nothing checked it before): cancel one of them first.
        migrations.AddConstraint(
            model_name='bookingentry',
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(condition=models.Q(('status', 'booked')), expressions=[(models.F('patient'), '='), (shared_apps.directory.models.TimeRange(models.F('starts_at'), models.F('ends_at')), '&&')], name='directory_booking_patient_no_overlap'),
        ),
    ]
