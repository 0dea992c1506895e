"""pytest plugin: how long each lesson took under nbval, written as JSON and markdown and printed at the end.

Loaded by the Makefile (``-p tools.lesson_timings``). A lesson's time is the wall time from the start of its first
cell to the end of its last (kernel start-up included), so it is what a student waits for with "Run all".

    TLCOURSE_TIMINGS=book/bench/full_profile   # write full_profile.json and full_profile.md there (default: none)

A run of some of the lessons (``make test-full LESSONS=notebooks/04_densenet121_dollar_street.ipynb``) updates
their rows of an existing report for the same profile and machine; each row keeps the date it was measured.

Each lesson's row also names the data it used (from the results JSON it wrote): stand-in data may be smaller than
the real data set, and the time with it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import time
from pathlib import Path

_lessons: dict[str, dict] = {}


def _entry(nodeid: str) -> dict | None:
    """The record of the lesson a test item belongs to (None for items that are not a lesson's cells)."""
    path = nodeid.split("::")[0]
    if not path.endswith(".ipynb"):
        return None
    return _lessons.setdefault(Path(path).stem, {"start": time.time(), "cells": 0, "failed": 0})


def pytest_runtest_logstart(nodeid, location):
    entry = _entry(nodeid)
    if entry is not None:
        entry["end"] = time.time()


def pytest_runtest_logreport(report):
    entry = _entry(report.nodeid)
    if entry is None:
        return
    entry["end"] = time.time()
    if report.when == "call":
        entry["cells"] += 1
        entry["failed"] += int(report.failed)


def _machine() -> dict:
    from tlcourse.runtime import describe_device, detect_device

    device = detect_device()
    return {"device": f"{describe_device(device)}, {device['name']}", "device_info": device,
            "platform": platform.platform()}


def report() -> dict:
    lessons = {name: {"seconds": round(e["end"] - e["start"], 1), "cells": e["cells"], "failed": e["failed"]}
               for name, e in sorted(_lessons.items())}
    return {"profile": os.environ.get("TLCOURSE_PROFILE", "quick"),
            "offline": os.environ.get("TLCOURSE_OFFLINE", "") == "1",
            "date": _dt.date.today().isoformat(), "lessons": lessons,
            "total_seconds": round(sum(v["seconds"] for v in lessons.values()), 1)}


def merge(old: dict | None, new: dict) -> dict:
    """``new`` with the rows of ``old`` for the lessons ``new`` did not run, when both are of the same profile,
    machine and network setting (else ``new`` alone). Every row carries the date it was measured."""
    for entry in new["lessons"].values():
        entry.setdefault("date", new["date"])
    same = old is not None and all(old.get(k) == new.get(k) for k in ("profile", "offline", "device_info"))
    if same:
        kept = {name: {**entry, "date": entry.get("date", old["date"])} for name, entry in old["lessons"].items()
                if name not in new["lessons"]}
        new["lessons"] = dict(sorted({**kept, **new["lessons"]}.items()))
        new["total_seconds"] = round(sum(v["seconds"] for v in new["lessons"].values()), 1)
        new["date"] = max(v["date"] for v in new["lessons"].values())
    return new


def add_data(data: dict, results: Path) -> dict:
    """Add to each lesson the data it used (real, or an announced stand-in, and how many images), from the results
    JSON the lesson wrote: a time means little without the size of the data behind it."""
    for name, entry in data["lessons"].items():
        path = results / f"{name}.json"
        if path.exists():
            run = json.loads(path.read_text())
            entry["data"] = [{"name": key, "real": bool(v.get("real")), "description": v.get("description", "")}
                             for key, v in run.get("data", {}).items()]
    return data


def markdown(data: dict) -> str:
    dates = sorted({v.get("date", data["date"]) for v in data["lessons"].values()})
    when = dates[0] if len(dates) == 1 else f"from {dates[0]} to {dates[-1]} (each lesson's date in its row)"
    rows = [f"Measured {when} on {data.get('device', '?')}, profile **{data['profile']}**"
            + (", offline: announced stand-ins where the real files are missing" if data["offline"] else "") + ".",
            "", "| lesson | wall time | cells | failed | data used | measured |", "|---|---:|---:|---:|---|---|"]
    for name, v in data["lessons"].items():
        used = "; ".join(("" if d["real"] else "**stand-in**: ") + d["description"].removeprefix("stand-in: ")
                         for d in v.get("data", [])) or "?"
        rows.append(f"| {name} | {v['seconds'] / 60:.1f} min ({v['seconds']:.0f} s) | {v['cells']} | {v['failed']} "
                    f"| {used} | {v.get('date', data['date'])} |")
    rows.append(f"| **all lessons** | **{data['total_seconds'] / 60:.1f} min** | | | | |")
    return "\n".join(rows) + "\n"


def pytest_terminal_summary(terminalreporter):
    if not _lessons:
        return
    data = report()
    terminalreporter.section(f"lesson wall times under nbval ({data['profile']} profile)")
    for name, v in data["lessons"].items():
        flag = f"  ({v['failed']} cells FAILED)" if v["failed"] else ""
        terminalreporter.write_line(f"{name:38s} {v['seconds']:8.1f} s  {v['cells']:3d} cells{flag}")
    terminalreporter.write_line(f"{'all lessons':38s} {data['total_seconds']:8.1f} s")
    target = os.environ.get("TLCOURSE_TIMINGS", "").strip()
    if target:
        data.update(_machine())
        from tlcourse.runtime import results_dir

        add_data(data, results_dir())
        previous = Path(target).with_suffix(".json")
        write(Path(target), merge(json.loads(previous.read_text()) if previous.exists() else None, data))
        terminalreporter.write_line(f"time report: {target}.json and {target}.md")


def write(base: Path, data: dict) -> None:
    """``base``.json (every number) and ``base``.md (the table the results page includes)."""
    base.parent.mkdir(parents=True, exist_ok=True)
    base.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n")
    base.with_suffix(".md").write_text(markdown(data))


if __name__ == "__main__":   # re-render a report with the data the lessons recorded: REPORT RESULTS_DIR
    import sys

    base, results = Path(sys.argv[1]), Path(sys.argv[2])
    write(base, add_data(json.loads(base.with_suffix(".json").read_text()), results))
