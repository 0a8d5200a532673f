"""`make bench`: run every benchmark, write benchmarks/results.json and benchmarks/results.md.

``python -m benchmarks.run --only workers`` (repeatable) runs only those benchmarks and keeps the other figures
already in results.json."""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import bench_reports, bench_voice, bench_web, bench_workers

HERE = Path(__file__).resolve().parent
TARGETS = {
    "narration_bytes_per_speech_second": ("<= 4000", lambda v: v <= 4000),
    # the Silero voice-activity detector (issue 19) costs 0.04 to 0.07 s per second of audio here; recognising
    # the same answer costs ten times more (recognition_rtf_free)
    "pipeline_rtf_wav16k": ("< 0.15", lambda v: v < 0.15),
    "pipeline_rtf_webm48k": ("< 0.25", lambda v: v < 0.25),
    "recognition_rtf_free": ("< 0.5", lambda v: v < 0.5),
    "page_cost_ratio": ("<= 2", lambda v: v <= 2),
    # a tap on the pretend phone costs no more server time than Next on a lesson step (issue 18)
    "practice_tap_ratio": ("<= 1", lambda v: v <= 1),
    "first_visit_cold_s": ("<= 10", lambda v: v <= 10),
    "first_visit_warm_s": ("<= 1.5", lambda v: v <= 1.5),
    "load_30_answers_lost": ("0", lambda v: v == 0),
    "load_100_answers_lost": ("0", lambda v: v == 0),
    "load_300_answers_lost": ("0", lambda v: v == 0),
    "load_30_p95_ms": ("<= 500", lambda v: v <= 500),
    "load_100_p95_ms": ("<= 500", lambda v: v <= 500),
    "load_300_p95_ms": ("<= 500", lambda v: v <= 500),
    "reports_10x_dashboard_s": ("<= 0.5", lambda v: v <= 0.5),
    "reports_100x_dashboard_s": ("<= 2", lambda v: v <= 2),
    "reports_100x_cli_report_villages_s": ("<= 3", lambda v: v <= 3),
    "reports_1x_unindexed_reads": ("0", lambda v: v == 0),
    "reports_10x_unindexed_reads": ("0", lambda v: v == 0),
    "reports_100x_unindexed_reads": ("0", lambda v: v == 0),
    # a whole commune through nginx (issue 21; benchmarks/bench_workers.py)
    "workers_2w_300_p95_ms": ("<= 500", lambda v: v <= 500),
    "workers_1w_300_answers_lost": ("0", lambda v: v == 0),
    "workers_2w_300_answers_lost": ("0", lambda v: v == 0),
    "workers_2w_300_kill_answers_lost": ("0", lambda v: v == 0),
    "workers_2w_300_kill_longest_gap_s": ("<= 10", lambda v: v <= 10),
    "workers_1w_300_residents_failed": ("0", lambda v: v == 0),
    "workers_2w_300_residents_failed": ("0", lambda v: v == 0),
    "workers_2w_300_kill_residents_failed": ("0", lambda v: v == 0),
}
BENCHMARKS: dict[str, Callable[[], dict[str, object]]] = {
    "voice": bench_voice.run, "reports": bench_reports.run, "web": bench_web.run, "workers": bench_workers.run}


def python_speed_ms() -> float:
    """Milliseconds for a fixed piece of plain Python work (calls, dictionaries, strings), best of 5: how fast this
    machine runs the kind of work a page run is, beside each benchmark's figures. The same code's figures move
    with it: stop 25's step cost of 14.3 ms was 26-33 ms for the same commit on 2026-12-02's machine."""
    def work() -> int:
        counts: dict[str, int] = {}
        for i in range(200_000):
            key = str(i % 1000)
            counts[key] = counts.get(key, 0) + i
        return len(counts)

    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return round(1000 * best, 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS),
                        help="run only this benchmark (repeatable); the other figures in results.json are kept")
    args = parser.parse_args(argv)
    results: dict[str, object] = {}
    if args.only and (HERE / "results.json").exists():
        results = json.loads((HERE / "results.json").read_text())
    now = time.strftime("%Y-%m-%d %H:%M")
    results.update({"when": results.get("when", now) if args.only else now,
                    "machine": f"{platform.machine()}, {platform.python_version()}", "cores": os.cpu_count()})
    for name in args.only or BENCHMARKS:
        speed = python_speed_ms()
        results.update(BENCHMARKS[name]())
        results[f"machine_python_ms_{name}"] = round((speed + python_speed_ms()) / 2, 1)  # before and after
        if args.only:  # these figures are newer than "when"
            results[f"when_{name}"] = time.strftime("%Y-%m-%d %H:%M")
    (HERE / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    lines = ["| measure | value | target |", "|---|---|---|"]
    for key, value in results.items():
        target = ""
        if key in TARGETS and isinstance(value, (int, float)):
            text, ok = TARGETS[key]
            target = f"{text} {'✅' if ok(value) else '❌'}"
        lines.append(f"| {key} | {value} | {target} |")
    missed = [k for k, (_, ok) in TARGETS.items() if isinstance(results.get(k), (int, float)) and not ok(results[k])]
    lines += ["", f"Missed targets: {', '.join(missed) if missed else 'none'}"]
    causes = bench_workers.causes(results, missed)
    if causes:
        lines += ["", "Why (from the same run's figures):"] + [f"- {k}: {why}" for k, why in causes.items()]
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
