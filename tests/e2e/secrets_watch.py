"""No secret in any log: every line each bot process of the end-to-end suite writes is read for
every secret its environment gave it.

The secrets are found by their variables' names (a token, a secret, a key, a password...), not
listed by hand: a setting added later is watched as soon as a test configures it. A value that
looks like a bot token (`<id>:<secret>`) is also looked for by its secret part alone, since the
bot's id is public and in the log by design. A secret of digits only is looked for as a number of
its own (the simulated KUMQUAT's signing key is 123456789, which a cloud order's number may hold).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SECRET_NAME = re.compile(r"TOKEN|SECRET|KEY|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE", re.I)
SHORTEST = 8  # shorter values would be found in ordinary words and numbers


def secrets_in(environment: Mapping[str, str]) -> dict[str, str]:
    """Each text to look for, with the variable it comes from: the value of every variable
    whose name says it is secret, its secret part if it is a token, and each as a JSON string
    writes it."""
    found: dict[str, str] = {}
    for name, value in environment.items():
        if not SECRET_NAME.search(name):
            continue
        pieces = {value.strip()}
        if ":" in value:
            pieces.add(value.rsplit(":", 1)[1].strip())
        for piece in pieces:
            if len(piece) < SHORTEST:
                continue
            found[piece] = name
            found[json.dumps(piece)[1:-1]] = name  # as a JSON log line writes it
    return found


def _shows(line: str, secret: str) -> bool:
    """Whether `line` shows `secret`; one of digits only counts as a number of its own, not as
    digits of a longer one (an upstream's order number, a time)."""
    if secret.isdigit():
        return re.search(rf"(?<!\d){secret}(?!\d)", line) is not None
    return secret in line


@dataclass
class _Watched:
    what: str  # the process, as a failure names it
    secrets: dict[str, str]
    lines: Sequence[str]  # its log, growing while it runs
    read: int = 0


class SecretsWatch:
    """The logs of every bot process started, each read once for its secrets."""

    def __init__(self) -> None:
        self._watched: list[_Watched] = []

    def watch(self, what: str, environment: Mapping[str, str], lines: Sequence[str]) -> None:
        """Read `lines` (the process's log, which may still grow) for the secrets of the
        `environment` it was started with."""
        self._watched.append(_Watched(what, secrets_in(environment), lines))

    def leaks(self) -> list[str]:
        """The lines logged since the last call that show a secret, each saying which variable's
        (the secret itself replaced by the variable's name)."""
        found: list[str] = []
        for watched in self._watched:
            fresh, watched.read = watched.lines[watched.read :], len(watched.lines)
            for line in fresh:
                names = sorted(
                    {name for text, name in watched.secrets.items() if _shows(line, text)}
                )
                if names:
                    shown = line
                    for text in sorted(watched.secrets, key=len, reverse=True):  # a token whole
                        shown = shown.replace(text, f"<{watched.secrets[text]}>")
                    found.append(f"{watched.what} logged {', '.join(names)}: {shown}")
        return found


WATCH = SecretsWatch()  # every bot process of this test session (see harness.py, conftest.py)
