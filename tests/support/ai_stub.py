"""Settings whose model is the test session's OpenAI stub (the `openai_stub` fixture):

app = create_app(settings_with_stub(settings, openai_stub), database=database)
model = build_text_model(settings_with_stub(settings, openai_stub), redis)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sandbox.openai.testing import StubHandle
from settings import Settings

STUB_API_KEY = "sk-test-stub"


def settings_with_stub(settings: Settings, stub: StubHandle, **changes: Any) -> Settings:
    """`changes` are further settings fields, e.g. `openai_timeout_seconds=2`.

    No per-minute budget unless `openai_calls_per_minute` is given: the budget's Redis counter is
    shared by the whole session, so one test's calls would otherwise spend another's.
    """
    return replace(
        settings,
        **{
            "openai_api_key": STUB_API_KEY,
            "openai_base_url": stub.base_url,
            "openai_calls_per_minute": 0,
            **changes,
        },
    )
