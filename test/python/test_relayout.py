"""smartmem.relayout: its semantics, the chain analysis of it, and form/materialize around the elimination passes.

- `Relayout.apply` (numpy) is the op's documented meaning; materialized
  relayouts compute it (random relayouts, llvm-cpu).
- A chain written as a relayout has the same atoms as the chain.
- smartmem-fold-layout-chains decides the same on every case of its lit test
  with smartmem-form-relayouts in front of it, and write-through leaves the
  same ops behind.
- Numerics: every case of the form/materialize lit tests, and every case of
  the fold/write-through lit tests run between form and materialize, against
  the unoptimized module on llvm-cpu and lavapipe (fresh seed, printed on
  failure).
"""

from __future__ import annotations

import os
import pathlib
import re
from collections import Counter

import numpy as np
import pytest
from iree.compiler import ir

from numerics import _compile, _run, apply_pipeline, compare_function, vulkan_available
from smartmem.context import make_context
from smartmem.dialect import Layout, Relayout, create_relayout
from smartmem.dialect.ops import relayout_array
from smartmem.dialect.verifier import verify_smartmem_ir
from smartmem.passes.fold_layout_chains import FoldLayoutChainsPass
from smartmem.passes.form_relayouts import FormRelayoutsPass
from smartmem.passes.layout_chain import chain_of, collapse_groups, relayout_step

ROOT = pathlib.Path(__file__).resolve().parents[2]
PASSES = ROOT / "test" / "Passes"
TOLERANCE = 1e-5
FORM = "smartmem-form-relayouts"
MATERIALIZE = "smartmem-materialize-relayouts"


def _chunks(name: str):
    for chunk in (PASSES / name).read_text().split("// -----"):
        match = re.search(r"func\.func @(\w+)", chunk)
        if match is not None:
            yield chunk, match.group(1)


def _params(name: str):
    for chunk, function in _chunks(name):
        yield pytest.param(chunk, function, id=function)


def _seed() -> int:
    return int(os.environ.get("SMARTMEM_TEST_SEED", np.random.SeedSequence().entropy % (2**31)))


# The op ---------------------------------------------------------------------------


def test_relayout_view_and_numpy_semantics() -> None:
    context = make_context()
    text = """
    func.func @f(%x: tensor<2x2x2x2x4xf32>) -> tensor<4x4x4xf32> {
      %r = "smartmem.relayout"(%x) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>} : (tensor<2x2x2x2x4xf32>) -> tensor<4x4x4xf32>
      return %r : tensor<4x4x4xf32>
    }"""
    module = ir.Module.parse(text, context)
    op = next(o for o in module.body.operations[0].regions[0].blocks[0].operations if o.name == "smartmem.relayout")
    view = Relayout.view(op)
    assert view is not None and view.layout == Layout((0, 2, 1, 3, 4))
    assert view.input_shape == (2, 2, 2, 2, 4) and view.result_shape == (4, 4, 4)
    x = np.arange(64, dtype=np.float32).reshape(2, 2, 2, 2, 4)
    # Window partition: the same as the chain transpose + reshape.
    np.testing.assert_array_equal(view.apply(x), x.transpose(0, 2, 1, 3, 4).reshape(4, 4, 4))
    assert verify_smartmem_ir(module.operation) == []


def test_create_relayout_round_trips(tmp_path: pathlib.Path) -> None:
    context = make_context()
    with context, ir.Location.unknown():
        module = ir.Module.create()
        f32 = ir.F32Type.get()
        source = ir.RankedTensorType.get([8, 3, 4], f32)
        result = ir.RankedTensorType.get([3, 32], f32)
        with ir.InsertionPoint(module.body):
            function = ir.Operation.create(
                "func.func",
                attributes={
                    "sym_name": ir.StringAttr.get("f"),
                    "function_type": ir.TypeAttr.get(ir.FunctionType.get([source], [result])),
                },
                regions=1,
            )
            block = function.regions[0].blocks.append(source)
            with ir.InsertionPoint(block):
                op = create_relayout(block.arguments[0], Layout((1, 0, 2)), result)
                ir.Operation.create("func.return", operands=[op.results[0]])
    assert verify_smartmem_ir(module.operation) == []
    reparsed = ir.Module.parse(str(module), make_context())
    assert str(reparsed) == str(module)
    step = relayout_step(op)
    assert not isinstance(step, str) and step.groups == ((0,), (1, 2))


@pytest.mark.parametrize(
    "layout,result,reason",
    [
        ("#smartmem.layout<array<i64: 1, 0>, array<i64>>", "4x6", "does not group the permuted dims contiguously"),
        ("#smartmem.layout<array<i64: 0, 1>, array<i64: 0, 2>>", "24", "blocked layout"),
    ],
)
def test_relayout_that_is_not_a_chain_op_says_why(layout: str, result: str, reason: str) -> None:
    context = make_context()
    text = f"""
    func.func @f(%x: tensor<4x6xf32>) -> tensor<{result}xf32> {{
      %r = "smartmem.relayout"(%x) {{layout = {layout}}} : (tensor<4x6xf32>) -> tensor<{result}xf32>
      return %r : tensor<{result}xf32>
    }}"""
    module = ir.Module.parse(text, context)
    op = next(o for o in module.body.operations[0].regions[0].blocks[0].operations if o.name == "smartmem.relayout")
    step = relayout_step(op)
    assert isinstance(step, str) and reason in step


