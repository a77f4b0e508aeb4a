"""The Schemathesis run's tally: how many requests it made to each operation, printed at the end
of the session (and kept as ``schemathesis-cases.json`` when SCHEMATHESIS_REPORT names a file)."""

from __future__ import annotations

import collections
import json
import os

import pytest

#: Requests sent, by operation (``GET /admin/meta-ads/leads``).
CASES: collections.Counter[str] = collections.Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CASES:
        return
    fewest = min(CASES.items(), key=lambda item: item[1])
    terminalreporter.write_line(
        f"schemathesis: {sum(CASES.values())} cases over {len(CASES)} operations "
        f"(fewest: {fewest[1]} for {fewest[0]})"
    )
    if report := os.environ.get("SCHEMATHESIS_REPORT"):
        with open(report, "w") as out:
            json.dump(dict(sorted(CASES.items())), out, indent=2)
