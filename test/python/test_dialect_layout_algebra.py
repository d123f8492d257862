"""Randomized properties of layout algebra (apply, inverse, compose, conversion)
and the semantics of smartmem-canonicalize-layouts on random conversion chains.

Each test draws a fresh seed and reports it on failure; rerun one with
SMARTMEM_TEST_SEED=<seed>.
"""

from __future__ import annotations

import os
from typing import Iterator

import numpy as np
import pytest
from iree.compiler import ir

from smartmem.context import make_context
from smartmem.dialect import Blocking, ConvertLayout, Layout, LayoutError, create_convert_layout
from smartmem.passes.pipeline import build_pass_manager, parse_pipeline

TRIALS = 200
SIZES = (1, 2, 3, 4, 6, 8, 12)


@pytest.fixture
def rng() -> Iterator[tuple[np.random.Generator, int]]:
    seed = int(os.environ.get("SMARTMEM_TEST_SEED", np.random.SeedSequence().entropy % (2**32)))
    yield np.random.default_rng(seed), seed


def random_shape(rng: np.random.Generator, rank: int) -> tuple[int, ...]:
    return tuple(int(s) for s in rng.choice(SIZES, size=rank))


def random_layout(rng: np.random.Generator, shape: tuple[int, ...], blocked: bool | None = None) -> Layout:
    """A random layout valid for `shape` (blocked with probability 1/2 if possible)."""
    permutation = tuple(int(p) for p in rng.permutation(len(shape)))
    candidates = [(d, f) for d, size in enumerate(shape) for f in range(2, size + 1) if size % f == 0]
    if blocked is None:
        blocked = bool(candidates) and rng.random() < 0.5
    if not blocked or not candidates:
        return Layout(permutation)
    dim, factor = candidates[rng.integers(len(candidates))]
    return Layout(permutation, Blocking(dim, factor))


def test_apply_matches_physical_shape_and_unapply_inverts(rng) -> None:
    generator, seed = rng
    for _ in range(TRIALS):
        shape = random_shape(generator, int(generator.integers(0, 5)))
        layout = random_layout(generator, shape)
        x = generator.standard_normal(shape)
        physical = layout.apply(x)
        assert physical.shape == layout.physical_shape(shape), f"seed {seed}: {layout} on {shape}"
        assert np.array_equal(layout.unapply(physical), x), f"seed {seed}: {layout} on {shape}"


def test_blocking_puts_the_inner_block_innermost() -> None:
    # NC4HW4 by hand: physical[n, c_outer, h, w, c_inner] == x[n, 4 * c_outer + c_inner, h, w].
    x = np.arange(2 * 8 * 3 * 5).reshape(2, 8, 3, 5)
    physical = Layout((0, 1, 2, 3), Blocking(1, 4)).apply(x)
    for n, co, h, w, ci in np.ndindex(physical.shape):
        assert physical[n, co, h, w, ci] == x[n, 4 * co + ci, h, w]
    # Blocking a dim the permutation moves: [H, W, C] with C outer first.
    y = np.arange(3 * 5 * 8).reshape(3, 5, 8)
    moved = Layout((2, 0, 1), Blocking(2, 2)).apply(y)
    for co, h, w, ci in np.ndindex(moved.shape):
        assert moved[co, h, w, ci] == y[h, w, 2 * co + ci]


def test_inverse_undoes_a_permutation(rng) -> None:
    generator, seed = rng
    for _ in range(TRIALS):
        shape = random_shape(generator, int(generator.integers(0, 6)))
        layout = random_layout(generator, shape, blocked=False)
        x = generator.standard_normal(shape)
        inverse = layout.inverse()
        assert np.array_equal(inverse.apply(layout.apply(x)), x), f"seed {seed}: {layout}"
        assert layout.compose(inverse).is_identity(), f"seed {seed}: {layout}"
        assert inverse.compose(layout).is_identity(), f"seed {seed}: {layout}"
        assert inverse.inverse() == layout


def test_blocked_layouts_have_no_inverse_layout() -> None:
    with pytest.raises(LayoutError, match="has no inverse layout"):
        Layout((0, 1), Blocking(1, 4)).inverse()


