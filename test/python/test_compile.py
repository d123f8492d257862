"""smartmem-compile end to end: the embedded model on cpu and vulkan:llvmpipe.

Stock IREE and SmartMem modules of `models/swin_tiny_default.onnx` must give
onnxruntime's output within rel L2 1e-4, through `iree.runtime` (Python) and
through `iree-run-module` (the documented command). Inputs are the model's
fixed input and a fresh random one (seed printed on failure).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from smartmem.compile import VULKAN_TARGETS, CompileOptions, Target, compile_model, report_dict
from smartmem.runtime import aligned_copy, relative_l2, run_module

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = REPO / "models" / "swin_tiny_default.onnx"
DEFAULT_INPUT = REPO / "models" / "swin_tiny_default.input.npy"
BIN = Path(sys.executable).parent
TOLERANCE = 1e-4
VARIANTS = [("cpu", False), ("cpu", True), ("vulkan:llvmpipe", False), ("vulkan:llvmpipe", True)]


def vulkan_available() -> bool:
    import iree.runtime as rt

    try:
        rt.get_device("vulkan")
        return True
    except Exception:
        return False


def ort_output(model: Path, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """Each variant compiled once for the module's tests: {(target, smartmem): report}."""
    out = tmp_path_factory.mktemp("compiled")
    reports = {}
    for target, smartmem in VARIANTS:
        name = f"{target.replace(':', '_')}_{'smartmem' if smartmem else 'stock'}"
        options = CompileOptions(Target.parse(target), smartmem=smartmem)
        result = compile_model(DEFAULT_MODEL, out / f"{name}.vmfb", options)
        reports[(target, smartmem)] = report_dict(result, DEFAULT_MODEL, options)
    return reports


@pytest.mark.parametrize("target,smartmem", VARIANTS, ids=[f"{t}-{'smartmem' if s else 'stock'}" for t, s in VARIANTS])
def test_default_model_matches_onnxruntime(compiled, target, smartmem):
    if target.startswith("vulkan") and not vulkan_available():
        pytest.skip("no Vulkan device (install mesa-vulkan-drivers for lavapipe)")
    report = compiled[(target, smartmem)]
    seed = int(np.random.SeedSequence().entropy % 2**31)
    inputs = {
        "fixed input": np.load(DEFAULT_INPUT),
        f"random input (seed {seed})": np.random.default_rng(seed).standard_normal((1, 3, 64, 64)).astype(np.float32),
    }
    for label, x in inputs.items():
        actual = run_module(
            Path(report["outputs"]["vmfb"]), Path(report["outputs"]["irpa"]),
            report["run"]["device"], [x], report["entry_function"],
        )[0]
        error = relative_l2(actual, ort_output(DEFAULT_MODEL, x))
        assert error <= TOLERANCE, f"{target} smartmem={smartmem} {label}: rel L2 {error:.3e}"


def test_report_and_outputs(compiled):
    # SmartMem's pipelines are for GPU targets: on cpu the SmartMem variant is stock IREE.
    assert compiled[("cpu", True)]["smartmem_pipelines"] == []
    stock = compiled[("vulkan:llvmpipe", False)]
    smart = compiled[("vulkan:llvmpipe", True)]
    for report in (stock, smart):
        assert report["entry_function"] == "main_graph"
        outputs = report["outputs"]
        # Weights live in the archive, not in the module.
        assert outputs["irpa_bytes"] > 2_000_000 > outputs["vmfb_bytes"]
        assert report["dispatches"]["total"] == sum(report["dispatches"]["by_kind"].values())
        assert set(report["compile_seconds"]) >= {"import", "iree:start->input", "iree:flow->end"}
        assert report["versions"]["iree-base-compiler"] == "3.13.0"
        assert report["onnx_op_histogram"]["Transpose"] > 0
    assert stock["smartmem_pipelines"] == []
    assert smart["smartmem_pipelines"], "SmartMem variant ran no SmartMem pipeline"
    # The elimination report: stock lists the moves present, SmartMem what it removed and why others remain.
    present = stock["layout_moves"]["input"]["present"]
    assert present["transpose"] > 0
    moves = smart["layout_moves"][smart["smartmem_pipelines"][0]["after_phase"]]
    assert moves["before"] == present
    assert all(moves["eliminated"][k] == moves["before"][k] - moves["after"][k] for k in moves["before"])
    assert len(moves["remaining"]) == sum(moves["after"].values())
    assert all(m["reason"] for m in moves["remaining"])
    assert any(k.startswith("smartmem:") for k in smart["compile_seconds"])


