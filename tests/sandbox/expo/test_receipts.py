"""Receipt lifecycle, the dead-token registry, duplicates and the debugging endpoints (§4.6, §4.7, §4.10)."""

from __future__ import annotations

import httpx

from sandbox.expo.testing import SandboxHandle
from tests.sandbox.expo.support import get_receipts, messages, ok_ids, project_stats, send, token


def test_receipts_are_omitted_until_visible(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    # Given receipts that take 2 s to appear, on a frozen clock
    sandbox.configure(virtual_clock=True, receipt_delay_ms=2000)
    ids = ok_ids(send(expo, messages(3)))
    # When they are polled before and after the delay
    early = get_receipts(expo, ids)
    sandbox.advance_clock(2)
    late = get_receipts(expo, ids)
    # Then pending ids are simply left out (never an empty object), then all appear
    assert early == {}
    assert late == {i: {"status": "ok"} for i in ids}
    stats = project_stats(sandbox.stats())
    assert stats["receipt_ids_omitted"] == 3
    assert stats["receipt_ids_returned"] == 3
    assert stats["receipt_requests"] == 2


def test_unknown_ids_are_omitted(expo: httpx.Client) -> None:
    assert get_receipts(expo, ["019b909b-e55c-7a0a-8000-000000000000"]) == {}


def test_receipts_are_purged_after_the_ttl_and_unread_ones_are_counted(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    # Given three receipts, one of which the poller reads
    ids = ok_ids(send(expo, messages(3)))
    get_receipts(expo, ids[:1])
    # When 24 h pass
    sandbox.advance_clock(86_400)
    # Then all are gone, and the two never read count as missed by the poller
    assert get_receipts(expo, ids) == {}
    assert sandbox.receipt(ids[0]) is None
    assert project_stats(sandbox.stats())["receipts_never_fetched_expired"] == 2


def test_receipts_survive_until_just_before_the_ttl(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    ids = ok_ids(send(expo, messages(1)))
    sandbox.advance_clock(86_390)
    assert set(get_receipts(expo, ids)) == set(ids)


def test_a_fetched_dnr_receipt_makes_later_sends_fail_at_ticket_level(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    # Given a token that Expo will report dead in its receipt
    tok = token("dnr-phone")
    first = send(expo, [{"to": tok, "data": {"notification_id": "1"}}])
    # When a send goes out before the receipt was read, then the receipt is read, then two more sends
    before_read = send(expo, [{"to": tok, "data": {"notification_id": "2"}}]).json()["data"][0]
    receipt = get_receipts(expo, ok_ids(first))[ok_ids(first)[0]]
    after_read = [send(expo, [{"to": tok, "data": {"notification_id": n}}]).json()["data"][0] for n in "34"]
    # Then the receipt is DNR, sends before the read still get ok tickets, later ones a ticket-level DNR,
    # and both later sends count as hygiene failures
    assert receipt["details"] == {"error": "DeviceNotRegistered", "expoPushToken": tok}
    assert before_read["status"] == "ok"
    assert [t["details"]["error"] for t in after_read] == ["DeviceNotRegistered"] * 2
    assert project_stats(sandbox.stats())["sends_to_dead_tokens"] == 2
    # When the device registers again
    sandbox.register([tok])
    # Then it gets ok tickets again
    assert send(expo, [{"to": tok}]).json()["data"][0]["status"] == "ok"


def test_manually_unregistered_tokens_count_as_hygiene_failures_only_after_the_client_was_told(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    tok = token("uninstalled")
    sandbox.unregister([tok])
    first = send(expo, [{"to": tok}]).json()["data"][0]
    assert project_stats(sandbox.stats())["sends_to_dead_tokens"] == 0
    second = send(expo, [{"to": tok}]).json()["data"][0]
    assert first["details"]["error"] == second["details"]["error"] == "DeviceNotRegistered"
    assert project_stats(sandbox.stats())["sends_to_dead_tokens"] == 1


def test_duplicates_are_counted_by_token_and_notification_id(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    a, b = token("a"), token("b")
    send(expo, [{"to": a, "data": {"notification_id": "n1"}}, {"to": b, "data": {"notification_id": "n1"}}])
    send(expo, [{"to": a, "data": {"notification_id": "n1"}}])  # duplicate
    send(expo, [{"to": a, "data": {"notification_id": "n2"}}])  # new id
    assert project_stats(sandbox.stats())["duplicate_notifications"] == 1


def test_duplicates_fall_back_to_the_content_when_there_is_no_notification_id(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    a = token("a")
    send(expo, [{"to": a, "title": "Run", "body": "now", "data": {"k": 1}}])
    send(expo, [{"to": a, "title": "Run", "body": "now", "data": {"k": 1}}])  # duplicate
    send(expo, [{"to": a, "title": "Run", "body": "later", "data": {"k": 1}}])
    assert project_stats(sandbox.stats())["duplicate_notifications"] == 1


def test_duplicates_are_only_counted_within_24_hours(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    body = [{"to": token("a"), "data": {"notification_id": "n1"}}]
    send(expo, body)
    sandbox.advance_clock(86_401)
    send(expo, body)
    assert project_stats(sandbox.stats())["duplicate_notifications"] == 0


def test_the_message_log_keeps_payloads_as_received(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    # Given a send with an unknown extra field and a list recipient
    payload = {"to": [token("a"), token("b")], "title": "hi", "x-extra": {"kept": True}}
    ids = ok_ids(send(expo, [payload]))
    # When the log is queried for one recipient
    logged = sandbox.messages(to=token("b"))
    # Then it shows that recipient's ticket id and the whole payload
    assert len(logged) == 1
    assert logged[0]["ticket_id"] == ids[1]
    assert logged[0]["project"] == "default"
    assert logged[0]["message"] == payload
    assert len(sandbox.messages()) == 2
    assert sandbox.messages(limit=1)[0]["to"] == token("b")


def test_the_receipt_debug_endpoint_shows_pending_records(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.configure(virtual_clock=True, receipt_delay_ms=60_000)
    receipt_id = ok_ids(send(expo, [{"to": token("dnr-x")}]))[0]
    record = sandbox.receipt(receipt_id)
    assert record is not None
    assert record["state"] == "pending"
    assert record["outcome"] == "DeviceNotRegistered"
    assert record["token"] == token("dnr-x")
    assert sandbox.receipt("no-such-id") is None
