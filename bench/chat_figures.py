"""The figures of bench/chat_load.py: per-run summaries, the table, and the issue's targets."""

import statistics
from typing import Any, Protocol


class Measured(Protocol):
    """What the server's sampler measured over a run."""

    cpu: float  # seconds, the server's processes
    pg_cpu: float  # seconds, PostgreSQL's (NaN when remote)
    peak_rss: int  # bytes


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summarise(
    results: list[dict[str, Any]], sampler: Measured, model_seconds: float
) -> dict[str, Any]:
    ok = [r for r in results if r.get("done")]
    ttfb = [r["ttfb"] for r in ok]
    ttft = [r["ttft"] for r in ok if r["ttft"] is not None]
    stretch = [r["duration"] / model_seconds for r in ok]
    errors = sorted(
        {r.get("error") or f"status {r.get('status')}" for r in results if not r.get("done")}
    )
    nan = float("nan")
    return {
        "lost": len(results) - len(ok),
        "ttfb_p50": 1000 * statistics.median(ttfb) if ttfb else nan,
        "ttft_p50": 1000 * statistics.median(ttft) if ttft else nan,
        "ttft_p95": 1000 * percentile(ttft, 0.95),
        "stretch_p50": statistics.median(stretch) if stretch else nan,
        "stretch_p95": percentile(stretch, 0.95),
        "cpu_ms": 1000 * sampler.cpu / max(1, len(ok)),
        "pg_cpu_ms": 1000 * sampler.pg_cpu / max(1, len(ok)),
        "rss_mb": sampler.peak_rss / 2**20,
        "errors": errors[:3],
    }


METRICS: list[tuple[str, str, str]] = [
    # (key, column title, format)
    ("cpu_ms", "server CPU ms/chat", "{:.1f}"),
    ("pg_cpu_ms", "Postgres CPU ms/chat", "{:.1f}"),
    ("rss_mb", "peak RSS MB", "{:.0f}"),
    ("ttfb_p50", "TTFB p50 ms", "{:.0f}"),
    ("ttft_p50", "first token p50 ms", "{:.0f}"),
    ("ttft_p95", "first token p95 ms", "{:.0f}"),
    ("stretch_p50", "stretch p50", "{:.2f}"),
    ("stretch_p95", "stretch p95", "{:.2f}"),
    ("lost", "lost chats", "{:.0f}"),
]


def median_range(values: list[float], fmt: str) -> str:
    values = [v for v in values if v == v]  # drop NaN
    if not values:
        return "-"
    middle = fmt.format(statistics.median(values))
    if len(values) == 1:
        return middle
    return f"{middle} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def table(runs: dict[tuple[int, str], list[dict[str, Any]]], contenders: list[str]) -> str:
    lines = [
        "| N | server | " + " | ".join(title for _, title, _ in METRICS) + " |",
        "|---|---|" + "---|" * len(METRICS),
    ]
    for count in sorted({c for c, _ in runs}):
        for name in contenders:
            rounds = runs.get((count, name))
            if not rounds:
                continue
            cells = [median_range([r[key] for r in rounds], fmt) for key, _, fmt in METRICS]
            lines.append(f"| {count} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratio_cell(
    runs: dict[tuple[int, str], list[dict[str, Any]]], count: int, a: str, b: str, key: str
) -> tuple[str, float]:
    """Median and range over rounds of a's figure ÷ b's measured in the same round."""
    pairs = list(zip(runs.get((count, a), []), runs.get((count, b), []), strict=False))
    values = [x[key] / y[key] for x, y in pairs if y[key] and x[key] == x[key]]
    if not values:
        return "-", float("nan")
    return median_range(values, "{:.2f}") + "x", statistics.median(values)


def targets(runs: dict[tuple[int, str], list[dict[str, Any]]], model_seconds: float) -> str:
    rows: list[tuple[str, str, str]] = []

    def check(value: float, limit: float) -> str:
        if value != value:
            return "not measured"
        return "met" if value <= limit else "missed"

    if (100, "django") in runs:
        anchors = (("node", 0.7), ("bare-aiohttp", 1.3), ("node-lean", None), ("bare", None))
        for anchor, limit in anchors:
            cell, value = ratio_cell(runs, 100, "django", anchor, "cpu_ms")
            target = f"≤ {limit}x" if limit else "(for the record)"
            verdict = check(value, limit) if limit else ""
            rows.append((f"CPU per chat at N=100, django ÷ {anchor}", cell, f"{target} {verdict}"))
        for anchor, limit in (("bare", 1.5), ("bare-aiohttp", 1.5)):
            cell, value = ratio_cell(runs, 100, "django", anchor, "ttft_p50")
            rows.append(
                (
                    f"first token p50 at N=100, django ÷ {anchor}",
                    cell,
                    f"≤ {limit}x {check(value, limit)}",
                )
            )
    if (150, "django") in runs:
        values = [r["stretch_p95"] for r in runs[(150, "django")]]
        rows.append(
            (
                "stretch p95 at N=150, django",
                median_range(values, "{:.2f}"),
                f"≤ 1.5 {check(statistics.median(values), 1.5)}",
            )
        )
    if (500, "django") in runs:
        lost = [r["lost"] for r in runs[(500, "django")]]
        rows.append(
            (
                "chats lost at N=500, django (every round)",
                " / ".join(str(v) for v in lost),
                "0 " + ("met" if not any(lost) else "missed"),
            )
        )
    lines = ["| target | measured (median, range over rounds) | |", "|---|---|---|"]
    lines.extend(f"| {a} | {b} | {c} |" for a, b, c in rows)
    return "\n".join(lines)
