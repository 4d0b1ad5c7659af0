"""What one gtest case ended as, in a form every consumer shares.

The runner produces these, the JUnit writer and the pytest plugin consume them,
and the plugin ships them between xdist processes as plain dicts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"
OUTCOMES = (PASSED, FAILED, SKIPPED)

# Why a case ended as it did when gtest itself could not say.
KIND_CRASH = "crash"
KIND_TIMEOUT = "timeout"
KIND_NOT_RUN = "not-run"
KIND_DISABLED = "disabled"

# The property a case records to say which GPU ran it: "<index> <PCI bus id>".
DEVICE_PROPERTY = "device"

_LOCATION = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::| |$)")


@dataclass
class CaseResult:
    """The outcome of one gtest case, named `Suite.Case` as gtest's filter spells it."""

    name: str
    outcome: str
    message: str = ""
    details: str = ""
    file: str | None = None
    line: int | None = None
    duration: float = 0.0
    properties: list[tuple[str, str]] = field(default_factory=list)
    output: str = ""
    kind: str = ""

    @property
    def suite(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def case(self) -> str:
        return self.name.split(".", 1)[1] if "." in self.name else self.name

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["properties"] = [list(pair) for pair in self.properties]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        fields = dict(data)
        fields["properties"] = [(str(k), str(v)) for k, v in fields.get("properties", [])]
        return cls(**fields)


def split_location(text: str) -> tuple[str | None, int | None]:
    """The `file:line` gtest puts at the start of a failure or skip text, if any."""
    first = text.lstrip().split("\n", 1)[0]
    match = _LOCATION.match(first)
    if not match or match.group("file") == "unknown file":
        return None, None
    return match.group("file"), int(match.group("line"))


def message_of(text: str) -> str:
    """A failure or skip text without its leading `file:line` line."""
    file, _ = split_location(text)
    body = text.lstrip().split("\n", 1)
    if file is not None or body[0] == "unknown file":
        return body[1].strip() if len(body) > 1 else ""
    return text.strip()


def device_of(properties: Iterable[Iterable[str]]) -> str | None:
    """The `device` property among (name, value) pairs, if recorded."""
    for pair in properties:
        name, value = tuple(pair)[:2]
        if name == DEVICE_PROPERTY:
            return str(value)
    return None


def _device_order(device: str | None) -> tuple[int, str]:
    """GPU 2 before GPU 10: by the leading index when there is one, then by text."""
    first = str(device).split(" ", 1)[0]
    return (int(first) if first.isdigit() else -1, str(device))


def describe_devices(devices: Iterable[str | None]) -> str | None:
    """`7 on 0 0000:19:00.0, 6 on 1 0000:2a:00.0` from each case's device (None: not
    recorded, e.g. a crashed case); None when no case recorded a device at all."""
    counts = Counter(devices)
    missing = counts.pop(None, 0)
    if not counts:
        return None
    parts = [f"{counts[device]} on {device}" for device in sorted(counts, key=_device_order)]
    if missing:
        parts.append(f"{missing} without a {DEVICE_PROPERTY} property")
    return ", ".join(parts)
