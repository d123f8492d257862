"""smartmem.passes.matmul_form against IREE's own choice of codegen pipeline.

Each case is one `linalg.generic` contraction (loops, and the loops each
operand reads, in order). The rule's verdict is checked on all of them;
IREE's verdict (`--compile-to=executable-configurations`, Vulkan ampere:
`MatmulPromoteVectorize` or not) is checked on every case too, so an IREE
upgrade that changes the rule fails here. IREE also decides by size (small
or unaligned matmuls go to other pipelines even in 2-D form), so the shapes
are ones IREE gives a plain matmul `MatmulPromoteVectorize` for.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest
from iree.compiler import ir

from smartmem.context import make_context
from smartmem.passes.matmul_form import collapsed_loop_groups, off_matmul_pipeline

IREE_COMPILE = pathlib.Path(sys.executable).with_name("iree-compile")

# name: (loops with sizes, in loop order; "k*" loops reduce), lhs, rhs, out, stays a matmul
CASES = {
    "matmul": ({"m": 64, "n": 32, "k": 16}, "m k", "k n", "m n", True),
    "m_split_in_order": ({"a": 8, "b": 8, "n": 32, "k": 16}, "a b k", "k n", "a b n", True),
    "m_split_swapped_in_lhs": ({"a": 8, "b": 8, "n": 32, "k": 16}, "b a k", "k n", "a b n", True),
    "window_partition_4_m_loops": ({"a": 2, "c": 4, "b": 2, "d": 4, "n": 32, "k": 16},
                                   "a b c d k", "k n", "a c b d n", False),
    "window_contiguous": ({"a": 2, "b": 4, "c": 2, "d": 4, "n": 32, "k": 16}, "a b c d k", "k n", "a b c d n", True),
    "two_batch_dims_in_order": ({"b": 4, "h": 3, "m": 64, "n": 64, "k": 32}, "b h m k", "b h k n", "b h m n", True),
    "two_batch_dims_permuted": ({"b": 4, "h": 2, "m": 32, "n": 32, "k": 16}, "b m h k", "b h k n", "b h m n", False),
    "head_split_output": ({"m": 32, "h": 4, "d": 16, "k": 64}, "m k", "k h d", "h m d", True),
    "k_split_permuted": ({"m": 196, "n": 64, "k1": 12, "k2": 64}, "m k1 k2", "k2 k1 n", "m n", True),
    "three_m_two_contiguous": ({"a": 4, "b": 4, "c": 16, "n": 32, "k": 16}, "b a c k", "k n", "a b c n", False),
}


def _maps(loops: dict[str, int], operands: list[str]) -> list[ir.AffineMap]:
    index = {name: i for i, name in enumerate(loops)}
    return [ir.AffineMap.get(len(loops), 0, [ir.AffineDimExpr.get(index[x]) for x in o.split()]) for o in operands]


def _iterators(loops: dict[str, int]) -> list[str]:
    return ["reduction" if name.startswith("k") else "parallel" for name in loops]


@pytest.mark.parametrize("name", list(CASES))
def test_rule(name: str) -> None:
    loops, lhs, rhs, out, stays = CASES[name]
    with make_context():
        reason = off_matmul_pipeline(_maps(loops, [lhs, rhs, out]), _iterators(loops))
    assert (reason == "") == stays, f"{name}: {reason or 'accepted'}"


def test_collapse_groups() -> None:
    loops, lhs, rhs, out, _ = CASES["window_contiguous"]
    with make_context():
        groups = collapsed_loop_groups(_maps(loops, [lhs, rhs, out]), _iterators(loops))
    assert groups == [(0, 1, 2, 3), (4,), (5,)]


def _module(name: str, loops: dict[str, int], lhs: str, rhs: str, out: str) -> str:
    with make_context():
        maps = [str(m) for m in _maps(loops, [lhs, rhs, out])]
    def ty(operand: str) -> str:
        return "tensor<" + "x".join(str(loops[x]) for x in operand.split()) + "xf32>"
    iterators = ", ".join(f'"{it}"' for it in _iterators(loops))
    return f"""func.func @{name}(%a: {ty(lhs)}, %b: {ty(rhs)}) -> {ty(out)} {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : {ty(out)}
  %f = linalg.fill ins(%z : f32) outs(%e : {ty(out)}) -> {ty(out)}
  %g = linalg.generic {{indexing_maps = [affine_map<{maps[0]}>, affine_map<{maps[1]}>, affine_map<{maps[2]}>],
      iterator_types = [{iterators}]}} ins(%a, %b : {ty(lhs)}, {ty(rhs)}) outs(%f : {ty(out)}) {{
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }} -> {ty(out)}
  return %g : {ty(out)}
}}
"""


@pytest.mark.parametrize("name", list(CASES))
def test_iree_agrees(name: str, tmp_path: pathlib.Path) -> None:
    loops, lhs, rhs, out, stays = CASES[name]
    pipeline = _iree_pipeline(_module(name, loops, lhs, rhs, out), "ampere", tmp_path / f"{name}.mlir")
    assert (pipeline == "MatmulPromoteVectorize") == stays, f"{name}: IREE chose {pipeline}"


def _iree_pipeline(module: str, target: str, source: pathlib.Path) -> str:
    """The SPIR-V codegen pipeline IREE picks for the one dispatch of `module` on Vulkan `target`."""
    source.write_text(module)
    done = subprocess.run(
        [str(IREE_COMPILE), str(source), "--compile-to=executable-configurations",
         "--iree-hal-target-device=vulkan", f"--iree-vulkan-target={target}"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    pipelines = re.findall(r"spirv_pipeline<(\w+)>", done.stdout)
    assert len(pipelines) == 1, pipelines
    return pipelines[0]


def _reduction_case_maps(loops: dict[str, int], operands: list[str]) -> tuple[list[ir.AffineMap], list[str], list[list[int]]]:
    names = list(loops)
    maps = [
        ir.AffineMap.get(len(names), 0, [ir.AffineDimExpr.get(names.index(x)) for x in operand.split()])
        for operand in operands
    ]
    iterators = ["reduction" if name.startswith("k") else "parallel" for name in names]
    shapes = [[loops[x] for x in operand.split()] for operand in operands]
    return maps, iterators, shapes


@pytest.mark.parametrize("loops,operands,short", [
    # ConvNeXt's 2x2 downsampling read through the space-to-depth index:
    # reduction (c, kh, kw) with kw = 2 innermost in the image.
    ({"oh": 7, "ow": 7, "f": 768, "kc": 384, "ki": 2, "kj": 2}, ["kc oh ki ow kj", "f kc ki kj", "f oh ow"], True),
    # A head merge read as (head, head dim) reductions: head dim 64.
    ({"m": 224, "n": 768, "kh": 12, "kd": 64}, ["kh m kd", "kh kd n", "m n"], False),
    # One reduction loop, however short: nothing split.
    ({"m": 64, "n": 64, "k": 4}, ["m k", "k n", "m n"], False),
])
def test_short_reduction_pieces(loops: dict[str, int], operands: list[str], short: bool) -> None:
    from smartmem.passes.matmul_form import SHORT_REDUCTION_PIECES, short_reduction_pieces

    with make_context():
        maps, iterators, shapes = _reduction_case_maps(loops, operands)
        reason = short_reduction_pieces(maps, iterators, shapes)
    assert reason.startswith(SHORT_REDUCTION_PIECES) if short else reason == "", reason


# Head-split projections X[m, k] x W[k, h, d] -> [h, m, d] against the unsplit [m, h*d].
HEAD_SPLITS = {
    "heads_of_36": ({"m": 1024, "h": 4, "d": 36, "k": 144}, False),
    "heads_of_60": ({"m": 1024, "h": 4, "d": 60, "k": 240}, False),
    "heads_of_32": ({"m": 1024, "h": 4, "d": 32, "k": 144}, True),
    "heads_of_40": ({"m": 1024, "h": 4, "d": 40, "k": 144}, True),
}


@pytest.mark.parametrize("name", list(HEAD_SPLITS))
def test_unaligned_output_rule(name: str) -> None:
    from smartmem.passes.matmul_form import UNALIGNED_OUTPUT, unaligned_output

    loops, aligned = HEAD_SPLITS[name]
    unsplit = {"m": loops["m"], "n": loops["h"] * loops["d"], "k": loops["k"]}
    with make_context():
        maps, iterators, shapes = _reduction_case_maps(loops, ["m k", "k h d", "h m d"])
        old_maps, old_iterators, old_shapes = _reduction_case_maps(unsplit, ["m k", "k n", "m n"])
        reason = unaligned_output(maps, iterators, shapes[-1], old_maps, old_iterators, old_shapes[-1])
    assert reason == "" if aligned else reason.startswith(UNALIGNED_OUTPUT), reason


@pytest.mark.parametrize("name", list(HEAD_SPLITS))
def test_iree_agrees_on_alignment(name: str, tmp_path: pathlib.Path) -> None:
    """valhall: the aligned head splits get BaseVectorize (its matmul pipeline), the others SubgroupReduce."""
    loops, aligned = HEAD_SPLITS[name]
    pipeline = _iree_pipeline(_module(name, loops, "m k", "k h d", "h m d"), "valhall", tmp_path / f"{name}.mlir")
    assert (pipeline == "BaseVectorize") == aligned, f"{name}: IREE chose {pipeline}"
