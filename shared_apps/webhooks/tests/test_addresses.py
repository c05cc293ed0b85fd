"""The address rule of the SSRF guard, address by address."""

import ipaddress

import pytest

from shared_apps.webhooks.addresses import is_public

REFUSED = [
    "127.0.0.1",
    "127.8.8.8",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # the cloud metadata address
    "100.64.0.1",  # shared (carrier-grade NAT)
    "0.0.0.0",  # noqa: S104 - an address refused, not bound
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "198.18.0.1",  # benchmarking
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",  # site-local (deprecated, still routed inside some networks)
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2001::1",  # Teredo
]
ALLOWED = ["93.184.216.34", "8.8.8.8", "2606:4700::6810:84e5", "2002:808:808::"]


@pytest.mark.parametrize("address", REFUSED)
def test_refused(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_allowed(address):
    assert is_public(ipaddress.ip_address(address))


def test_an_internationalized_host_is_looked_up_and_sent_in_its_idna_form(public_dns, settings):
    from shared_apps.webhooks.addresses import target_of

    settings.WEBHOOK_ALLOW_PRIVATE = False
    public_dns["xn--bcher-kva.example"] = "2606:4700::6810:84e5"
    target = target_of("https://bücher.example:8443/in?x=1")
    assert (target.host, target.port, target.path) == ("xn--bcher-kva.example", 8443, "/in?x=1")
    assert target.addresses == ("2606:4700::6810:84e5",)


def test_idna_2008_with_uts46_mapping(public_dns, settings):
    """As browsers and current resolvers do: "ß" is kept (IDNA 2003 would make it "ss", another domain), and
    capitals are mapped to small letters."""
    from shared_apps.webhooks.addresses import target_of

    public_dns["xn--strae-oqa.de"] = "2606:4700::6810:84e5"
    assert target_of("https://STRAßE.de/in").host == "xn--strae-oqa.de"


def test_a_trailing_dot_is_refused_after_idna_mapping(public_dns):
    from shared_apps.webhooks.addresses import Refused, target_of

    public_dns["xn--bcher-kva.example."] = "2606:4700::6810:84e5"
    with pytest.raises(Refused, match="trailing dot"):
        target_of("https://bücher.example\u3002/in")  # an ideographic full stop, a dot once mapped
