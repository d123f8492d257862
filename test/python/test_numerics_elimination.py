"""Every positive case of the elimination passes' lit tests, run end to end.

Each function of test/Passes/<pass>.mlir that the pass rewrites is compiled
stock and after the pass, run on random inputs (fresh seed, printed on
failure) on llvm-cpu and on Vulkan (lavapipe), and compared: rel L2 <= 1e-5.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from numerics import compare_function, vulkan_available

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = {
    "fold-layout-chains": "builtin.module(smartmem-fold-layout-chains)",
    "concat-slices-to-transpose": "builtin.module(smartmem-concat-slices-to-transpose,smartmem-fold-layout-chains)",
    "write-through-layout-chains": "builtin.module(smartmem-write-through-layout-chains)",
    "fold-rolls": "builtin.module(smartmem-fold-rolls)",
    "gather-through-layout-chains": "builtin.module(smartmem-gather-through-layout-chains)",
    "hoist-constant-layouts": "builtin.module(smartmem-hoist-constant-layouts)",
    "permute-row-regions": "builtin.module(smartmem-permute-row-regions)",
    "split-producer-by-slices": "builtin.module(smartmem-split-producer-by-slices)",
    "pad-softmax-rows": "builtin.module(smartmem-pad-softmax-rows)",
    "pad-contraction-rows": "builtin.module(smartmem-pad-contraction-rows{multiple=8 min-rows=8})",
    "block-major-slices": "builtin.module(smartmem-block-major-slices)",
    "swap-batch-dims": "builtin.module(smartmem-swap-batch-dims)",
    "unbatch-broadcast-matmuls": "builtin.module(smartmem-unbatch-broadcast-matmuls)",
    "patchify-convs": "builtin.module(smartmem-patchify-convs)",
    "channels-last-convs": "builtin.module(smartmem-channels-last-convs)",
    "split-reduction-rows": "builtin.module(smartmem-split-reduction-rows)",
    "write-epilogue-layouts": "builtin.module(smartmem-write-epilogue-layouts)",
    "pad-window-attention": "builtin.module(smartmem-pad-window-attention{multiple=4 min-rows=16})",
    "fuse-pads-into-convolutions": "builtin.module(smartmem-fuse-pads-into-convolutions)",
    "fuse-normalization-reductions": "builtin.module(smartmem-fuse-normalization-reductions)",
    "gather-rows-before-normalization": "builtin.module(smartmem-gather-rows-before-normalization)",
}
# Lit files whose chunks are also checked under another option set: (file, label, pipeline).
EXTRA_CASES = (
    ("channels-last-convs", "everywhere", "builtin.module(smartmem-channels-last-convs{everywhere=true})"),
    ("fuse-normalization-reductions-memory", "long-rows",
     "builtin.module(smartmem-fuse-normalization-reductions{workgroup-memory=100000})"),
)
TOLERANCE = 1e-5


def _cases():
    runs = [(name, name, pipeline) for name, pipeline in CASES.items()]
    runs += [(name, f"{name}{{{label}}}", pipeline) for name, label, pipeline in EXTRA_CASES]
    for test_name, case_id, pipeline in runs:
        text = (ROOT / "test" / "Passes" / f"{test_name}.mlir").read_text()
        for chunk in text.split("// -----"):
            match = re.search(r"func\.func @(\w+)", chunk)
            if match is None or "arith.constant dense" in chunk:
                continue
            if re.search(r"tensor<[^>]*\?", chunk):
                continue  # random inputs need static shapes; dynamic cases are negatives
            yield pytest.param(chunk, match.group(1), pipeline, id=f"{case_id}:{match.group(1)}")


@pytest.mark.parametrize("chunk,function,pipeline", list(_cases()))
@pytest.mark.parametrize("target", ["llvm-cpu", "vulkan"])
def test_rewrite_preserves_numerics(chunk: str, function: str, pipeline: str, target: str) -> None:
    if target == "vulkan" and not vulkan_available():
        pytest.skip("no Vulkan device (install mesa-vulkan-drivers for lavapipe)")
    result = compare_function(chunk, function, pipeline, target)
    assert result.worst() <= TOLERANCE, (
        f"{function} on {target}: rel L2 {result.rel_l2} > {TOLERANCE} (seed {result.seed})"
    )
