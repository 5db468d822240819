"""Protocol-true local Expo push sandbox (see /work/shared/docs/expo.md §4).

Run it with `python -m sandbox.expo`, or in tests with `sandbox.expo.testing.running_sandbox`.
"""

from .app import SandboxApp, create_app
from .config import ConfigError, SandboxConfig, load_config

__all__ = ["ConfigError", "SandboxApp", "SandboxConfig", "create_app", "load_config"]
