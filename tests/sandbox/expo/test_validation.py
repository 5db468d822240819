"""Shape validation (§4.5) and the transport steps of the send pipeline (§4.4 steps 1–3)."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sandbox.expo.testing import SandboxHandle
from tests.sandbox.expo.support import SEND, messages, project_stats, send, token

FULL_MESSAGE: dict[str, Any] = {
    "to": token("full"),
    "title": "t",
    "body": "b",
    "subtitle": "s",
    "data": {"notification_id": "n-1", "nested": {"a": [1, 2]}},
    "ttl": 3600,
    "expiration": 1_900_000_000.5,
    "priority": "high",
    "sound": {"critical": True, "name": None, "volume": 0.5},
    "badge": 3,
    "interruptionLevel": "time-sensitive",
    "channelId": "reminders",
    "icon": "ic_stat",
    "richContent": {"image": "https://example.invalid/x.png"},
    "categoryId": "workout",
    "collapseId": "c",
    "tag": "t",
    "mutableContent": True,
    "_contentAvailable": False,
    "contentAvailable": True,
    "threadId": "th",
    "_displayInForeground": True,
}


def test_a_message_using_every_documented_field_is_accepted(expo: httpx.Client) -> None:
    response = send(expo, [FULL_MESSAGE, {"to": token("min")}, {"to": token("snd"), "sound": None}])
    assert response.status_code == 200
    assert [t["status"] for t in response.json()["data"]] == ["ok", "ok", "ok"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            {"to": token("x"), "priority": "urgent"},
            '"messages[1].priority" must be one of [default, normal, high]',
        ),
        ({"title": "no recipient"}, '"messages[1].to" is required'),
        ({"to": ""}, '"messages[1].to" is not allowed to be empty'),
        ({"to": []}, '"messages[1].to" must contain at least 1 items'),
        ({"to": [token("a"), 5]}, '"messages[1].to[1]" must be a string'),
        ({"to": token("x"), "title": 5}, '"messages[1].title" must be a string'),
        ({"to": token("x"), "data": [1]}, '"messages[1].data" must be of type object'),
        ({"to": token("x"), "ttl": -1}, '"messages[1].ttl" must be greater than or equal to 0'),
        ({"to": token("x"), "ttl": True}, '"messages[1].ttl" must be a number'),
        ({"to": token("x"), "badge": 1.5}, '"messages[1].badge" must be an integer'),
        ({"to": token("x"), "sound": {"volume": 2}}, '"messages[1].sound.volume" must be between 0 and 1'),
        ({"to": token("x"), "sound": 3}, '"messages[1].sound" must be a string, null or an object'),
        ({"to": token("x"), "interruptionLevel": "loud"}, '"messages[1].interruptionLevel" must be one of'),
        ({"to": token("x"), "richContent": {"image": 1}}, '"messages[1].richContent.image" must be a string'),
        ({"to": token("x"), "mutableContent": "yes"}, '"messages[1].mutableContent" must be a boolean'),
        ("not an object", '"messages[1]" must be of type object'),
    ],
)
def test_the_first_invalid_message_rejects_the_whole_request(
    expo: httpx.Client, sandbox: SandboxHandle, message: Any, expected: str
) -> None:
    # Given a valid message followed by an invalid one
    # When they are sent together
    response = send(expo, [{"to": token("fine")}, message])
    # Then the request is a 400 VALIDATION_ERROR naming the field, and nothing is accepted
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"].startswith(expected)
    assert error["details"]["path"].startswith("messages[1]")
    assert project_stats(sandbox.stats())["recipients_accepted"] == 0


def test_an_integral_float_badge_is_accepted(expo: httpx.Client) -> None:
    assert send(expo, [{"to": token("x"), "badge": 2.0}]).status_code == 200


def test_unknown_fields_are_ignored_unless_strict(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    # Given a message with a typo'd field
    body = [{"to": token("x"), "titel": "typo"}]
    # Then it is accepted by default
    assert send(expo, body).status_code == 200
    # When strict_unknown_fields is on
    sandbox.configure(strict_unknown_fields=True)
    response = send(expo, body)
    # Then it is rejected, naming the field
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == '"messages[0].titel" is not allowed'


@pytest.mark.parametrize("raw", [b"{not json", b"42", b'"str"', b"null"])
def test_bodies_that_are_not_messages_are_validation_errors(expo: httpx.Client, raw: bytes) -> None:
    response = expo.post(SEND, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "VALIDATION_ERROR"


def test_content_type_is_not_enforced(expo: httpx.Client) -> None:
    response = expo.post(
        SEND, content=json.dumps([{"to": token("x")}]), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 200


def raw_deflate(raw: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(raw) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", raw_deflate)],
    ids=["gzip", "deflate-zlib", "deflate-raw"],
)
def test_compressed_request_bodies_are_decoded(
    expo: httpx.Client, sandbox: SandboxHandle, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    # Given a large batch, compressed as the Node SDK does for bodies over 1 KiB
    raw = json.dumps(messages(100, body="Your workout starts in ten minutes")).encode()
    wire = compress(raw)
    # When it is sent with the matching Content-Encoding
    response = expo.post(SEND, content=wire, headers={"content-encoding": encoding})
    # Then all 100 recipients are accepted, and the wire/decoded sizes are recorded
    assert response.status_code == 200
    assert len(response.json()["data"]) == 100
    stats = project_stats(sandbox.stats())
    assert stats["gzip_requests"] == 1
    assert stats["bytes_in_wire"] == len(wire)
    assert stats["bytes_in_decoded"] == len(raw)


def test_a_corrupt_gzip_body_is_a_validation_error(expo: httpx.Client) -> None:
    wire = gzip.compress(b'[{"to": "x"}]')[:-6]
    response = expo.post(SEND, content=wire, headers={"content-encoding": "gzip"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "VALIDATION_ERROR"


def test_bodies_over_the_limit_get_413_even_when_they_arrive_compressed(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    # Given a 2 KiB body limit
    sandbox.configure(max_body_bytes=2048)
    raw = json.dumps(messages(60)).encode()
    assert len(raw) > 2048
    # When the body is sent plainly, or gzipped small enough on the wire
    plain = expo.post(SEND, content=raw)
    zipped = expo.post(SEND, content=gzip.compress(raw), headers={"content-encoding": "gzip"})
    # Then both are refused: the limit applies to the decoded size too (no gzip bombs)
    assert plain.status_code == 413
    assert zipped.status_code == 413
    assert project_stats(sandbox.stats())["send_requests"]["by_status"]["413"] == 2


def test_large_responses_are_gzipped_when_the_client_accepts_it(expo: httpx.Client) -> None:
    # Given a client that accepts gzip (httpx does by default)
    # When a response is larger than 1 KiB
    big = send(expo, messages(100))
    small = send(expo, messages(1))
    # Then only the large one is compressed
    assert big.headers.get("content-encoding") == "gzip"
    assert len(big.json()["data"]) == 100
    assert "content-encoding" not in small.headers


def test_responses_are_not_gzipped_when_not_negotiated(expo: httpx.Client) -> None:
    response = send(expo, messages(100), headers={"accept-encoding": "identity"})
    assert "content-encoding" not in response.headers
