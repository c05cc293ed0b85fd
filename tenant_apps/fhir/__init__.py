"""The FHIR R4 read facade (`/fhir/r4/` on the platform host) for hospitals' own systems.

Read-only views of what the JSON API already serves, in FHIR's shapes: hospitals as Organization, doctors as
Practitioner, PractitionerRole and Schedule (one each per doctor, with the doctor's id), free and booked slots as
Slot (the one slot computation), and the signed-in patient's bookings as Appointment. It reads the public directory
and, for slots, one hospital's schema: it builds on both, like the doctors' public API.
"""
