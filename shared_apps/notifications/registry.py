"""Message builders by template name. Each app registers the builders of its own events (see its messages.py).

A builder takes the notification's `context` (ids) and returns the template context, or None when the thing the
message is about no longer warrants it (e.g. an appointment cancelled before its reminder went out).
"""

from collections.abc import Callable

Builder = Callable[[dict], dict | None]
_builders: dict[str, Builder] = {}


def register(template: str) -> Callable[[Builder], Builder]:
    def decorator(builder: Builder) -> Builder:
        _builders[template] = builder
        return builder

    return decorator


def builder_for(template: str) -> Builder:
    return _builders[template]
