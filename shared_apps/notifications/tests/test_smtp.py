"""The production email path: Django's SMTP backend against a real SMTP server on loopback (aiosmtpd in a thread),
which requires STARTTLS (a self-signed certificate made here, trusted through SSL_CERT_FILE) and AUTH after it.

Tasks run in this process (`apply()`), so the rows stay in the test's transaction.
"""

import smtplib
import ssl
import subprocess
from email import message_from_bytes
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from celery.exceptions import Retry

from shared_apps.notifications.failures import delivery_error_is_permanent
from shared_apps.notifications.models import Notification
from shared_apps.notifications.services import notification_queue
from shared_apps.notifications.tasks import notification_send

pytestmark = pytest.mark.django_db

SMTP_USER = "rhms-mailer"
SMTP_PASSWORD = "smtp-test-only-password"  # pragma: allowlist secret


class RecordingHandler:
    """Accepts every message, except recipients told to be refused with a given reply, once or always."""

    def __init__(self):
        self.messages = []
        self.refusals = {}  # address → (reply, times; None = always)
        self.refused = []

    def refuse(self, address: str, reply: str, times: int | None = None) -> None:
        self.refusals[address] = (reply, times)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refusals:
            reply, times = self.refusals[address]
            if times is None or times > 0:
                self.refusals[address] = (reply, None if times is None else times - 1)
                self.refused.append((address, reply))
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "rcpt_tos": list(envelope.rcpt_tos),
                "message": message_from_bytes(envelope.content),
                "tls": session.ssl is not None,
                "login": session.auth_data,
            }
        )
        return "250 Message accepted"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, auth_data=auth_data.login.decode() if ok else None)


class LoopbackController(Controller):
    """aiosmtpd's threaded controller on a free port chosen by the kernel (port 0)."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (cert path, key path)."""
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [  # noqa: S607 - the system's openssl
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def smtp_server(certificate, settings, monkeypatch):
    """The SMTP server's handler; Django's SMTP backend is configured to reach it with STARTTLS and AUTH."""
    cert, key = certificate
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    handler = RecordingHandler()
    controller = LoopbackController(
        handler,
        hostname="127.0.0.1",
        port=0,
        tls_context=tls,
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client verifies the server's certificate against it
    monkeypatch.setitem(notification_send.app.conf, "task_eager_propagates", False)  # a retry ends the run
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = True, False
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = SMTP_USER, SMTP_PASSWORD
    settings.EMAIL_TIMEOUT = 5
    yield handler
    controller.stop()


@pytest.fixture
def acknowledgement(alpha):
    """An outbox row: the registration acknowledgement of hospital alpha, to its applicant."""
    return notification_queue(
        channel="email",
        recipient="applicant@example.com",
        template="hospital_registered",
        context={"hospital_id": alpha.pk},
        hospital=alpha,
    )


def send(notification: Notification) -> mock.MagicMock:
    """Run the send task once, as a worker would; a retry it asks for is recorded, not run (the broker would deliver
    it later). Returns the retry mock."""
    with mock.patch.object(notification_send, "retry", side_effect=Retry()) as retry:
        notification_send.apply(args=[notification.pk])
    notification.refresh_from_db()
    return retry


def test_a_notification_goes_out_over_starttls_with_auth(smtp_server, acknowledgement):
    retry = send(acknowledgement)

    assert (acknowledgement.status, acknowledgement.attempts) == ("sent", 1)
    retry.assert_not_called()
    [received] = smtp_server.messages
    assert received["rcpt_tos"] == ["applicant@example.com"]
    assert received["message"]["To"] == "applicant@example.com"
    assert received["message"]["Subject"] == "We received your application, Alpha General"
    assert (received["tls"], received["login"]) == (True, SMTP_USER)


def test_a_recipient_refused_for_now_is_retried_and_then_delivered(smtp_server, acknowledgement):
    smtp_server.refuse("applicant@example.com", "450 4.2.1 Mailbox busy, try again later", times=1)

    retry = send(acknowledgement)

    retry.assert_called_once()
    assert (acknowledgement.status, acknowledgement.attempts) == ("queued", 1)
    assert "450" in acknowledgement.last_error
    assert smtp_server.messages == []

    send(acknowledgement)  # the retry, delivered by the broker after its countdown

    assert (acknowledgement.status, acknowledgement.attempts) == ("sent", 2)
    assert [m["rcpt_tos"] for m in smtp_server.messages] == [["applicant@example.com"]]


def test_a_recipient_refused_for_good_is_failed_at_once_with_the_reason(smtp_server, acknowledgement):
    smtp_server.refuse("applicant@example.com", "550 5.1.1 No such user here")

    retry = send(acknowledgement)

    retry.assert_not_called()
    assert (acknowledgement.status, acknowledgement.attempts) == ("failed", 1)
    assert "550" in acknowledgement.last_error
    assert "No such user here" in acknowledgement.last_error
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"No such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (452, b"Mailbox full")}), False),
        (smtplib.SMTPDataError(554, b"Message rejected"), True),
        (smtplib.SMTPDataError(451, b"Try later"), False),
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), False),  # ours to fix; retrying may then work
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
    ],
)
def test_only_a_final_refusal_of_the_message_or_its_recipient_is_permanent(error, permanent):
    assert delivery_error_is_permanent(error) is permanent
