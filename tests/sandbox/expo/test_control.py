"""The `/__sandbox/` control plane, the stats/metrics shapes and the two ways of starting the sandbox."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import pytest

from sandbox.expo.config import ConfigError
from sandbox.expo.testing import (
    REPO_ROOT,
    SandboxHandle,
    running_sandbox,
    sandbox_process,
    start_sandbox_process,
    stop_sandbox_process,
)
from tests.sandbox.expo.support import (
    SteppedClock,
    get_receipts,
    messages,
    ok_ids,
    project_stats,
    send,
    token,
)

SPEC_PROJECT_KEYS = {
    "send_requests",
    "request_errors_by_code",
    "recipients_received",
    "recipients_accepted",
    "recipients_rate_limited",
    "ticket_errors_by_code",
    "receipts_created",
    "receipts_by_outcome",
    "receipt_requests",
    "receipt_ids_requested",
    "receipt_ids_returned",
    "receipt_ids_omitted",
    "receipts_never_fetched_expired",
    "batch_size_histogram",
    "gzip_requests",
    "bytes_in_wire",
    "bytes_in_decoded",
    "peak_rate_1s",
    "current_rate_1s",
    "accepted_per_second",
    "max_concurrent_requests",
    "sends_to_dead_tokens",
    "duplicate_notifications",
    "fault_injected",
}


def test_stats_have_every_counter_the_spec_lists(
    expo: httpx.Client, sandbox: SandboxHandle, traffic_clock: SteppedClock
) -> None:
    # Given some traffic
    ids = ok_ids(send(expo, messages(3)))
    get_receipts(expo, ids)
    # When stats are read half a second later
    traffic_clock.advance(0.5)
    stats = sandbox.stats()
    # Then the spec's shape is there with live values
    assert stats["uptime_s"] > 0
    default = project_stats(stats)
    assert set(default) >= SPEC_PROJECT_KEYS
    assert set(default["send_requests"]["by_status"]) >= {"200", "400", "401", "413", "429", "5xx"}
    assert set(default["fault_injected"]) >= {"5xx", "504_after_accept", "reset"}
    assert default["recipients_accepted"] == 3
    assert default["current_rate_1s"] == 3
    assert default["receipt_ids_returned"] == 3
    assert sum(n for _, n in default["accepted_per_second"]) == 3


def test_metrics_render_the_same_counters_as_prometheus_text(
    expo: httpx.Client, sandbox: SandboxHandle
) -> None:
    # Given one accepted recipient in each of two projects
    send(expo, [{"to": token("m1")}])
    send(expo, [{"to": token("m2", "staging")}])
    # When the metrics are scraped
    text = sandbox.metrics()
    # Then each project's counters appear as labelled samples
    assert 'expo_sandbox_recipients_accepted_total{project="default"} 1' in text
    assert 'expo_sandbox_recipients_accepted_total{project="staging"} 1' in text
    assert 'expo_sandbox_send_requests_by_status_total{project="default",status="200"} 1' in text
    assert "# TYPE expo_sandbox_peak_rate_1s gauge" in text
    # every family is declared once, before its samples
    type_lines = [line for line in text.splitlines() if line.startswith("# TYPE")]
    assert len(type_lines) == len(set(type_lines))


def test_reset_clears_state_but_keeps_config(expo: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.configure(receipt_delay_ms=1234)
    ids = ok_ids(send(expo, messages(2)))
    sandbox.reset()
    assert sandbox.config()["receipt_delay_ms"] == 1234
    assert project_stats(sandbox.stats())["recipients_accepted"] == 0
    assert sandbox.receipt(ids[0]) is None
    assert sandbox.messages() == []


@pytest.mark.parametrize(
    "patch", [{"no_such_key": 1}, {"fault_5xx_rate": 2}, {"rate_limit_window_ms": 15}, {"latency_ms": "x"}]
)
def test_bad_config_patches_are_refused_and_change_nothing(
    sandbox: SandboxHandle, patch: dict[str, object]
) -> None:
    before = sandbox.config()
    with pytest.raises(httpx.HTTPStatusError) as caught:
        sandbox.configure(**patch)
    assert caught.value.response.status_code == 400
    assert sandbox.config() == before


def test_unknown_control_paths_and_methods(sandbox: SandboxHandle) -> None:
    with httpx.Client(base_url=sandbox.base_url, trust_env=False) as client:
        assert client.get("/__sandbox/healthz").json() == {"ok": True}
        assert client.get("/__sandbox/nope").status_code == 404
        assert client.get("/__sandbox/reset").status_code == 405


def test_running_sandbox_serves_with_the_given_config_and_rejects_unknown_config() -> None:
    # When a sandbox is started in-thread
    with running_sandbox(rate_limit_per_second=5) as sandbox:
        # Then it is serving, with the given config
        assert sandbox.healthz()
        assert sandbox.config()["rate_limit_per_second"] == 5
    # And a typo in a config key fails before anything starts
    with pytest.raises(ConfigError), running_sandbox(rate_limit_per_secnd=5):
        pass  # pragma: no cover


def test_start_sandbox_process_reads_flags_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an env var for one key and a keyword (CLI flag) for another, plus one overridden by both
    monkeypatch.setenv("EXPO_SANDBOX_RECEIPT_DELAY_MS", "1500")
    monkeypatch.setenv("EXPO_SANDBOX_SEED", "1")
    # When the sandbox runs as a subprocess
    proc, base_url = start_sandbox_process(rate_limit_per_second=42, seed=9, virtual_clock=True)
    try:
        # Then it listens on loopback and uses env < flags precedence
        assert base_url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=base_url, trust_env=False) as client:
            config = client.get("/__sandbox/config").json()
            # And config can still be changed at runtime
            patched = client.post("/__sandbox/config", json={"latency_ms": 5}).json()
        assert (config["rate_limit_per_second"], config["receipt_delay_ms"], config["seed"]) == (42, 1500, 9)
        assert config["virtual_clock"] is True
        assert patched["latency_ms"] == 5
    finally:
        stop_sandbox_process(proc)
    # And SIGTERM stopped it gracefully (uvicorn re-raises the signal after shutdown), not a SIGKILL
    assert proc.returncode in (0, -signal.SIGTERM)


def test_module_entry_point_prints_the_listening_line() -> None:
    with sandbox_process() as base_url, httpx.Client(base_url=base_url, trust_env=False) as client:
        assert client.get("/__sandbox/healthz").status_code == 200


def test_invalid_flags_exit_with_an_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.expo", "--fault-5xx-rate", "7"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "fault_5xx_rate" in result.stderr
