"""Protocol-true local Expo push sandbox (see /work/shared/docs/expo.md §4).

Run it with `python -m tools.expo_sandbox`, or in tests with `tools.expo_sandbox.testing.running_sandbox`.
"""

from .app import SandboxApp, create_app
from .config import ConfigError, SandboxConfig, load_config

__all__ = ["ConfigError", "SandboxApp", "SandboxConfig", "create_app", "load_config"]
