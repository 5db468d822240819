"""Small helpers shared by the sandbox tests."""

from __future__ import annotations

from typing import Any

import httpx

SEND = "/--/api/v2/push/send"
RECEIPTS = "/--/api/v2/push/getReceipts"


def token(name: str, project: str | None = None) -> str:
    inner = name if project is None else f"p.{project}.{name}"
    return f"ExponentPushToken[{inner}]"


def messages(count: int, prefix: str = "user", **fields: Any) -> list[dict[str, Any]]:
    return [{"to": token(f"{prefix}-{i}"), "title": "Move!", **fields} for i in range(count)]


def send(client: httpx.Client, body: Any, **kwargs: Any) -> httpx.Response:
    return client.post(SEND, json=body, **kwargs)


def ok_ids(response: httpx.Response) -> list[str]:
    data = response.json()["data"]
    tickets = data if isinstance(data, list) else [data]
    return [t["id"] for t in tickets if t["status"] == "ok"]


def get_receipts(client: httpx.Client, ids: list[str]) -> dict[str, Any]:
    response = client.post(RECEIPTS, json={"ids": ids})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]
    return result


def project_stats(stats: dict[str, Any], project: str = "default") -> dict[str, Any]:
    result: dict[str, Any] = stats["projects"][project]
    return result


class SteppedClock:
    """The sandbox's traffic clock (rate windows, peak rates) for tests: it moves only when the test
    moves it, so a window never slides because the machine was slow."""

    def __init__(self) -> None:
        self.now_s = 1_000.0

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds
