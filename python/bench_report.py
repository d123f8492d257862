"""Render bench records as a Markdown report and PNG plots.

Every figure in the report is read from the records of one results.json:
ratios compare the stock and SmartMem records of the same model and target,
whose latencies were measured interleaved in one run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from .bench_records import PEER_VARIANT, Record, RecordKey, ResultStore


@dataclass(frozen=True)
class Pair:
    """The stock and SmartMem records of one model on one target."""

    model: str
    target: str
    stock: Record | None
    smartmem: Record | None

    @property
    def speedup(self) -> float | None:
        a, b = _latency(self.stock), _latency(self.smartmem)
        return a / b if a and b else None


def _get(record: Record | None, *path: str) -> Any:
    cur: Any = record
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def _ok(record: Record | None) -> bool:
    return record is not None and record.get("status") == "ok"


def _latency(record: Record | None) -> float | None:
    return _get(record, "latency", "median_ms") if _ok(record) else None


def dispatch_count(record: Record | None) -> int | None:
    """Dispatch call sites from the compile census, else dispatches executed per run."""
    total = _get(record, "compile", "census", "total")
    if total is None:
        total = _get(record, "profile", "dispatches_per_run")
    return total


def layout_moves(record: Record | None) -> int | None:
    return _get(record, "compile", "census", "layout_moves")


def layout_share(record: Record | None) -> float | None:
    return _get(record, "profile", "layout_move_share")


def pairs(store: ResultStore) -> list[Pair]:
    out = []
    seen = sorted({(r["model"], r["target"]) for r in store if r["variant"] != PEER_VARIANT})
    order = {m: i for i, m in enumerate(_model_order(store))}
    seen.sort(key=lambda mt: (mt[1], order.get(mt[0], 1 << 30)))
    for model, target in seen:
        out.append(Pair(model, target, store.get(RecordKey(model, target, "stock")),
                        store.get(RecordKey(model, target, "smartmem"))))
    return out


def _model_order(store: ResultStore) -> list[str]:
    try:
        from .zoo import MODEL_NAMES
    except ImportError:  # pragma: no cover
        MODEL_NAMES = ()
    models = store.models()
    known = [m for m in MODEL_NAMES if m in models]
    return known + [m for m in models if m not in known]


def _fmt(value: float | int | None, spec: str = ".1f", suffix: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:{spec}}{suffix}"


def _arrow(a: Any, b: Any, spec: str = "d") -> str:
    return f"{_fmt(a, spec)} → {_fmt(b, spec)}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _geomean(values: Iterable[float]) -> float | None:
    vals = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else None


def _numerics(record: Record | None) -> tuple[float | None, bool]:
    """rel L2 vs onnxruntime, else vs the packed reference (device runs); flag if the latter."""
    ort = _get(record, "numerics", "vs_onnxruntime", "rel_l2")
    if ort is not None:
        return ort, False
    return _get(record, "numerics", "vs_reference", "rel_l2"), True


def _num_cell(record: Record | None) -> str:
    value, is_ref = _numerics(record)
    return _fmt(value, ".1e") + ("†" if is_ref and value is not None else "")


def _spread(record: Record | None) -> str:
    s = _get(record, "latency", "spread")
    return "" if s is None or not _ok(record) else f" ±{50 * s:.0f}%"


def render_markdown(store: ResultStore, title: str = "SmartMem vs stock IREE", plots: Sequence[str] = ()) -> str:
    records = list(store)
    lines = [f"# {title}", ""]
    dates = sorted(r["date"] for r in records if r.get("date"))
    if dates:
        lines.append(f"Measured {dates[0]} … {dates[-1]} (UTC).")
    env: dict[str, set[str]] = {}
    for r in records:
        if r.get("device"):
            env.setdefault(r["target"], set()).add(
                f"{r['device']}, driver {r.get('driver', '?')}" + (f", host {r['host']}" if r.get("host") else ""))
    for target, devs in sorted(env.items()):
        lines.append(f"- `{target}`: " + "; ".join(sorted(devs)))
    vers = next((r["versions"] for r in reversed(records) if r.get("versions")), {})
    if vers:
        lines.append("- versions: " + ", ".join(f"{k} {v}" for k, v in sorted(vers.items())
                                                if k != "smartmem_commit"))
    commits: dict[str, set[str]] = {}
    for r in records:
        c = _get(r, "versions", "smartmem_commit")
        if c and r["variant"] != PEER_VARIANT:
            commits.setdefault(r["target"], set()).add(c)
    for target, cs in sorted(commits.items()):
        lines.append(f"- SmartMem source for `{target}`: " + ", ".join(sorted(cs)))
    lines += ["", "Stock = `smartmem.compile` with `smartmem=False`; SmartMem = same driver with the SmartMem "
              "passes. Latency = median over interleaved rounds of `iree-benchmark-module` (± half the "
              "min–max spread); speedup = stock median / SmartMem median from the same run. Dispatches = "
              "`flow.dispatch` call sites (compile census); layout moves = transpose / elementwise_transpose "
              "/ slow_memcpy dispatches and dispatches that only move data; layout share = fraction of "
              "profiled dispatch time (IREE HAL profiling) spent in them. rel L2 = ‖out − ref‖ / ‖ref‖ "
              "against onnxruntime on the zoo's fixed input.", ""]

    by_target: dict[str, list[Pair]] = {}
    for p in pairs(store):
        by_target.setdefault(p.target, []).append(p)
    peers = {r["model"]: r for r in records if r["variant"] == PEER_VARIANT and _ok(r)}
    for target, plist in by_target.items():
        lines += [f"## Target `{target}`", ""]
        head = ("| model | dispatches | layout moves | layout share of dispatch time | stock ms | SmartMem ms "
                "| speedup | rel L2 stock / SmartMem vs ORT | SmartMem vs stock |")
        sep = "|---|---|---|---|---|---|---|---|---|"
        if target == "cpu":
            head += " ORT ms | IREE stock / ORT |"
            sep += "---|---|"
        lines += [head, sep]
        for p in plist:
            sm_vs_stock = _get(p.smartmem, "numerics", "vs_stock", "rel_l2")
            row = (f"| {p.model} | {_arrow(dispatch_count(p.stock), dispatch_count(p.smartmem))} "
                   f"| {_arrow(layout_moves(p.stock), layout_moves(p.smartmem))} "
                   f"| {_pct(layout_share(p.stock))} → {_pct(layout_share(p.smartmem))} "
                   f"| {_fmt(_latency(p.stock), '.2f')}{_spread(p.stock)} "
                   f"| {_fmt(_latency(p.smartmem), '.2f')}{_spread(p.smartmem)} "
                   f"| {_fmt(p.speedup, '.2f', '×')} "
                   f"| {_num_cell(p.stock)} / {_num_cell(p.smartmem)} "
                   f"| {_fmt(sm_vs_stock, '.1e')} |")
            if target == "cpu":
                ort = _get(peers.get(p.model), "latency", "median_ms")
                stock = _latency(p.stock)
                row += f" {_fmt(ort, '.1f')} | {_fmt(stock / ort if stock and ort else None, '.2f', '×')} |"
            lines.append(row)
        if any(_numerics(r)[1] and _numerics(r)[0] is not None for p in plist for r in (p.stock, p.smartmem)):
            kinds = sorted({r.get("weights", "") for p in plist for r in (p.stock, p.smartmem) if r and r.get("weights")})
            refs = sorted({_get(r, "numerics", "vs_reference", "reference") or "" for p in plist
                           for r in (p.stock, p.smartmem)} - {""})
            lines += ["", f"† rel L2 vs {' / '.join(refs)}: the real weights do not travel to the device; "
                      + "; ".join(kinds) + "."]
        g = _geomean(p.speedup for p in plist if p.speedup)
        if g:
            lines += ["", f"Geometric-mean speedup over {sum(1 for p in plist if p.speedup)} models: {g:.3f}×."]
        lines.append("")

    breakdown = [p for p in pairs(store) if _get(p.stock, "profile") and _get(p.smartmem, "profile")]
    if breakdown:
        lines += ["## Dispatch time by kind (ms per inference, profiled)", "",
                  "| model | target | variant | total | " + "layout moves | top kinds |", "|---|---|---|---|---|---|"]
        for p in breakdown:
            for name, r in (("stock", p.stock), ("smartmem", p.smartmem)):
                kinds = _get(r, "profile", "by_kind_ms") or {}
                top = ", ".join(f"{k} {v:.2f}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])[:5])
                lines.append(f"| {p.model} | {p.target} | {name} | {_fmt(_get(r, 'profile', 'total_ms'), '.2f')} "
                             f"| {_fmt(_get(r, 'profile', 'layout_move_ms'), '.2f')} | {top} |")
        lines.append("")

    lines += _elimination_section(store)
    lines += _numerics_notes(store)
    failures = [r for r in records if r.get("status") != "ok" or r.get("profile_error")]
    if failures:
        lines += ["## Failures", ""]
        for r in failures:
            reason = r.get("error") or f"profile: {r.get('profile_error')}"
            stage = f" ({r['stage']})" if r.get("stage") else ""
            lines.append(f"- {r['model']} / {r['target']} / {r['variant']}{stage}: {reason}")
        lines.append("")
    if plots:
        lines += ["## Plots", ""] + [f"![{Path(p).stem}]({Path(p).name})" for p in plots] + [""]
    return "\n".join(lines)


def _counts(d: Any) -> str:
    if not isinstance(d, dict) or not d:
        return "—"
    return ", ".join(f"{k} {v}" for k, v in sorted(d.items(), key=lambda kv: -kv[1]))


def _elimination_section(store: ResultStore) -> list[str]:
    """Layout ops before/after the SmartMem passes, from the compile report (one target)."""
    reports = {}
    for r in store:
        elim = _get(r, "compile", "elimination")
        if r["variant"] == "smartmem" and isinstance(elim, dict) and r["model"] not in reports:
            reports[r["model"]] = (r["target"], elim)
    if not reports:
        return []
    lines = ["## Layout ops eliminated by SmartMem (compile report)", "",
             "| model | target | phase | before | after | remaining, by reason |", "|---|---|---|---|---|---|"]
    for model in _model_order(store):
        if model not in reports:
            continue
        target, elim = reports[model]
        if "error" in elim:
            lines.append(f"| {model} | {target} | — | — | — | report failed: {elim['error']} |")
            continue
        for phase, rep in elim.items():
            if not isinstance(rep, dict):
                continue
            reasons = "; ".join(f"{n}× {why}" for why, n in
                                sorted((rep.get("remaining_by_reason") or {}).items(), key=lambda kv: -kv[1]))
            lines.append(f"| {model} | {target} | {phase} | {_counts(rep.get('before'))} "
                         f"| {_counts(rep.get('after'))} | {reasons or '—'} |")
    return lines + [""]


NUMERICS_TOLERANCE = 1e-4


def _numerics_notes(store: ResultStore) -> list[str]:
    """Records whose outputs are off: beyond tolerance, non-finite, or changing between calls."""
    notes = []
    for r in store:
        num = r.get("numerics") or {}
        problems = []
        for key, label in (("vs_onnxruntime", "vs onnxruntime"), ("vs_reference", "vs reference"),
                           ("vs_stock", "vs stock"), ("repeat", "second call vs first")):
            err = _get(num, key, "rel_l2")
            if err is not None and (math.isnan(err) or err > NUMERICS_TOLERANCE):
                problems.append(f"rel L2 {label} {err:.1e}")
        nonfinite = max(_get(num, k, "nonfinite") or 0 for k in ("vs_onnxruntime", "vs_reference", "vs_stock")) \
            if num else 0
        if num.get("nonfinite") or nonfinite:
            problems.append(f"{num.get('nonfinite') or nonfinite} non-finite outputs")
        if problems:
            notes.append(f"- {r['model']} / {r['target']} / {r['variant']}: " + "; ".join(problems))
    if not notes:
        return []
    return [f"## Numerics beyond {NUMERICS_TOLERANCE:g} rel L2", ""] + notes + [""]


def render_plots(store: ResultStore, out_dir: Path) -> list[Path]:
    """Speedup per model, dispatch counts before/after, time by dispatch kind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []
    all_pairs = pairs(store)
    targets = sorted({p.target for p in all_pairs})

    sp = [p for p in all_pairs if p.speedup]
    if sp:
        fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(sp) + 2), 4))
        labels = [f"{p.model}\n{p.target}" for p in sp]
        ax.bar(range(len(sp)), [p.speedup for p in sp], color=["tab:green" if p.speedup >= 1 else "tab:red" for p in sp])
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_xticks(range(len(sp)), labels, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("speedup (stock / SmartMem latency)")
        ax.set_title("SmartMem speedup over stock IREE")
        fig.tight_layout()
        path = out_dir / "speedup.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    for target in targets:
        dc = [p for p in all_pairs if p.target == target and dispatch_count(p.stock) is not None]
        if dc:
            fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(dc) + 2), 4))
            xs = range(len(dc))
            w = 0.2
            series = [
                ("stock: all", [dispatch_count(p.stock) or 0 for p in dc], "tab:gray", -1.5),
                ("SmartMem: all", [dispatch_count(p.smartmem) or 0 for p in dc], "tab:blue", -0.5),
                ("stock: layout moves", [layout_moves(p.stock) or 0 for p in dc], "tab:orange", 0.5),
                ("SmartMem: layout moves", [layout_moves(p.smartmem) or 0 for p in dc], "tab:red", 1.5),
            ]
            for label, vals, color, off in series:
                ax.bar([x + off * w for x in xs], vals, w, label=label, color=color)
            ax.set_xticks(list(xs), [p.model for p in dc], rotation=45, ha="right", fontsize=8)
            ax.set_ylabel("dispatches")
            ax.set_title(f"Dispatches before / after SmartMem ({target})")
            ax.legend(fontsize=7)
            fig.tight_layout()
            path = out_dir / f"dispatches_{_slug(target)}.png"
            fig.savefig(path, dpi=110)
            plt.close(fig)
            written.append(path)

        prof = [p for p in all_pairs if p.target == target and _get(p.stock, "profile") and _get(p.smartmem, "profile")]
        if prof:
            bars: list[tuple[str, dict[str, float]]] = []
            for p in prof:
                for name, r in (("stock", p.stock), ("SmartMem", p.smartmem)):
                    bars.append((f"{p.model}\n{name}", _get(r, "profile", "by_kind_ms") or {}))
            totals: dict[str, float] = {}
            for _, kinds in bars:
                for k, v in kinds.items():
                    totals[k] = totals.get(k, 0.0) + v
            top = [k for k, _ in sorted(totals.items(), key=lambda kv: -kv[1])[:9]]
            fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(bars) + 3), 4.5))
            bottoms = [0.0] * len(bars)
            cmap = plt.get_cmap("tab10")
            bar_totals = [sum(kinds.values()) for _, kinds in bars]
            for i, kind in enumerate(top + ["other"]):
                vals = []
                for (_, kinds), total in zip(bars, bar_totals):
                    v = kinds.get(kind, 0.0) if kind != "other" else sum(x for k, x in kinds.items() if k not in top)
                    vals.append(v / total if total > 0 else 0.0)
                # Shares per bar, so that models of different sizes share one axis.
                ax.bar(range(len(bars)), vals, bottom=bottoms, label=kind, color=cmap(i % 10))
                bottoms = [b + v for b, v in zip(bottoms, vals)]
            for x, total in enumerate(bar_totals):
                ax.text(x, 1.01, f"{total:.3g}", ha="center", va="bottom", fontsize=5, rotation=90)
            ax.set_xticks(range(len(bars)), [b[0] for b in bars], rotation=60, ha="right", fontsize=6)
            ax.set_ylim(0, 1.15)
            ax.set_ylabel("share of dispatch time (total ms on top)")
            ax.set_title(f"Profiled dispatch time by kind ({target})")
            ax.legend(fontsize=6, bbox_to_anchor=(1.01, 1), loc="upper left")
            fig.tight_layout()
            path = out_dir / f"time_by_kind_{_slug(target)}.png"
            fig.savefig(path, dpi=110)
            plt.close(fig)
            written.append(path)
    return written


def _slug(target: str) -> str:
    return target.replace(":", "-")


def write_report(store: ResultStore, out_dir: Path, title: str = "SmartMem vs stock IREE",
                 plots: bool = True) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    images = render_plots(store, out_dir) if plots else []
    path = out_dir / "report.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(render_markdown(store, title, [str(p) for p in images]))
    tmp.replace(path)
    return path
