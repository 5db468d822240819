"""The Debian programs benchmarks drive (wrk, prometheus), installed on first use: `make test` and
`make run` never need them, so they are not part of the project's set-up."""

from __future__ import annotations

import shutil
import subprocess


def ensure_command(command: str, package: str | None = None) -> str:
    """The path of `command`, installing its Debian package (named like it unless told) when missing;
    the package index is refreshed only when the first try fails."""
    found = shutil.which(command)
    if found:
        return found
    install = ["apt-get", "install", "-y", "-qq", package or command]
    subprocess.run(install, check=False)
    found = shutil.which(command)
    if not found:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(install, check=True)
        found = shutil.which(command)
    if not found:
        raise RuntimeError(f"{command} could not be installed")
    return found
