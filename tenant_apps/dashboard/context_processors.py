import re

from shared_apps.hospitals.tenancy import resolve_hospital
from tenant_apps.dashboard.access import is_admin

DEFAULT_BRAND = "#1a6fb0"
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def readable_ink(hex_colour: str) -> str:
    """Black or white, whichever reads better on `hex_colour` (WCAG relative luminance)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    # Contrast with white is 1.05 / (L + 0.05); with black (L + 0.05) / 0.05; they are equal at L ≈ 0.179.
    return "#ffffff" if luminance < 0.179 else "#111111"


def hospital_branding(request):
    """The hospital's name, logo and colour for every dashboard page's header, and the signed-in member's role."""
    hospital = resolve_hospital(request)
    if hospital is None:
        return {}
    # The model validates the colour; checked again here because it is written into a <style> block.
    brand = hospital.brand_color if HEX_COLOUR.match(hospital.brand_color or "") else DEFAULT_BRAND
    return {
        "hospital": hospital,
        "hospital_logo_url": hospital.logo.url if hospital.logo else None,
        "brand_color": brand,
        "brand_ink": readable_ink(brand),
        "is_hospital_admin": is_admin(request),
    }
