"""ASGI entry point (gunicorn with uvicorn workers; scripts/run, the compose file, the Dockerfile).

The live event streams are Channels consumers, routed before Django: a stream waits on the channel layer without
a thread or a database connection. Every other request goes to Django's ASGI handler (its sync views run in
threads, one request at a time per thread, as under WSGI).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()  # sets Django up before the consumers are imported

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from shared_apps.events.streams import ApiEventStream, DashboardEventStream  # noqa: E402


def build(django_app):
    """The project's ASGI application around `django_app` (tests wrap Django's handler to serve static files)."""
    return ProtocolTypeRouter(
        {
            "http": URLRouter(
                [
                    path("api/events/", ApiEventStream.as_asgi()),
                    path("events/", DashboardEventStream.as_asgi()),
                    re_path(r"", django_app),
                ]
            )
        }
    )


application = build(django_application)
