import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def normalize_phone_number(value: str) -> str:
    """Parse a phone number and return it in E.164 (+14155550123). Raises ValidationError when it is not valid.

    Numbers without a country code are read in PHONE_DEFAULT_REGION, when one is set.
    """
    region = settings.PHONE_DEFAULT_REGION or None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Enter a valid phone number, with its country code (e.g. +14155550123).") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("Enter a valid phone number, with its country code (e.g. +14155550123).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
