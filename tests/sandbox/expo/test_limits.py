"""Request limits and response shapes of the Expo-compatible endpoints (spec §4.3, §4.4, §4.7, §4.11.4)."""

from __future__ import annotations

import httpx
import pytest

from sandbox.expo.testing import SandboxHandle
from tests.sandbox.expo.support import RECEIPTS, SEND, messages, ok_ids, project_stats, send, token


def test_exactly_100_recipients_are_accepted(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    # Given a batch of exactly 100 single-recipient messages
    batch = messages(100)
    # When it is sent
    response = send(expo, batch)
    # Then every recipient gets an ok ticket, in order, with distinct time-ordered ids
    assert response.status_code == 200
    tickets = response.json()["data"]
    assert len(tickets) == 100
    assert all(t["status"] == "ok" for t in tickets)
    ids = [t["id"] for t in tickets]
    assert len(set(ids)) == 100
    assert all(i[14] == "7" and i[19] in "89ab" for i in ids)  # UUID v7 version and variant
    assert project_stats(sandbox.stats())["batch_size_histogram"]["100"] == 1


def test_101_recipients_are_rejected_with_the_exact_expo_message(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    # Given 101 messages
    # When they are sent in one request
    response = send(expo, messages(101))
    # Then the whole request is refused, with Expo's wording and nothing accepted
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "code": "PUSH_TOO_MANY_NOTIFICATIONS",
                "message": "You can send a maximum of 100 notifications per request (received 101); "
                "divide your requests.",
            }
        ]
    }
    stats = project_stats(sandbox.stats())
    assert stats["recipients_accepted"] == 0
    assert stats["recipients_received"] == 101
    assert stats["request_errors_by_code"]["PUSH_TOO_MANY_NOTIFICATIONS"] == 1


def test_recipients_are_counted_per_token_not_per_message(expo: httpx.Client) -> None:
    # Given one message to a list of 60 tokens plus 41 single messages: 42 messages, 101 recipients
    body = [{"to": [token(f"list-{i}") for i in range(60)], "body": "hi"}, *messages(41)]
    # When it is sent
    response = send(expo, body)
    # Then it is refused as 101 notifications
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "PUSH_TOO_MANY_NOTIFICATIONS"
    assert "(received 101)" in error["message"]


def test_list_to_gets_one_ticket_per_recipient_in_flattened_order(expo: httpx.Client) -> None:
    # Given a list message followed by a single one
    body = [{"to": [token("a"), token("dnr-ticket-b")]}, {"to": token("c")}]
    # When it is sent
    tickets = send(expo, body).json()["data"]
    # Then tickets follow the flattened recipient order
    assert [t["status"] for t in tickets] == ["ok", "error", "ok"]
    assert tickets[1]["details"]["expoPushToken"] == token("dnr-ticket-b")


def test_single_object_body_gets_a_single_ticket_object(expo: httpx.Client) -> None:
    # Given a body that is one message object with a string `to`
    # When it is sent
    response = send(expo, {"to": token("solo"), "title": "hi"})
    # Then `data` is the ticket itself, not an array
    data = response.json()["data"]
    assert isinstance(data, dict)
    assert data["status"] == "ok"
    assert set(data) == {"status", "id"}


def test_single_object_with_a_list_to_still_gets_an_array(expo: httpx.Client) -> None:
    response = send(expo, {"to": [token("x"), token("y")]})
    assert [t["status"] for t in response.json()["data"]] == ["ok", "ok"]


def test_empty_array_gets_empty_data(expo: httpx.Client) -> None:
    response = send(expo, [])
    assert response.status_code == 200
    assert response.json() == {"data": []}


def test_mixed_projects_are_rejected_with_tokens_grouped_by_experience(expo: httpx.Client) -> None:
    # Given tokens from two projects in one request
    body = [{"to": token("a", "alpha")}, {"to": [token("b", "beta"), token("c", "alpha")]}]
    # When it is sent
    response = send(expo, body)
    # Then it is refused and the details group tokens per experience id
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "PUSH_TOO_MANY_EXPERIENCE_IDS"
    assert error["details"] == {
        "@sandbox/alpha": [token("a", "alpha"), token("c", "alpha")],
        "@sandbox/beta": [token("b", "beta")],
    }


def test_1000_receipt_ids_are_accepted_and_1001_are_not(expo: httpx.Client) -> None:
    # Given 1000 tickets
    ids = [i for start in range(0, 1000, 100) for i in ok_ids(send(expo, messages(100, f"r{start}")))]
    assert len(ids) == 1000
    # When all 1000 ids are requested at once
    ok = expo.post(RECEIPTS, json={"ids": ids})
    # Then all receipts come back
    assert ok.status_code == 200
    assert len(ok.json()["data"]) == 1000
    # When 1001 ids are requested
    too_many = expo.post(RECEIPTS, json={"ids": [*ids, ids[0]]})
    # Then the request is refused
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["code"] == "PUSH_TOO_MANY_RECEIPTS"


@pytest.mark.parametrize("body", [[1, 2], {"ids": "nope"}, {"ids": [1]}, {"other": []}])
def test_malformed_receipt_requests_are_validation_errors(expo: httpx.Client, body: object) -> None:
    response = expo.post(RECEIPTS, json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("path", [SEND, RECEIPTS])
def test_get_on_expo_routes_is_405(expo: httpx.Client, path: str) -> None:
    response = expo.get(path)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_unknown_api_path_is_404_with_an_errors_body(expo: httpx.Client) -> None:
    response = expo.post("/--/api/v2/push/sendd", json=[])
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NOT_FOUND"


def test_use_fcm_v1_query_is_accepted_and_ignored(expo: httpx.Client) -> None:
    response = expo.post(SEND, params={"useFcmV1": "true"}, json=[{"to": token("q")}])
    assert response.status_code == 200