def test_compose_matches_applying_both(rng) -> None:
    generator, seed = rng
    composed = refused = 0
    for _ in range(TRIALS):
        shape = random_shape(generator, int(generator.integers(1, 5)))
        first = random_layout(generator, shape)
        physical_shape = first.physical_shape(shape)
        then = random_layout(generator, physical_shape)
        x = generator.standard_normal(shape)
        expected = then.apply(first.apply(x))
        try:
            both = first.compose(then)
        except LayoutError:
            # Only two blockings, or moving the inner block, are inexpressible.
            assert first.blocking is not None, f"seed {seed}: {first} then {then}"
            assert then.blocking is not None or then.permutation[first.rank] != first.rank, f"seed {seed}"
            refused += 1
            continue
        composed += 1
        assert np.array_equal(both.apply(x), expected), f"seed {seed}: {first} then {then} gave {both}"
    assert composed > TRIALS // 4, f"seed {seed}: only {composed} compositions were expressible"


def test_compose_is_associative_on_permutations(rng) -> None:
    generator, seed = rng
    for _ in range(TRIALS):
        rank = int(generator.integers(1, 6))
        a, b, c = (Layout(tuple(int(p) for p in generator.permutation(rank))) for _ in range(3))
        assert a.compose(b).compose(c) == a.compose(b.compose(c)), f"seed {seed}: {a} {b} {c}"


def test_conversion_takes_source_storage_to_target_storage(rng) -> None:
    generator, seed = rng
    for _ in range(TRIALS):
        shape = random_shape(generator, int(generator.integers(1, 5)))
        source = random_layout(generator, shape)
        if source.blocking is not None and generator.random() < 0.5:
            target = Layout(tuple(int(p) for p in generator.permutation(len(shape))), source.blocking)
        else:
            target = random_layout(generator, shape)
        x = generator.standard_normal(shape)
        try:
            conversion = Layout.conversion(source, target)
        except LayoutError:
            assert source.blocking is not None and source.blocking != target.blocking, f"seed {seed}"
            continue
        assert np.array_equal(conversion.apply(source.apply(x)), target.apply(x)), (
            f"seed {seed}: {source} -> {target} via {conversion}"
        )


# smartmem-canonicalize-layouts on random chains, checked by interpreting both modules.


def _chain_module(context: ir.Context, shape: tuple[int, ...], layouts: list[Layout]) -> ir.Module:
    """func @chain(%x) converting %x through `layouts` (layouts[0] is %x's layout)."""
    with context, ir.Location.unknown():
        module = ir.Module.create()
        tensor = ir.RankedTensorType.get(list(shape), ir.F32Type.get())
        with ir.InsertionPoint(module.body):
            function = ir.Operation.create(
                "func.func",
                attributes={
                    "sym_name": ir.StringAttr.get("chain"),
                    "function_type": ir.TypeAttr.get(ir.FunctionType.get([tensor], [tensor])),
                },
                regions=1,
            )
        block = function.regions[0].blocks.append(tensor)
        with ir.InsertionPoint(block):
            value = block.arguments[0]
            for source, target in zip(layouts, layouts[1:]):
                value = create_convert_layout(value, source, target).results[0]
            ir.Operation.create("func.return", operands=[value])
    return module


def _interpret(module: ir.Module, logical_input: np.ndarray, input_layout: Layout) -> np.ndarray:
    """Run the chain on physical data: each convert re-stores its operand."""
    block = module.body.operations[0].regions[0].blocks[0]
    values = {block.arguments[0]: input_layout.apply(logical_input)}
    for op in block.operations:
        convert = ConvertLayout.view(op)
        if convert is not None:
            values[convert.result] = convert.target.apply(convert.source.unapply(values[convert.input]))
        elif op.operation.name == "func.return":
            return values[op.operands[0]]
    raise AssertionError("no func.return")


def test_canonicalize_layouts_preserves_chain_semantics(rng) -> None:
    generator, seed = rng
    context = make_context()
    for trial in range(40):
        shape = random_shape(generator, int(generator.integers(1, 4)))
        layouts = [random_layout(generator, shape) for _ in range(int(generator.integers(2, 6)))]
        if trial % 3 == 0:
            layouts.append(layouts[0])  # a chain that should cancel
        if trial % 5 == 0:
            layouts.insert(2, layouts[1])  # an identity conversion in the middle
        module = _chain_module(context, shape, layouts)
        original = ir.Module.parse(str(module), context)
        build_pass_manager(parse_pipeline("builtin.module(smartmem-canonicalize-layouts)"), context).run(module.operation)
        x = generator.standard_normal(shape).astype(np.float32)
        expected = _interpret(original, x, layouts[0])
        got = _interpret(module, x, layouts[0])
        assert np.array_equal(got, expected), f"seed {seed}: chain {[str(l) for l in layouts]}"
        remaining = [op for op in module.body.operations[0].regions[0].blocks[0].operations if ConvertLayout.view(op)]
        assert len(remaining) == (0 if layouts[0] == layouts[-1] else 1), f"seed {seed}: {module}"
