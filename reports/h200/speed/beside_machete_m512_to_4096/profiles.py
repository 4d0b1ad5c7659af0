"""The profiles of this folder as tables: the SM clock and board power while each sustained run of
`commands/3_clocks.sh` timed its GEMM, the ncu cycle counts of `pass2/ncu/`, and the tensor pipe
and warp stalls of `ncu_full/` (ncu --set full, raw page).

Each bench process first prepares its operands (GPU mostly idle), then samples its GEMM for
at most 4000 samples or 4 s (at least 2.4 s here); ours then times its stream-floor kernel.
The GEMM's window is taken as 0.5 s to 2 s after the board first draws more than 400 W in the
phase.

Usage, from the repository root:
    python3 reports/h200/speed/beside_machete_m512_to_4096/profiles.py
"""
import csv
import gzip
import io
import statistics
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUSY_W = 400.0
WINDOW = (timedelta(seconds=0.5), timedelta(seconds=2))


def stamp(text: str) -> datetime:
    return datetime.strptime(text.strip()[:26], "%Y/%m/%d %H:%M:%S.%f")


def clocks() -> None:
    phases = []
    for line in (HERE / "clocks" / "phases.txt").read_text().splitlines():
        day, time, name = line.split(" ", 2)
        phases.append((stamp(f"{day} {time}"), name))
    with gzip.open(HERE / "clocks" / "smi_log.csv.gz", "rt") as f:
        rows = [(stamp(r[0]), float(r[1]), float(r[3])) for r in csv.reader(f)
                if r and r[0][:1].isdigit()]
    print("| phase | samples | SM clock median (MHz) | SM clock mean (MHz) | power median (W) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for (start, name), (end, _) in zip(phases, phases[1:], strict=False):
        if name == "idle":
            continue
        busy = [r for r in rows if start <= r[0] < end and r[2] > BUSY_W]
        t0 = busy[0][0]
        window = [r for r in busy if t0 + WINDOW[0] <= r[0] <= t0 + WINDOW[1]]
        print(f"| {name} | {len(window)} | {statistics.median(r[1] for r in window):.0f} | "
              f"{statistics.mean(r[1] for r in window):.0f} | "
              f"{statistics.median(r[2] for r in window):.0f} |")


def ncu_rows(path: Path) -> list[dict[str, str]]:
    """The rows of ncu's CSV in a gzip-compressed capture, without the lines the bench binary
    printed around it."""
    with gzip.open(path, "rt") as f:
        lines = [line for line in f.read().splitlines() if line.startswith('"')]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def last_kernel_id(rows: list[dict[str, str]]) -> str:
    """The ID of the last kernel profiled: the GEMM (Machete's bench launches its prepack kernel
    first). The raw page's units row has an empty ID."""
    return max((r["ID"] for r in rows if r["ID"].isdigit()), key=int)


def ncu() -> None:
    print("\n| kernel (ncu, one launch) | elapsed cycles | SM frequency (GHz) | instructions | "
          "L2 hit rate (%) | DRAM throughput (%) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for path in sorted((HERE / "pass2" / "ncu").glob("*.csv.gz")):
        rows = ncu_rows(path)
        last = last_kernel_id(rows)
        m = {r["Metric Name"]: r["Metric Value"] for r in rows if r["ID"] == last}
        freq = float(m["SM Frequency"].replace(",", "")) / 1e9
        name = path.name.removesuffix(".csv.gz").removesuffix("_TmaMI_TmaCoop_streamK")
        print(f"| {name} | {m['Elapsed Cycles']} | {freq:.2f} | {m['Executed Instructions']} | "
              f"{m['L2 Hit Rate']} | {m['DRAM Throughput']} |")


# Raw ncu metrics shown per kernel, with the name the table gives them.
FULL_METRICS = {
    "sm__cycles_elapsed.avg": "cycles",
    "sm__cycles_active.avg": "SM active cycles, mean over SMs",
    "sm__cycles_active.min": "SM active cycles, least busy SM",
    "sm__cycles_active.max": "SM active cycles, busiest SM",
    "smsp__inst_executed.sum": "instructions",
    "sm__pipe_tensor_cycles_active.avg.pct_of_peak_sustained_elapsed": "tensor pipe active (%)",
    "smsp__average_warps_issue_stalled_wait_per_issue_active.ratio": "stall: wait",
    "smsp__average_warps_issue_stalled_gmma_per_issue_active.ratio": "stall: gmma",
    "smsp__average_warps_issue_stalled_dispatch_stall_per_issue_active.ratio": "stall: dispatch",
    "smsp__average_warps_issue_stalled_short_scoreboard_per_issue_active.ratio":
        "stall: short scoreboard",
    "smsp__average_warps_issue_stalled_long_scoreboard_per_issue_active.ratio":
        "stall: long scoreboard",
    "smsp__average_warps_issue_stalled_barrier_per_issue_active.ratio": "stall: barrier",
    "smsp__average_warps_issue_stalled_sleeping_per_issue_active.ratio": "stall: sleeping",
    "smsp__average_warps_issue_stalled_mio_throttle_per_issue_active.ratio": "stall: MIO throttle",
}


def full() -> None:
    runs = ["machete_m1024", "ours_m1024", "machete_m2048", "ours_m2048"]
    values = {}
    for run in runs:
        rows = ncu_rows(HERE / "ncu_full" / f"{run}.csv.gz")  # raw page: a row per kernel
        last = last_kernel_id(rows)
        values[run] = next(r for r in rows if r["ID"] == last)
    print("\n| metric (stalls: warps stalled per issue) | " + " | ".join(runs) + " |")
    print("| --- |" + " ---: |" * len(runs))
    for metric, name in FULL_METRICS.items():
        print(f"| {name} | " + " | ".join(values[r][metric] for r in runs) + " |")


if __name__ == "__main__":
    clocks()
    ncu()
    full()
