"""Absolute links for emails and API payloads (no request needed: tasks build them too)."""

from django.conf import settings


def _origin(host: str) -> str:
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{host}{port}"


def platform_url(path: str = "/") -> str:
    return _origin(settings.BASE_DOMAIN) + path


def subdomain_url(slug: str, path: str = "/") -> str:
    return _origin(f"{slug}.{settings.BASE_DOMAIN}") + path


def media_url(file_field) -> str | None:
    """Absolute URL of an uploaded file, served by the platform host; None when there is no file."""
    if not file_field:
        return None
    return platform_url(file_field.url)


def stored_file_url(field, name: str) -> str | None:
    """media_url of a file stored by the model field `field` under `name`, read as a plain column ("" for none)."""
    if not name:
        return None
    return platform_url(field.storage.url(name))
