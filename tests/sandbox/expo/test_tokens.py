"""Deterministic token behaviours, projects and payload-size checks (spec §4.6)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.expo.testing import SandboxHandle
from tests.sandbox.expo.support import get_receipts, ok_ids, project_stats, send, token

DNR_TICKET_MESSAGE = '"{tok}" is not a registered push notification recipient'


@pytest.mark.parametrize(
    ("prefix", "receipt_error", "extra_details"),
    [
        ("", None, {}),
        ("dnr-", "DeviceNotRegistered", {"expoPushToken": "<token>"}),
        ("toobig-", "MessageTooBig", {}),
        ("rate-", "MessageRateExceeded", {}),
        ("mismatch-", "MismatchSenderId", {}),
        ("provider-", "ProviderError", {"fault": "fcm", "fcm": {"error": "MismatchSenderId"}}),
        ("badcreds-", "InvalidCredentials", {}),
        ("expoerr-", "ExpoError", {}),
    ],
)
def test_behaviour_prefix_gives_an_ok_ticket_and_the_documented_receipt(
    expo: httpx.Client, sandbox: SandboxHandle, prefix: str, receipt_error: str | None, extra_details: Any
) -> None:
    # Given a token whose inner part starts with the behaviour prefix
    tok = token(f"{prefix}device-1")
    # When a notification is sent and its receipt fetched
    ticket = send(expo, [{"to": tok, "title": "hi"}]).json()["data"][0]
    receipts = get_receipts(expo, [ticket["id"]])
    # Then the ticket is ok and the receipt carries the behaviour's outcome
    assert ticket["status"] == "ok"
    receipt = receipts[ticket["id"]]
    if receipt_error is None:
        assert receipt == {"status": "ok"}
        return
    assert receipt["status"] == "error"
    assert receipt["message"]
    expected = {k: (tok if v == "<token>" else v) for k, v in extra_details.items()}
    assert receipt["details"] == {"error": receipt_error, **expected}
    assert project_stats(sandbox.stats())["receipts_by_outcome"][receipt_error] == 1


def test_dnr_ticket_prefix_gives_an_error_ticket_without_an_id(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    tok = token("dnr-ticket-1")
    ticket = send(expo, [{"to": tok}]).json()["data"][0]
    assert ticket == {
        "status": "error",
        "message": DNR_TICKET_MESSAGE.format(tok=tok),
        "details": {"error": "DeviceNotRegistered", "expoPushToken": tok},
    }
    stats = project_stats(sandbox.stats())
    assert stats["ticket_errors_by_code"]["DeviceNotRegistered"] == 1
    assert stats["receipts_created"] == 0


def test_malformed_tokens_get_a_per_ticket_error_not_a_request_error(expo: httpx.Client) -> None:
    response = send(expo, [{"to": "not-a-token"}, {"to": token("good")}])
    assert response.status_code == 200
    bad, good = response.json()["data"]
    assert bad["status"] == "error"
    assert bad["message"] == '"not-a-token" is not a valid Expo push token'
    assert "id" not in bad
    assert good["status"] == "ok"


@pytest.mark.parametrize(
    "tok", ["ExpoPushToken[abc]", "ExponentPushToken[abc]", "0b6f6d6e-1c2b-4b35-9a8e-2f1f1b6f0a11"]
)
def test_all_token_shapes_accepted_by_the_node_sdk_are_well_formed(expo: httpx.Client, tok: str) -> None:
    assert send(expo, [{"to": tok}]).json()["data"][0]["status"] == "ok"


def test_noreceipt_tokens_never_get_a_receipt(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    ids = ok_ids(send(expo, [{"to": token("noreceipt-1")}]))
    sandbox.advance_clock(3600)
    assert get_receipts(expo, ids) == {}
    assert project_stats(sandbox.stats())["receipts_lost"] == 1


def test_slow_tokens_get_their_receipt_20_minutes_later(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    # Given a frozen clock and a slow- token
    sandbox.configure(virtual_clock=True)
    ids = ok_ids(send(expo, [{"to": token("slow-1")}, {"to": token("fast-1")}]))
    # When receipts are polled straight away, then after 19 and 21 minutes
    now = get_receipts(expo, ids)
    sandbox.advance_clock(19 * 60)
    later = get_receipts(expo, ids)
    sandbox.advance_clock(2 * 60)
    much_later = get_receipts(expo, ids)
    # Then the slow receipt only shows up after 20 minutes
    assert set(now) == {ids[1]}
    assert set(later) == {ids[1]}
    assert set(much_later) == set(ids)


def test_flaky_tokens_alternate_ok_and_message_rate_exceeded(expo: httpx.Client) -> None:
    tok = token("flaky-1")
    ids = [ok_ids(send(expo, [{"to": tok, "data": {"notification_id": n}}]))[0] for n in range(4)]
    receipts = get_receipts(expo, ids)
    outcomes = [receipts[i].get("details", {}).get("error", "ok") for i in ids]
    assert outcomes == ["ok", "MessageRateExceeded", "ok", "MessageRateExceeded"]


def test_payloads_over_4096_bytes_are_accepted_then_fail_in_the_receipt(expo: httpx.Client) -> None:
    # Given one message whose data is far over the provider limit, and one just under it
    big = {"to": token("big"), "data": {"blob": "x" * 5000}}
    fine = {"to": token("fine"), "data": {"blob": "x" * 3900}}
    # When both are sent
    response = send(expo, [big, fine])
    # Then both tickets are ok (Expo accepted them) but the big one's receipt is MessageTooBig
    assert [t["status"] for t in response.json()["data"]] == ["ok", "ok"]
    big_id, fine_id = ok_ids(response)
    receipts = get_receipts(expo, [big_id, fine_id])
    assert receipts[big_id]["details"]["error"] == "MessageTooBig"
    assert receipts[fine_id] == {"status": "ok"}


def test_dnr_fraction_picks_the_same_tokens_every_time(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    # Given 20% of tokens dead on receipt
    sandbox.configure(dnr_fraction=0.2)
    tokens = [token(f"churn-{i}") for i in range(100)]

    def dead_tokens() -> set[str]:
        response = send(expo, [{"to": t, "data": {"notification_id": "x"}} for t in tokens])
        receipts = get_receipts(expo, ok_ids(response))
        ids = ok_ids(response)
        return {t for t, i in zip(tokens, ids, strict=True) if receipts[i]["status"] == "error"}

    # When the same tokens are sent twice, with a reset in between
    first = dead_tokens()
    sandbox.reset()
    second = dead_tokens()
    # Then the same tokens are dead both times, at roughly the configured rate
    assert first == second
    assert 8 <= len(first) <= 35


def test_project_prefix_routes_counters_to_that_project(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    send(expo, [{"to": token("a", "staging")}, {"to": token("dnr-b", "staging")}])
    stats = sandbox.stats()["projects"]
    assert stats["staging"]["recipients_accepted"] == 2
    assert stats["default"]["recipients_accepted"] == 0
