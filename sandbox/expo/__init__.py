"""Protocol-true local Expo push sandbox (see docs/push-contract.md §4).

A bare `§N` in this package and in its tests is a section of docs/push-contract.md.

Run it with `python -m sandbox.expo`, or in tests with `sandbox.expo.testing.running_sandbox`.
"""

from .app import SandboxApp, create_app
from .config import ConfigError, SandboxConfig, load_config

__all__ = ["ConfigError", "SandboxApp", "SandboxConfig", "create_app", "load_config"]
