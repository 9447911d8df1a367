"""Figures, their goals, the printed table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Figure:
    """One measured figure beside its goal. ``passed`` is None when there is no goal
    or the figure could not be measured (``value`` None: printed as n/a)."""

    bench: str
    name: str
    value: float | None
    unit: str = ""
    goal: str = ""
    passed: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "n/a"
        return "" if self.passed is None else ("PASS" if self.passed else "MISS")

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        value = self.value
        if isinstance(value, int):
            return f"{value:,} {self.unit}".strip()
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"
        return f"{text} {self.unit}".strip()


def check(bench: str, name: str, value: float | None, unit: str, goal: str, ok=None,
          note: str = "") -> Figure:
    """A figure whose goal is tested by ``ok(value)`` (skipped when value is None)."""
    passed = None if value is None or ok is None else bool(ok(value))
    return Figure(bench, name, value, unit, goal, passed, note)


@dataclass
class Report:
    """Everything one run measured."""

    smoke: bool
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)

    def table(self) -> str:
        rows = [("benchmark", "figure", "value", "goal", "")]
        rows += [(f.bench, f.name, f.shown(), f.goal, f.verdict) for f in self.figures]
        rows += [(bench, "error", "n/a", "", error.splitlines()[-1][:60]) for bench, error in self.errors.items()]
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = ["| benchmark | figure | value | goal | |", "|---|---|---|---|---|"]
        lines += [f"| {f.bench} | {f.name} | {f.shown()} | {f.goal} | {f.verdict} |" for f in self.figures]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "machine": machine(), "smoke": self.smoke,
            "figures": [{**asdict(f), "verdict": f.verdict} for f in self.figures],
            "details": self.details, "errors": self.errors,
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")


def sizes_from_env(variable: str, sizes: tuple[int, ...], smoke_sizes: tuple[int, ...],
                   smoke: bool) -> tuple[int, ...]:
    """``sizes`` (``smoke_sizes`` in a smoke run), or the comma-separated sizes in the
    environment ``variable`` (``RELEASEWATCH_BENCH_SIZES=100000``), which a smoke run ignores."""
    chosen = os.environ.get(variable, "").strip()
    if smoke:
        return smoke_sizes
    return tuple(int(size) for size in chosen.split(",") if size.strip()) if chosen else sizes


def machine() -> dict[str, Any]:
    """CPU count and model, Python and SQLite versions: what the figures were measured on."""
    import sqlite3

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform()}