@pytest.mark.skipif(shutil.which("iree-run-module", path=str(BIN)) is None, reason="iree-run-module not installed")
def test_iree_run_module_command(compiled, tmp_path):
    """The documented command line: --module, --parameters=model=OUT.irpa, --function=main_graph."""
    target = "vulkan:llvmpipe" if vulkan_available() else "cpu"
    report = compiled[(target, False)]
    output = tmp_path / "y.npy"
    command = [
        str(BIN / "iree-run-module"), f"--device={report['run']['device']}",
        f"--module={report['outputs']['vmfb']}", f"--parameters=model={report['outputs']['irpa']}",
        "--function=main_graph", f"--input=@{DEFAULT_INPUT}", f"--output=@{output}",
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    expected = ort_output(DEFAULT_MODEL, np.load(DEFAULT_INPUT))
    error = relative_l2(np.load(output), expected)
    assert error <= TOLERANCE, f"iree-run-module on {target}: rel L2 {error:.3e}"


def test_cli_writes_report_and_dims_resolve(tmp_path):
    """--dim binds a symbolic batch; --report writes JSON; the module computes x @ w."""
    rng = np.random.default_rng(1)
    weight = rng.standard_normal((8, 4)).astype(np.float32)
    x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])
    y_info = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="proj")
    graph = helper.make_graph([node], "main_graph", [x_info], [y_info], initializer=[numpy_helper.from_array(weight, "w")])
    model = tmp_path / "proj.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), model)
    out = tmp_path / "proj.vmfb"
    report_path = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, "-m", "smartmem.tools.smartmem_compile", str(model), "-o", str(out),
         "--target", "cpu", "--dim", "batch=2", "--report", str(report_path), "-q"],
        check=True, capture_output=True, text=True, timeout=300,
    )
    report = json.loads(report_path.read_text())
    assert report["dispatches"]["by_kind"] == {"matmul": 1}
    x = rng.standard_normal((2, 8)).astype(np.float32)
    (y,) = run_module(out, tmp_path / "proj.irpa", "local-task", [x])
    assert relative_l2(y, x @ weight) <= TOLERANCE


def test_mlir_input_from_the_importer(tmp_path):
    """An .mlir from iree-import-onnx compiles like the .onnx it came from."""
    rng = np.random.default_rng(2)
    weight = rng.standard_normal((16, 16)).astype(np.float32)
    x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 16])
    y_info = helper.make_tensor_value_info("y", TensorProto.FLOAT, [16, 4])
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
        helper.make_node("Transpose", ["h"], ["y"], perm=[1, 0], name="t"),
    ]
    graph = helper.make_graph(nodes, "main_graph", [x_info], [y_info], initializer=[numpy_helper.from_array(weight, "w")])
    model = tmp_path / "mmt.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), model)
    mlir = tmp_path / "mmt.mlir"
    subprocess.run([str(BIN / "iree-import-onnx"), str(model), "-o", str(mlir)], check=True, timeout=120)
    out = tmp_path / "mmt.vmfb"
    result = compile_model(mlir, out, CompileOptions(Target.parse("cpu")))
    assert result.entry == "main_graph"
    x = rng.standard_normal((4, 16)).astype(np.float32)
    (y,) = run_module(out, result.irpa, "local-task", [x])
    assert relative_l2(y, (x @ weight).T) <= TOLERANCE


def test_aligned_copy_is_page_aligned_and_equal():
    x = np.arange(1000, dtype=np.float32).reshape(10, 100)[:, ::2]
    copy = aligned_copy(x)
    assert copy.ctypes.data % 4096 == 0
    assert copy.flags.c_contiguous
    np.testing.assert_array_equal(copy, x)


def test_known_vulkan_targets_are_accepted_by_iree(tmp_path):
    """Every name in VULKAN_TARGETS is one IREE knows (an unknown one aborts IREE)."""
    source = tmp_path / "add.mlir"
    source.write_text(
        "func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {\n"
        "  %0 = arith.addf %a, %a : tensor<4xf32>\n  return %0 : tensor<4xf32>\n}\n"
    )
    rejected = []
    for name in VULKAN_TARGETS:
        result = subprocess.run(
            [str(BIN / "iree-compile"), str(source), "--iree-hal-target-device=vulkan",
             f"--iree-vulkan-target={name}", "--compile-to=executable-configurations", "-o", "/dev/null"],
            capture_output=True, timeout=120,
        )
        if result.returncode != 0:
            rejected.append(name)
    assert rejected == []


def test_default_model_is_reproducible_from_its_script(tmp_path):
    """tools/make_default_model.py regenerates the shipped ONNX: same ops, same output."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    subprocess.run(
        [sys.executable, "-m", "smartmem.tools.make_default_model", "--out-dir", str(tmp_path)],
        check=True, capture_output=True, timeout=600,
    )
    fresh = tmp_path / DEFAULT_MODEL.name
    assert DEFAULT_MODEL.stat().st_size <= 5_000_000

    def ops(path: Path) -> list[str]:
        return [n.op_type for n in onnx.load(str(path)).graph.node]

    assert ops(fresh) == ops(DEFAULT_MODEL)
    np.testing.assert_array_equal(np.load(tmp_path / DEFAULT_INPUT.name), np.load(DEFAULT_INPUT))
    x = np.load(DEFAULT_INPUT)
    np.testing.assert_allclose(ort_output(fresh, x), ort_output(DEFAULT_MODEL, x), rtol=0, atol=1e-6)


def test_linalg_level_mlir_input(tmp_path):
    """Linalg-on-tensors IR compiles too; its public function is the entry."""
    source = tmp_path / "mm.mlir"
    source.write_text(
        "func.func @forward(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<4x4xf32> {\n"
        "  %zero = arith.constant 0.0 : f32\n"
        "  %init = tensor.empty() : tensor<4x4xf32>\n"
        "  %fill = linalg.fill ins(%zero : f32) outs(%init : tensor<4x4xf32>) -> tensor<4x4xf32>\n"
        "  %mm = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%fill : tensor<4x4xf32>) -> tensor<4x4xf32>\n"
        "  return %mm : tensor<4x4xf32>\n}\n"
    )
    result = compile_model(source, tmp_path / "mm.vmfb", CompileOptions(Target.parse("cpu")))
    assert result.entry == "forward"
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((4, 8)).astype(np.float32), rng.standard_normal((8, 4)).astype(np.float32)
    (y,) = run_module(result.vmfb, result.irpa, "local-task", [a, b], "forward")
    assert relative_l2(y, a @ b) <= TOLERANCE
