"""smartmem-bench harness logic on tiny literal inputs (no timing, no compiles)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from smartmem.bench_parse import (
    DispatchProfile,
    DispatchTiming,
    ParseError,
    compare,
    parse_benchmark_json,
    parse_profile_jsonl,
)
from smartmem.bench_records import ResultStore, RecordKey
from smartmem.bench_report import pairs, render_markdown, render_plots
from smartmem.bench_run import Target, subtract_profiles

# What `iree-profile dispatch --format=jsonl` prints for a Vulkan capture
# (device timestamps) and a CPU one (host execution events), shortened.
VULKAN_PROFILE = "\n".join([
    '{"type":"dispatch_summary","mode":"aggregate","total_dispatches":7}',
    '{"type":"dispatch_group","key":"main_graph$async_dispatch_0_matmul_64x96x80_f32",'
    '"count":3,"time_ns_available":true,"total_ns":6000}',
    '{"type":"dispatch_group","key":"main_graph$async_dispatch_1_transpose_96x3136_f32",'
    '"count":3,"time_ns_available":true,"total_ns":3000}',
    '{"type":"dispatch_group","key":"main_graph$async_dispatch_2_elementwise_3136x96_f32",'
    '"count":1,"time_ns_available":true,"total_ns":1000}',
])
CPU_PROFILE = "\n".join([
    '{"type":"dispatch_summary","mode":"aggregate","total_host_dispatches":2}',
    '{"type":"host_dispatch_group","key":"main_dispatch_0_slow_memcpy","count":2,"total_ns":500}',
    '{"type":"host_dispatch_group","key":"main_dispatch_1_softmax_8x128x128xf32","count":2,"total_ns":1500}',
])


def test_profile_totals_kinds_and_layout_share() -> None:
    prof = parse_profile_jsonl(VULKAN_PROFILE)
    assert prof.total_ns == 10000
    assert prof.dispatch_count == 7
    assert prof.count_by_kind() == {"elementwise": 1, "matmul": 3, "transpose": 3}
    assert prof.layout_move_ns == 3000
    assert prof.layout_move_share == pytest.approx(0.3)
    assert list(prof.by_kind_ns()) == ["matmul", "transpose", "elementwise"]  # by time, descending


def test_profile_moves_only_names_count_as_layout_moves() -> None:
    # The census found that dispatch 2's body only copies data: its time is a layout move too.
    prof = parse_profile_jsonl(VULKAN_PROFILE, moves_only=frozenset({"main_graph_dispatch_2_elementwise_3136x96_f32"}))
    assert prof.layout_move_ns == 4000


def test_profile_host_groups_and_runs() -> None:
    prof = parse_profile_jsonl(CPU_PROFILE, runs=2)
    assert prof.total_ns == 1000 and prof.dispatch_count == 2
    assert prof.to_json()["layout_move_share"] == pytest.approx(0.25)


def test_profile_without_summary_or_clock_is_an_error() -> None:
    with pytest.raises(ParseError, match="dispatch_summary"):
        parse_profile_jsonl('{"type":"dispatch_group","key":"x","count":1,"total_ns":1}')
    no_clock = ('{"type":"dispatch_summary"}\n'
                '{"type":"dispatch_group","key":"k","count":1,"time_ns_available":false,"total_ns":0}')
    with pytest.raises(ParseError, match="no clock fit"):
        parse_profile_jsonl(no_clock)
    with pytest.raises(ParseError, match="line 1"):
        parse_profile_jsonl("{not json")


def test_subtract_warmup_session() -> None:
    # Session of 1 call and session of 1 + 2 calls: the difference over 2 runs is per-call time.
    warm = DispatchProfile((DispatchTiming("a_dispatch_0_matmul_4x4", "matmul", 1, 900.0),
                            DispatchTiming("a_dispatch_1_transpose_4x4", "transpose", 2, 100.0)))
    total = DispatchProfile((DispatchTiming("a_dispatch_0_matmul_4x4", "matmul", 3, 1300.0),
                             DispatchTiming("a_dispatch_1_transpose_4x4", "transpose", 6, 300.0)))
    per_call = subtract_profiles(total, warm, 2)
    assert per_call.dispatch_count == 3
    assert per_call.total_ns == pytest.approx(300.0)
    assert per_call.layout_move_ns == pytest.approx(100.0)


BENCH_JSON = """warning: something on stdout first
{"context": {"date": "x"}, "benchmarks": [
 {"name": "BM_main", "run_type": "iteration", "real_time": 2.5e6, "time_unit": "ns"},
 {"name": "BM_main", "run_type": "iteration", "real_time": 3.0, "time_unit": "ms"},
 {"name": "BM_main_median", "run_type": "aggregate", "real_time": 2.7, "time_unit": "ms"}]}"""


def test_benchmark_json_repetitions_in_ms() -> None:
    assert parse_benchmark_json(BENCH_JSON) == (2.5, 3.0)
    with pytest.raises(ParseError, match="no JSON"):
        parse_benchmark_json("plain text")
    failed = '{"benchmarks": [{"run_type": "iteration", "error_occurred": true, "error_message": "oom"}]}'
    with pytest.raises(ParseError, match="oom"):
        parse_benchmark_json(failed)


def test_compare_numerics() -> None:
    rng = np.random.default_rng()
    ref = rng.standard_normal((3, 5)).astype(np.float32)
    same = compare(ref, ref, "r")
    assert same.rel_l2 == 0 and same.max_abs == 0 and same.nonfinite == 0
    bad = ref.copy()
    bad[0, 0] = np.nan
    assert compare(bad, ref, "r").nonfinite == 1
    scaled = compare(ref * 1.01, ref, "r")
    assert scaled.rel_l2 == pytest.approx(0.01, rel=1e-3)
    with pytest.raises(ParseError, match="shape"):
        compare(ref[:2], ref, "r")


def test_targets() -> None:
    assert Target.parse("cpu").device == "local-task"
    lav = Target.parse("vulkan:llvmpipe")
    assert (lav.backend, lav.arch, lav.profiling_mode, lav.runs_here) == ("vulkan", "llvmpipe", "dispatch-events", True)
    assert not Target.parse("vulkan:ampere").runs_here
    for bad in ("gpu", "vulkan:", "vulkan"):
        with pytest.raises(ValueError, match="unknown target"):
            Target.parse(bad)


def _record(model: str, target: str, variant: str, median: float | None, total: int, moves: int,
            share: float, status: str = "ok", **extra: object) -> dict:
    r: dict = {"model": model, "target": target, "variant": variant, "status": status,
               "date": "2026-11-22T03:00:00+00:00", "device": "dev", "driver": "drv",
               "compile": {"census": {"total": total, "layout_moves": moves}},
               "profile": {"layout_move_share": share, "total_ms": 1.0, "layout_move_ms": share,
                           "by_kind_ms": {"matmul": 1.0 - share, "transpose": share}},
               "numerics": {"vs_onnxruntime": {"rel_l2": 1e-6}}, **extra}
    if median is not None:
        r["latency"] = {"median_ms": median, "spread": 0.1}
    return r


def test_store_roundtrip_merge_and_resume(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    store = ResultStore(path)
    store.put(_record("m", "cpu", "stock", 10.0, 10, 3, 0.2))
    store.put(_record("m", "cpu", "smartmem", 5.0, 8, 1, 0.05, status="failed", error="boom"))
    store.save()
    loaded = ResultStore.load(path)
    assert len(loaded) == 2
    assert loaded.done(RecordKey("m", "cpu", "stock"))
    assert not loaded.done(RecordKey("m", "cpu", "smartmem"))  # failed records are redone
    n = loaded.merge([_record("m", "cpu", "smartmem", 5.0, 8, 1, 0.05)])
    assert n == 1 and loaded.done(RecordKey("m", "cpu", "smartmem")) and len(loaded) == 2
    assert not list(tmp_path.glob(".results.*"))  # no temporary file left behind


def test_store_rejects_bad_files_and_records(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": 1, "records": [')
    with pytest.raises(ValueError, match="bad.json:1:"):
        ResultStore.load(bad)
    bad.write_text('{"rows": []}')
    with pytest.raises(ValueError, match="not a smartmem-bench results file"):
        ResultStore.load(bad)
    with pytest.raises(ValueError, match="lacks 'variant'"):
        ResultStore(bad).put({"model": "m", "target": "cpu", "status": "ok"})


def _store(tmp_path: Path) -> ResultStore:
    store = ResultStore(tmp_path / "results.json")
    store.put(_record("swin_t", "cpu", "stock", 12.0, 274, 97, 0.10))
    sm = _record("swin_t", "cpu", "smartmem", 8.0, 170, 5, 0.02)
    sm["compile"]["elimination"] = {"input": {"before": {"transpose": 75, "concat": 23},
                                              "after": {"transpose": 7, "concat": 20},
                                              "remaining_by_reason": {"roll": 20, "slice": 7}}}
    store.put(sm)
    store.put(_record("resnet50", "cpu", "stock", 30.0, 57, 1, 0.01))
    store.put(_record("resnet50", "cpu", "smartmem", None, 0, 0, 0.0, status="failed", error="compile failed: x"))
    store.put({"model": "swin_t", "target": "cpu", "variant": "onnxruntime", "status": "ok",
               "latency": {"median_ms": 6.0}})
    return store


def test_pairs_and_speedup(tmp_path: Path) -> None:
    ps = {(p.model, p.target): p for p in pairs(_store(tmp_path))}
    assert ps[("swin_t", "cpu")].speedup == pytest.approx(1.5)
    assert ps[("resnet50", "cpu")].speedup is None  # the SmartMem record failed
    assert [p.model for p in pairs(_store(tmp_path))] == ["swin_t", "resnet50"]  # zoo order


def test_markdown_report(tmp_path: Path) -> None:
    text = render_markdown(_store(tmp_path), "T")
    assert text.startswith("# T\n")
    row = next(line for line in text.splitlines() if line.startswith("| swin_t |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:4] == ["274 → 170", "97 → 5", "10.0% → 2.0%"]
    assert cells[6] == "1.50×"
    assert cells[-2:] == ["6.0", "2.00×"]  # onnxruntime peer and stock/ORT ratio
    assert "Geometric-mean speedup over 1 models: 1.500×" in text
    assert "- resnet50 / cpu / smartmem: compile failed: x" in text
    assert "| swin_t | cpu | input | transpose 75, concat 23 | concat 20, transpose 7 | 20× roll; 7× slice |" in text


def test_markdown_marks_device_reference_numerics(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.json")
    for v, err in (("stock", 1e-6), ("smartmem", 2e-6)):
        r = _record("swin_t", "vulkan:ampere", v, 10.0, 274, 97, 0.05, weights="stand-ins")
        r["numerics"] = {"vs_reference": {"rel_l2": err, "reference": "stock IREE on cpu, same weights"}}
        store.put(r)
    text = render_markdown(store)
    assert "1.0e-06† / 2.0e-06†" in text and "† rel L2 vs stock IREE on cpu, same weights: the real" in text
    assert "Numerics beyond" not in text
    bad = store.get(RecordKey("swin_t", "vulkan:ampere", "stock"))
    bad["numerics"]["repeat"] = {"rel_l2": 0.5, "nonfinite": 0}
    assert "- swin_t / vulkan:ampere / stock: rel L2 second call vs first 5.0e-01" in render_markdown(store)


def test_plots_written(tmp_path: Path) -> None:
    images = render_plots(_store(tmp_path), tmp_path)
    assert {p.name for p in images} == {"speedup.png", "dispatches_cpu.png", "time_by_kind_cpu.png"}
    for p in images:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_report_only_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from smartmem.tools.smartmem_bench import main

    store = _store(tmp_path)
    store.save()
    assert main(["--report-only", "--no-plots", "--out", str(tmp_path)]) == 1  # one record failed
    assert (tmp_path / "report.md").read_text().startswith("# SmartMem vs stock IREE")
    assert main(["swin_t", "--targets", "gpu", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "smartmem-bench: error: unknown target 'gpu'" in err and "Traceback" not in err
    assert main(["no_such_model", "--out", str(tmp_path)]) == 1
    assert "unknown zoo model 'no_such_model'" in capsys.readouterr().err


def test_cli_merges_device_records(tmp_path: Path) -> None:
    from smartmem.tools.smartmem_bench import main

    device = tmp_path / "device_results.json"
    rec = _record("swin_t", "vulkan:ampere", "stock", 9.0, 0, 0, 0.0)
    del rec["profile"], rec["compile"]
    warm = (VULKAN_PROFILE.replace('"count":3,"time_ns_available":true,"total_ns":6000', '"count":1,"total_ns":2000')
            .replace('"count":3,"time_ns_available":true,"total_ns":3000', '"count":1,"total_ns":1000'))
    rec["profile_raw"] = {"warm": warm, "total": VULKAN_PROFILE, "runs": 2}
    device.write_text(json.dumps({"schema": 1, "records": [rec]}))
    out = tmp_path / "out"
    assert main(["--merge", str(device), "--no-plots", "--out", str(out)]) == 0
    merged = json.loads((out / "results.json").read_text())["records"][0]
    assert "profile_raw" not in merged
    # (3-call session - 1-call session) / 2 runs: matmul 2000 ns, transpose 1000 ns per call;
    # the elementwise dispatch ran only in the first call and drops out.
    assert merged["profile"]["count_by_kind"] == {"matmul": 1, "transpose": 1}
    assert math.isclose(merged["profile"]["layout_move_share"], 1 / 3)
