"""tools/lesson_timings.py: the time report of `make test-full`. A run of some lessons updates their rows of the
report of the same profile and machine, and each row keeps the date it was measured."""

import copy

from tools import lesson_timings

CPU = {"kind": "CPU", "count": 2, "name": "AMD EPYC"}


def _report(date, lessons, device=CPU):
    return {"profile": "full", "offline": True, "date": date, "device": "CPU, 2 cores, AMD EPYC",
            "device_info": device, "lessons": lessons,
            "total_seconds": round(sum(v["seconds"] for v in lessons.values()), 1)}


OLD = _report("2026-11-29", {"01_a": {"seconds": 15.0, "cells": 3, "failed": 0},
                             "04_d": {"seconds": 146.2, "cells": 27, "failed": 0}})


def test_a_partial_run_updates_its_rows_and_keeps_the_others_with_their_dates():
    new = _report("2026-11-30", {"04_d": {"seconds": 120.5, "cells": 27, "failed": 0}})
    merged = lesson_timings.merge(copy.deepcopy(OLD), new)
    assert list(merged["lessons"]) == ["01_a", "04_d"]
    assert merged["lessons"]["01_a"] == {"seconds": 15.0, "cells": 3, "failed": 0, "date": "2026-11-29"}
    assert merged["lessons"]["04_d"]["seconds"] == 120.5 and merged["lessons"]["04_d"]["date"] == "2026-11-30"
    assert merged["total_seconds"] == 135.5 and merged["date"] == "2026-11-30"
    md = lesson_timings.markdown(merged)
    assert "Measured from 2026-11-29 to 2026-11-30" in md
    assert "| 01_a | 0.2 min (15 s) | 3 | 0 | ? | 2026-11-29 |" in md


def test_a_report_of_another_machine_or_profile_is_replaced_not_merged():
    gpu = _report("2026-11-30", {"04_d": {"seconds": 20.0, "cells": 27, "failed": 0}},
                  device={"kind": "GPU", "count": 1, "name": "T4"})
    assert list(lesson_timings.merge(copy.deepcopy(OLD), gpu)["lessons"]) == ["04_d"]
    quick = dict(_report("2026-11-30", {"04_d": {"seconds": 77.0, "cells": 27, "failed": 0}}), profile="quick")
    assert list(lesson_timings.merge(copy.deepcopy(OLD), quick)["lessons"]) == ["04_d"]
    first = lesson_timings.merge(None, _report("2026-11-30", {"01_a": {"seconds": 9.0, "cells": 3, "failed": 0}}))
    assert first["lessons"]["01_a"]["date"] == "2026-11-30"
    assert "Measured 2026-11-30 on" in lesson_timings.markdown(first)
