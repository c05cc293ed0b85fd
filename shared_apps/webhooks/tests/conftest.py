import pytest

from shared_apps.webhooks.tests.receiver import start_receiver


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    if receiver.hold is not None:
        receiver.hold.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def public_dns(monkeypatch):
    """DNS as the tests say: `public_dns["hooks.example.com"] = "203.0.113.9"` (or a list of addresses). Lookups
    leave the machine (the one thing mocked); an address stands for itself, as with a real resolver; any other
    name does not resolve."""
    import ipaddress
    import socket

    answers: dict[str, str] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            answers.setdefault(host, host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = [answers[host]] if isinstance(answers[host], str) else answers[host]
        return [
            (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in addresses
        ]

    monkeypatch.setattr("shared_apps.webhooks.addresses.socket.getaddrinfo", getaddrinfo)
    return answers
