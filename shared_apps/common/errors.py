"""The one error type services raise; the exception handler turns it into the API's error shape."""


class ApplicationError(Exception):
    """A business rule refused the operation.

    `code` is stable and documented (e.g. "slot_taken"); `status` is the HTTP status the API answers with.
    """

    def __init__(self, code: str, message: str, *, status: int = 400, fields: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or {}


class NotFound(ApplicationError):
    """Missing, or not visible to this user: both look the same from outside."""

    def __init__(self, message: str = "Not found."):
        super().__init__("not_found", message, status=404)


class Conflict(ApplicationError):
    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(code, message, status=409, fields=fields)
