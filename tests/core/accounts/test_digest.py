"""Digest authentication: the RFC 2617 vector, nonce signing and expiry."""

from server.core.accounts import digest


def test_rfc2617_worked_example_gives_the_published_response() -> None:
    params = {
        "username": "Mufasa",
        "realm": "testrealm@host.com",
        "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        "uri": "/dir/index.html",
        "qop": "auth",
        "nc": "00000001",
        "cnonce": "0a4f113b",
    }
    ha1 = digest._md5("Mufasa:testrealm@host.com:Circle Of Life")
    assert digest.expected_response(ha1, "GET", params) == "6629fae49393a05397450978507c4ef1"


def test_nonce_is_accepted_fresh_stale_later_and_rejected_when_forged() -> None:
    nonce = digest.make_nonce("k", now=1000)
    assert digest.nonce_state("k", nonce, now=1010) == "ok"
    assert digest.nonce_state("k", nonce, now=1000 + digest.NONCE_LIFETIME_SECONDS + 1) == "stale"
    assert digest.nonce_state("other-key", nonce, now=1010) == "bad"
    assert digest.nonce_state("k", "garbage", now=1010) == "bad"
    stamp, salt, sig = nonce.split(".")
    assert digest.nonce_state("k", f"{stamp}.{salt}0.{sig}", now=1010) == "bad"  # the random part is signed
    assert digest.make_nonce("k", now=1000) != nonce  # same second, another nonce


def test_authorization_header_parsing_handles_quotes_and_bare_values() -> None:
    parsed = digest.parse_authorization(
        'username="a b", realm="chumchon", nonce="1.x", uri="/formList?deviceID=collect%3Aabc", '
        'qop=auth, nc=00000001, cnonce="c", response="r", algorithm=MD5'
    )
    assert parsed["username"] == "a b"
    assert parsed["uri"] == "/formList?deviceID=collect%3Aabc"
    assert parsed["qop"] == "auth" and parsed["nc"] == "00000001" and parsed["algorithm"] == "MD5"