def test_collapse_groups() -> None:
    assert collapse_groups([8, 8, 7, 7, 96], [64, 49, 96]) == ((0, 1), (2, 3), (4,))
    assert collapse_groups([8, 8, 7, 7, 96], [1, 3136, 96]) == ((), (0, 1, 2, 3), (4,))
    assert collapse_groups([4, 1, 5], [4, 5]) == ((0,), (1, 2))
    assert collapse_groups([2, 3], [3, 2]) is None


# Chain analysis -------------------------------------------------------------------------


@pytest.mark.parametrize("chunk,function", list(_params("form-relayouts.mlir")))
def test_relayout_has_the_atoms_of_its_chain(chunk: str, function: str) -> None:
    """The chain ending at the function's results reads the same atom order after forming."""
    context = make_context()
    before = ir.Module.parse(chunk, context)
    after = ir.Module.parse(chunk, context)
    FormRelayoutsPass().run_on_module(after.operation)
    for old, new in zip(_returned(before), _returned(after)):
        old_chain, new_chain = chain_of(old), chain_of(new)
        assert (old_chain is None) == (new_chain is None)
        if old_chain is None or new_chain is None:
            continue
        assert old_chain[0].type == new_chain[0].type, function
        assert _order(old_chain[2]) == _order(new_chain[2]), function


def _returned(module: ir.Module) -> list[ir.Value]:
    block = module.body.operations[0].regions[0].blocks[0]
    return list(list(block.operations)[-1].operands)


def _order(atoms) -> tuple:
    """Result dims as sizes of source-fine positions: independent of atom numbering."""
    position = {a: i for i, a in enumerate(atoms.source_fine_atoms())}
    return tuple(tuple((position[a], atoms.atom_sizes[a]) for a in dim) for dim in atoms.result_dims)


# Decisions --------------------------------------------------------------------------------


# Chains whose transposes cancel: smartmem-form-relayouts turns them into
# reshapes itself, where fold-layout-chains used to fold them.
CANCELLED_BY_FORM = frozenset({"inverse_transposes_cancel"})


@pytest.mark.parametrize("chunk,function", list(_params("fold-layout-chains.mlir")))
def test_fold_decides_the_same_on_relayouts(chunk: str, function: str) -> None:
    context = make_context()
    records = []
    for form in (False, True):
        module = ir.Module.parse(chunk, context)
        with context:
            if form:
                FormRelayoutsPass().run_on_module(module.operation)
            fold = FoldLayoutChainsPass()
            fold.run_on_module(module.operation)
        records.append([(r.consumer, r.folded, r.reason) for r in fold.records])
    if function in CANCELLED_BY_FORM:
        # Transposes that cancel are reshapes after forming: nothing is left to fold or refuse.
        assert records[1] == [] and "linalg.transpose" not in str(module), function
        return
    assert records[0] == records[1], function


@pytest.mark.parametrize("chunk,function", list(_params("write-through-layout-chains.mlir")))
def test_write_through_leaves_the_same_ops_with_relayouts(chunk: str, function: str) -> None:
    plain = apply_pipeline(chunk, "builtin.module(smartmem-write-through-layout-chains,canonicalize,cse)")
    relayout = apply_pipeline(
        chunk, f"builtin.module({FORM},smartmem-write-through-layout-chains,{MATERIALIZE},canonicalize,cse)"
    )
    assert _compute_ops(plain) == _compute_ops(relayout), function


def _compute_ops(text: str) -> Counter:
    names = re.findall(r"= (linalg\.\w+|smartmem\.\w+|\"smartmem\.\w+\")", text)
    return Counter(names)


# Numerics ---------------------------------------------------------------------------------


def test_materialized_relayouts_compute_the_numpy_semantics() -> None:
    """Random relayouts (contiguous results and not), materialized and run on llvm-cpu."""
    seed = _seed()
    rng = np.random.default_rng(seed)
    functions, cases = [], []
    for index in range(12):
        rank = int(rng.integers(1, 5))
        shape = tuple(int(s) for s in rng.choice((1, 2, 3, 4), size=rank))
        permutation = tuple(int(p) for p in rng.permutation(rank))
        permuted = [shape[p] for p in permutation]
        if index % 3 == 2:
            result = tuple(reversed(permuted))  # generally not contiguous
        else:
            cut = sorted(int(c) for c in rng.choice(range(rank + 1), size=2))
            result = tuple(int(np.prod(g)) for g in (permuted[: cut[0]], permuted[cut[0] : cut[1]], permuted[cut[1] :]))
        cases.append((shape, Layout(permutation), result))
        functions.append(_relayout_function(f"case{index}", shape, Layout(permutation), result))
    text = "\n".join(functions)
    lowered = apply_pipeline(text, f"builtin.module({MATERIALIZE})")
    assert "smartmem." not in lowered
    vmfb = _compile(lowered, "llvm-cpu")
    for index, (shape, layout, result) in enumerate(cases):
        x = rng.standard_normal(shape).astype(np.float32)
        (out,) = _run(vmfb, f"case{index}", [x], "llvm-cpu", 1)
        np.testing.assert_array_equal(out, relayout_array(x, layout, result), err_msg=f"case{index}, seed {seed}")


