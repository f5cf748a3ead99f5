"""What every benchmark prints: the machine first (docs/benchmarks.md records it with the figures),
then its lines, then the figures as one JSON line."""

from __future__ import annotations

import json
import os
import platform


def machine() -> str:
    return f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def report(lines: list[str], figures: dict) -> None:
    print(machine())
    for line in lines:
        print(line)
    print(json.dumps(figures, default=str))
