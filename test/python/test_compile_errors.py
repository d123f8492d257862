"""smartmem-compile on bad input: one error line, exit status 2, no outputs left."""

from __future__ import annotations

import faulthandler
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = REPO / "models" / "swin_tiny_default.onnx"
COMPILE = [sys.executable, "-m", "smartmem.tools.smartmem_compile"]


def one_node_model(op: str, domain: str = "", dims=(3, 3), name: str = "the_node") -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(dims))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 3])
    node = helper.make_node(op, ["x"], ["y"], name=name, domain=domain)
    opsets = [helper.make_opsetid("", 18)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(helper.make_graph([node], "main_graph", [x], [y]), opset_imports=opsets)


def matmul_model(batch: str | int) -> onnx.ModelProto:
    weight = numpy_helper.from_array(np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32), "w")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 4])
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="proj")
    graph = helper.make_graph([node], "main_graph", [x], [y], initializer=[weight])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def run_compile(tmp_path: Path, model: Path, *extra: str) -> subprocess.CompletedProcess:
    out = tmp_path / "out" / "model.vmfb"
    out.parent.mkdir(exist_ok=True)
    return subprocess.run(
        [*COMPILE, str(model), "-o", str(out), "-q", *extra],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )


def assert_clean_failure(tmp_path: Path, result: subprocess.CompletedProcess, *fragments: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert result.stdout == ""
    leftovers = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert leftovers == [], f"outputs left behind: {leftovers}"


def test_missing_file(tmp_path):
    result = run_compile(tmp_path, tmp_path / "nope.onnx", "--target", "cpu")
    assert_clean_failure(tmp_path, result, "nope.onnx", "no such file")


def test_not_onnx_bytes(tmp_path):
    model = tmp_path / "junk.onnx"
    model.write_bytes(os.urandom(64))
    result = run_compile(tmp_path, model, "--target", "cpu")
    assert_clean_failure(tmp_path, result, "junk.onnx: error:", "not an ONNX model")


def test_text_that_parses_as_empty_protobuf(tmp_path):
    model = tmp_path / "empty.onnx"
    model.write_bytes(b"")
    result = run_compile(tmp_path, model, "--target", "cpu")
    assert_clean_failure(tmp_path, result, "empty.onnx: error:", "not an ONNX model")


def test_truncated_onnx(tmp_path):
    model = tmp_path / "truncated.onnx"
    model.write_bytes(DEFAULT_MODEL.read_bytes()[:100_000])
    result = run_compile(tmp_path, model, "--target", "cpu")
    assert_clean_failure(tmp_path, result, "truncated.onnx: error:", "not an ONNX model")


def test_unsupported_standard_op_names_op_and_node(tmp_path):
    # ai.onnx.ml::Scaler is valid ONNX that IREE's ONNX lowering cannot convert.
    model = tmp_path / "scaler.onnx"
    onnx.save(one_node_model("Scaler", "ai.onnx.ml", name="scale_it"), model)
    result = run_compile(tmp_path, model, "--target", "cpu")
    assert_clean_failure(tmp_path, result, "unsupported ONNX op", "Scaler", "node 'scale_it'")


def test_vendor_domain_op_names_op_and_node(tmp_path):
    model = tmp_path / "contrib.onnx"
    onnx.save(one_node_model("FusedGelu", "com.microsoft", name="gelu_7"), model)
    result = run_compile(tmp_path, model, "--target", "cpu")
    assert_clean_failure(tmp_path, result, "unsupported ONNX op", "FusedGelu", "node 'gelu_7'")


def test_unresolved_dynamic_dim(tmp_path):
    model = tmp_path / "dynamic.onnx"
    onnx.save(matmul_model("batch"), model)
    result = run_compile(tmp_path, model, "--target", "cpu")
    assert_clean_failure(tmp_path, result, "input 'x'", "dynamic dimension 0 ('batch')", "--dim batch=N")


def test_data_dependent_shape_names_node(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])
    node = helper.make_node("Unique", ["x"], ["y"], name="uniq")
    model = tmp_path / "unique.onnx"
    onnx.save(helper.make_model(helper.make_graph([node], "main_graph", [x], [y]),
                                opset_imports=[helper.make_opsetid("", 18)]), model)
    result = run_compile(tmp_path, model, "--target", "cpu")
    assert_clean_failure(tmp_path, result, "op 'Unique' (node 'uniq')", "dynamic or unknown shape")


def test_unknown_target(tmp_path):
    result = run_compile(tmp_path, DEFAULT_MODEL, "--target", "metal")
    assert_clean_failure(tmp_path, result, "unknown target 'metal'")


def test_unknown_vulkan_target(tmp_path):
    # IREE itself aborts the process on an unknown Vulkan target; we must not get there.
    result = run_compile(tmp_path, DEFAULT_MODEL, "--target", "vulkan:hopper")
    assert_clean_failure(tmp_path, result, "unknown Vulkan target 'hopper'")


def test_bad_dim_flag(tmp_path):
    result = run_compile(tmp_path, DEFAULT_MODEL, "--target", "cpu", "--dim", "batch")
    assert_clean_failure(tmp_path, result, "--dim expects NAME=N")


def test_malformed_mlir_gets_file_line_col(tmp_path):
    model = tmp_path / "bad.mlir"
    model.write_text("func.func @main_graph(%a: tensor<4xf32>) -> tensor<4xf32> {\n  return %b : tensor<4xf32>\n}\n")
    result = run_compile(tmp_path, model, "--target", "cpu")
    assert_clean_failure(tmp_path, result, "bad.mlir:2:")


def test_dynamic_mlir_entry_is_refused(tmp_path):
    model = tmp_path / "dyn.mlir"
    model.write_text(
        "func.func @main_graph(%a: tensor<?xf32>) -> tensor<?xf32> {\n"
        "  %0 = arith.addf %a, %a : tensor<?xf32>\n  return %0 : tensor<?xf32>\n}\n"
    )
    result = run_compile(tmp_path, model, "--target", "cpu")
    assert_clean_failure(tmp_path, result, "dyn.mlir:1:", "dynamic shape")


def test_compiler_crash_is_one_line_and_cleans_up(tmp_path, monkeypatch):
    """A compiler that dies by a signal mid-compile: error naming the phase, temp files removed."""
    from smartmem import compile as compile_module
    from smartmem.compile import CompileOptions, Target, staged_outputs
    from smartmem.compile_isolated import compile_isolated
    from smartmem.diagnostics import SmartMemError

    def crashing_compile(model, output, options, progress, on_temp):
        with staged_outputs(output, on_temp):
            progress("iree:start->input")
            faulthandler.disable()  # pytest's handler would print the crash
            os.kill(os.getpid(), signal.SIGSEGV)

    monkeypatch.setattr(compile_module, "compile_model", crashing_compile)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(SmartMemError) as caught:
        compile_isolated(DEFAULT_MODEL, out_dir / "m.vmfb", CompileOptions(Target.parse("cpu")), lambda _: None)
    (diagnostic,) = caught.value.diagnostics
    assert "crashed (SIGSEGV) in phase 'iree:start->input'" in diagnostic.message
    assert list(out_dir.iterdir()) == []
