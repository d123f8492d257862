"""Regenerate the real-model inputs of the classify lit tests.

- swin-tiny-input.mlir (classify.mlir): a tiny Swin image classifier with
  Swin's full structure (patch embedding, window partition/reverse, cyclic
  shift, relative position bias, patch merging, layernorms, MLPs): 56 px
  images, patch 4, embed dim 16, depths [2, 2], heads [1, 2], window 7.
- bert-tiny-input.mlir (classify-bert.mlir): a tiny BERT encoder (token,
  position and type embeddings, i.e. gathers; attention; layernorms; GELU
  MLPs): vocab 64, hidden 16, 2 layers, 2 heads, intermediate 32, seq 8.
- swin-t-input.mlir (classify-swin-t.mlir): the zoo's Swin-T itself (embed
  96, depths [2, 2, 6, 2], heads [3, 6, 12, 24], window 7, 224 px), the
  model of the paper's Swin results.

Both are exported with the zoo's recipe (`smartmem.zoo`: seeded random
weights, opset 18, onnxsim), imported with `iree-import-onnx`, lowered with
`iree-compile --compile-to=input` for the Vulkan target, and their weights are
then replaced by splat constants of the same types (weights are imported as
external parameters, whose globals get splat initial values; the op
structure, all that classification reads, is untouched) so that the files
stay small.

Usage: .venv/bin/python test/Inputs/make_classify_inputs.py [KEEP_DIR]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from iree.compiler import ir

from smartmem import zoo

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

MODELS: dict[str, zoo.ModelSpec] = {
    "swin-tiny-input.mlir": zoo.ModelSpec(
        "swin_tiny", "tiny Swin image classifier", zoo.InputSpec("pixel_values", (1, 3, 56, 56), "float32"),
        "logits",
        zoo._make("SwinForImageClassification", "SwinConfig", image_size=56, patch_size=4, embed_dim=16,
                  depths=[2, 2], num_heads=[1, 2], window_size=7, num_labels=10),
    ),
    "bert-tiny-input.mlir": zoo.ModelSpec(
        "bert_tiny", "tiny BERT encoder", zoo.InputSpec("input_ids", (1, 8), "int64", 64),
        "last_hidden_state",
        zoo._make("BertModel", "BertConfig", vocab_size=64, hidden_size=16, num_hidden_layers=2,
                  num_attention_heads=2, intermediate_size=32, max_position_embeddings=16),
    ),
    "swin-t-input.mlir": zoo.get_spec("swin_t"),
}
# Models taken as the zoo builds them (`python -m smartmem.zoo build NAME`).
FROM_ZOO = ("swin_t",)

# Constants with more elements than this become splats.
MAX_KEPT_ELEMENTS = 16


def splat_like(attr: ir.Attribute) -> ir.Attribute | None:
    """A splat with `attr`'s shaped type, or None to keep `attr`."""
    if not isinstance(attr, (ir.DenseElementsAttr, ir.DenseResourceElementsAttr)):
        return None
    shaped = ir.ShapedType(attr.type)
    if not shaped.has_static_shape or np.prod(shaped.shape, dtype=np.int64) <= MAX_KEPT_ELEMENTS:
        return None
    if isinstance(attr, ir.DenseElementsAttr) and attr.is_splat:
        return None
    element = shaped.element_type
    if isinstance(element, (ir.IntegerType, ir.IndexType)):
        scalar = ir.IntegerAttr.get(element, 0)
    else:
        scalar = ir.FloatAttr.get(element, 0.03125)
    return ir.DenseElementsAttr.get_splat(ir.RankedTensorType.get(shaped.shape, element), scalar)


def splat_global(op: ir.Operation) -> ir.Attribute | None:
    """A splat initial value for a util.global holding an external parameter."""
    if op.name != "util.global" or "initial_value" not in op.attributes:
        return None
    initial = op.attributes["initial_value"]
    if isinstance(initial, (ir.DenseElementsAttr, ir.DenseResourceElementsAttr)):
        return splat_like(initial)
    global_type = op.attributes["type"].value
    if not isinstance(global_type, ir.RankedTensorType) or not global_type.has_static_shape:
        return None
    element = global_type.element_type
    scalar = (ir.IntegerAttr.get(element, 0) if isinstance(element, (ir.IntegerType, ir.IndexType))
              else ir.FloatAttr.get(element, 0.03125))
    return ir.DenseElementsAttr.get_splat(global_type, scalar)


def replace_weights(module: ir.Module) -> int:
    replaced = 0

    def visit(op: ir.Operation) -> ir.WalkResult:
        nonlocal replaced
        splat = splat_global(op)
        if splat is not None:
            op.attributes["initial_value"] = splat
            replaced += 1
            return ir.WalkResult.ADVANCE
        for name in list(op.attributes):
            splat = splat_like(op.attributes[name])
            if splat is not None:
                op.attributes[name] = splat
                replaced += 1
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    return replaced


def generate(output: Path, spec: zoo.ModelSpec, work: Path) -> None:
    if spec.name in FROM_ZOO:
        onnx_path = zoo.build(spec.name).onnx  # cached by the zoo
    else:
        onnx_path = work / f"{spec.name}.onnx"
        zoo._export(spec, zoo.build_torch(spec), zoo.model_input(spec), onnx_path)
    imported = work / f"{spec.name}.mlir"
    # Weights go to an external parameter file (discarded): only the IR is kept.
    subprocess.run([BIN / "iree-import-onnx", onnx_path, "--externalize-params",
                    f"--save-params-to={work / (spec.name + '.irpa')}", "-o", imported], check=True)
    lowered = work / f"{spec.name}_input.mlir"
    subprocess.run([BIN / "iree-compile", imported, "--iree-hal-target-device=vulkan",
                    "--compile-to=input", "-o", lowered], check=True)
    context = ir.Context()
    module = ir.Module.parse(lowered.read_text(), context)
    with context, ir.Location.unknown():
        count = replace_weights(module)
    header = (f"// Generated by test/Inputs/make_classify_inputs.py ({spec.description}, --compile-to=input,\n"
              f"// {count} weight constants replaced by splats). Do not edit.\n")
    output.write_text(header + module.operation.get_asm(large_elements_limit=None) + "\n")
    print(f"wrote {output} ({output.stat().st_size} bytes, {count} constants made splat)")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp)
        for name, spec in MODELS.items():
            generate(HERE / name, spec, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
