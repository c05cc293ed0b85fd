"""The API's JSON parser: DRF's, with a bound on nesting.

Python's json module recurses once per level, so a body of a few thousand brackets raises RecursionError (a 500)
and one just under the interpreter's limit costs deep stacks in every serializer that walks it. No request of this
API nests more than a few levels (availability windows: an object, a list, objects), so anything deeper is refused
as malformed.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise _too_deep() from exc
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise _too_deep()
        return data


def _too_deep() -> ParseError:
    return ParseError(f"JSON parse error - the body is nested more than {MAX_JSON_DEPTH} levels deep.")


def _depth_exceeds(data, limit: int) -> bool:
    """Whether lists/objects nest deeper than `limit`; iterative, so it cannot recurse itself."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if not isinstance(value, dict | list):
            continue
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children)
    return False
