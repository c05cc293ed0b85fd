"""https deliveries: the certificate is verified against the URL's host name, while the connection goes to the
address that was checked (here 127.0.0.1, which the test's DNS gives for hooks.example.test)."""

import ssl
import subprocess

import pytest

from shared_apps.webhooks.models import Attempt, DeliveryStatus
from shared_apps.webhooks.services import delivery_send, endpoint_create
from shared_apps.webhooks.tests.receiver import start_receiver
from shared_apps.webhooks.tests.test_delivery import booked, only_delivery

pytestmark = pytest.mark.django_db
HOST = "hooks.example.test"


def self_signed(folder, name: str):
    """A self-signed certificate for `name` (openssl, as on any Debian machine): (cert file, key file)."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"), HOST)


@pytest.fixture(scope="module")
def other_certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls-other"), "other.example.test")


def receiving_with(certificate):
    """A TLS receiver showing `certificate`; its `.server_names` lists the name (SNI) each client asked for."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server_names = []
    context.sni_callback = lambda connection, name, context: server_names.append(name)
    receiver, server = start_receiver(tls_context=context)
    receiver.server_names = server_names
    return receiver, server


@pytest.fixture
def tls_receiver(certificate):
    receiver, server = receiving_with(certificate)
    yield receiver
    server.shutdown()
    server.server_close()


def deliver(as_user, alpha, alpha_admin, patient, public_dns, receiver):
    public_dns[HOST] = "127.0.0.1"
    endpoint = endpoint_create(
        actor=alpha_admin, hospital=alpha, url=f"https://{HOST}:{receiver.port}/in", events=["appointment.booked"]
    )
    booked(as_user, patient, alpha)
    return delivery_send(delivery_id=only_delivery(endpoint).pk)


def test_an_untrusted_certificate_fails_the_attempt(as_user, alpha, alpha_admin, patient, public_dns, tls_receiver):
    sent = deliver(as_user, alpha, alpha_admin, patient, public_dns, tls_receiver)
    assert sent.status == DeliveryStatus.PENDING
    assert Attempt.objects.get().error.startswith("TLS failed: the certificate is not trusted")
    assert not tls_receiver.requests


def test_a_trusted_certificate_for_the_host_delivers_to_the_checked_address(
    as_user, alpha, alpha_admin, patient, public_dns, tls_receiver, certificate, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust it, as a public CA's would be
    sent = deliver(as_user, alpha, alpha_admin, patient, public_dns, tls_receiver)
    assert sent.status == DeliveryStatus.SUCCEEDED, Attempt.objects.get().error
    (request,) = tls_receiver.requests
    assert request.headers["Host"] == f"{HOST}:{tls_receiver.port}"
    assert tls_receiver.server_names == [HOST]  # SNI names the URL's host, not the address connected to


def test_a_trusted_certificate_for_another_name_fails_the_attempt(
    as_user, alpha, alpha_admin, patient, public_dns, other_certificate, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(other_certificate[0]))  # trusted, but for other.example.test
    receiver, server = receiving_with(other_certificate)
    try:
        sent = deliver(as_user, alpha, alpha_admin, patient, public_dns, receiver)
    finally:
        server.shutdown()
        server.server_close()
    assert sent.status == DeliveryStatus.PENDING
    assert Attempt.objects.get().error == "TLS failed: the certificate is not valid for the URL's host name."
    assert not receiver.requests
