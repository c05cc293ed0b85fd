"""Which delivery errors are worth retrying.

SMTP replies in the 4xx range are transient (mailbox busy, greylisting, a full queue) and the 5xx replies that
concern this message or its recipient are permanent: the same message to the same address will be refused again.
A 5xx about our own account (authentication, sender address) is left to retry, so a configuration fix made within
the backoff still delivers.
"""

import smtplib


def delivery_error_is_permanent(exc: Exception) -> bool:
    """True when retrying cannot help: the server refused every recipient, or the message, for good."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(_permanent(code) for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return _permanent(exc.smtp_code)
    return False


def _permanent(code: int) -> bool:
    return 500 <= code < 600
