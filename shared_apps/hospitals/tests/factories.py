import io

import factory
from PIL import Image

from shared_apps.hospitals.models import Hospital, HospitalStatus


def image_bytes(fmt: str = "PNG", size=(64, 32), color=(20, 110, 180)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


class PendingHospitalFactory(factory.django.DjangoModelFactory):
    """A pending application (no schema). Approve it with hospital_approve to get a real hospital."""

    class Meta:
        model = Hospital

    name = factory.Sequence(lambda n: f"Hospital {n}")
    slug = factory.Sequence(lambda n: f"hospital-{n}")
    schema_name = factory.LazyAttribute(lambda h: Hospital.schema_name_for(h.slug))
    registration_number = factory.Sequence(lambda n: f"REG-{n:05d}")
    email = factory.Sequence(lambda n: f"admin{n}@hospital.example.com")
    address = "1 Main Street"
    phone_number = "+14155550100"
    city = "Springfield"
    timezone = "UTC"
    status = HospitalStatus.PENDING


def approved_hospital(*, name: str, slug: str, timezone_name: str = "UTC"):
    """A hospital registered and approved through the real services (schema, domain, admin)."""
    from shared_apps.accounts.tests.factories import SuperadminFactory
    from shared_apps.hospitals.services import hospital_approve, hospital_register

    hospital = hospital_register(
        actor=None,
        name=name,
        registration_number=f"REG-{slug.upper()}",
        email=f"admin@{slug}.example.com",
        address="1 Test Street",
        phone_number="+442079460000",
        city="Testville",
        timezone=timezone_name,
        subdomain=slug,
    )
    superadmin = SuperadminFactory(email=f"root-{slug}@example.com")
    return hospital_approve(actor=superadmin, hospital=hospital)