def _relayout_function(name: str, shape: tuple[int, ...], layout: Layout, result: tuple[int, ...]) -> str:
    source = f"tensor<{'x'.join(map(str, shape))}xf32>" if shape else "tensor<f32>"
    target = f"tensor<{'x'.join(map(str, result))}xf32>" if result else "tensor<f32>"
    return (
        f"func.func @{name}(%x: {source}) -> {target} {{\n"
        f'  %r = "smartmem.relayout"(%x) {{layout = {layout}}} : ({source}) -> {target}\n'
        f"  return %r : {target}\n}}"
    )


def _numerics_cases():
    pipelines = {
        "form-relayouts.mlir": f"builtin.module({FORM},{MATERIALIZE})",
        "form-relayouts-pipeline.mlir": None,  # the RUN line's full pipeline
        "fold-layout-chains.mlir": f"builtin.module({FORM},smartmem-fold-layout-chains,{MATERIALIZE})",
        "write-through-layout-chains.mlir": f"builtin.module({FORM},smartmem-write-through-layout-chains,{MATERIALIZE})",
    }
    for name, pipeline in pipelines.items():
        if pipeline is None:
            run_lines = re.findall(r"--pass-pipeline='([^']+)'", (PASSES / name).read_text())
            pipeline = run_lines[-1]
        for chunk, function in _chunks(name):
            if "arith.constant dense" in chunk:
                continue
            yield pytest.param(chunk, function, pipeline, id=f"{name.removesuffix('.mlir')}:{function}")


@pytest.mark.parametrize("chunk,function,pipeline", list(_numerics_cases()))
@pytest.mark.parametrize("target", ["llvm-cpu", "vulkan"])
def test_form_and_materialize_preserve_numerics(chunk: str, function: str, pipeline: str, target: str) -> None:
    if target == "vulkan" and not vulkan_available():
        pytest.skip("no Vulkan device (install mesa-vulkan-drivers for lavapipe)")
    result = compare_function(chunk, function, pipeline, target)
    assert result.worst() <= TOLERANCE, (
        f"{function} on {target}: rel L2 {result.rel_l2} > {TOLERANCE} (seed {result.seed})"
    )


@pytest.mark.parametrize("chunk,function", list(_params("materialize-relayouts.mlir")))
@pytest.mark.parametrize("target", ["llvm-cpu", "vulkan"])
def test_materialize_matches_relayout_semantics(chunk: str, function: str, target: str) -> None:
    """Each materialize lit case against numpy: reshapes, transposes and relayouts evaluated by `_evaluate`."""
    if target == "vulkan" and not vulkan_available():
        pytest.skip("no Vulkan device (install mesa-vulkan-drivers for lavapipe)")
    seed = _seed()
    rng = np.random.default_rng(seed)
    context = make_context()
    module = ir.Module.parse(chunk, context)
    function_op = module.body.operations[0]
    block = function_op.regions[0].blocks[0]
    inputs = [rng.standard_normal(tuple(ir.RankedTensorType(a.type).shape)).astype(np.float32) for a in block.arguments]
    expected = _evaluate(block, inputs)
    lowered = apply_pipeline(chunk, f"builtin.module({MATERIALIZE})")
    outputs = _run(_compile(lowered, target), function, inputs, target, len(expected))
    for got, want in zip(outputs, expected):
        np.testing.assert_array_equal(got, want, err_msg=f"{function} on {target}, seed {seed}")


def _evaluate(block: ir.Block, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """numpy values of a block of reshapes, transposes and relayouts."""
    values = {_key(a): x for a, x in zip(block.arguments, inputs)}
    for op in block.operations:
        op = op.operation
        if op.name == "func.return":
            return [values[_key(v)] for v in op.operands]
        if op.name == "tensor.empty":
            continue
        operand = values[_key(op.operands[0])]
        shape = tuple(ir.RankedTensorType(op.results[0].type).shape)
        if op.name in ("tensor.expand_shape", "tensor.collapse_shape"):
            values[_key(op.results[0])] = operand.reshape(shape)
        elif op.name == "linalg.transpose":
            values[_key(op.results[0])] = operand.transpose(tuple(ir.DenseI64ArrayAttr(op.attributes["permutation"])))
        elif op.name == "smartmem.relayout":
            values[_key(op.results[0])] = Relayout.view(op).apply(operand)
        else:
            raise AssertionError(f"cannot evaluate {op.name}")
    raise AssertionError("no return")


def _key(value: ir.Value) -> str:
    return value.get_name()
