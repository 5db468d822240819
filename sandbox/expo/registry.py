"""Dead-token registry: tokens Expo has "learned" are unregistered (§4.6)."""

from __future__ import annotations

from collections.abc import Callable, Iterable


class DeadTokenRegistry:
    """Maps a dead token to whether the client has already been told it is dead (`status(token)`,
    None when the token is alive).

    The distinction drives `sends_to_dead_tokens`: a send to a token the operator just unregistered is
    not the client's fault, a send after a DeviceNotRegistered ticket or fetched receipt is.
    """

    def __init__(self) -> None:
        self._dead: dict[str, bool] = {}
        # Called once per recipient on the send path; a bound C method avoids a Python-level frame.
        self.status: Callable[[str], bool | None] = self._dead.get

    def __len__(self) -> int:
        return len(self._dead)

    def any_dead(self, tokens: list[str]) -> bool:
        return bool(self._dead) and not self._dead.keys().isdisjoint(tokens)

    def unregister(self, tokens: Iterable[str]) -> None:
        for token in tokens:
            self._dead.setdefault(token, False)

    def register(self, tokens: Iterable[str]) -> None:
        for token in tokens:
            self._dead.pop(token, None)

    def mark_told(self, token: str) -> None:
        self._dead[token] = True
