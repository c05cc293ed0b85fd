"""Logo uploads: trusted only after Pillow has decoded them, then re-encoded under a random name.

The file name and Content-Type are never trusted: an SVG, HTML behind a PNG signature, a decompression bomb or a
truncated image is refused; what is stored is a fresh encoding with no metadata.
"""

import io
import uuid
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
PNG_END = b"IEND\xaeB`\x82"  # the IEND chunk and its CRC: nothing may follow it (polyglot files hide HTML there)


def logo_clean(upload) -> ContentFile:
    """Validate an uploaded logo and return its re-encoded copy. Raises ValidationError (400) when refused."""
    if upload.size > settings.LOGO_MAX_BYTES:
        raise ValidationError(f"The logo must be at most {settings.LOGO_MAX_BYTES // (1024 * 1024)} MB.", "too_large")
    data = upload.read()
    image = _decode(data)
    out = io.BytesIO()
    image_format = image.format
    if image_format == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
    elif image_format == "WEBP":
        image.save(out, format="WEBP", quality=90)
    else:
        image.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ALLOWED_FORMATS[image_format]}")


def _decode(data: bytes) -> Image.Image:
    limit = settings.LOGO_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationError("The logo must be a PNG, JPEG or WebP image.", "bad_format")
            width, height = probe.size
            if width > limit or height > limit:
                raise ValidationError(f"The logo must be at most {limit}×{limit} pixels.", "too_big")
            if probe.format == "PNG" and not data.endswith(PNG_END):
                raise ValidationError("The logo has unexpected data after the image.", "trailing_data")
            probe.verify()  # structure and checksums; the image is unusable after this
            image = Image.open(io.BytesIO(data))
            image.load()  # decodes every pixel: a truncated file fails here
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError("The logo must be a PNG, JPEG or WebP image.", "bad_format") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError("The logo file is damaged or incomplete.", "damaged") from exc
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    image.format = probe.format
    return image
