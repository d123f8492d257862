"""Generate the embedded default model: a small Swin-style image classifier.

`models/swin_tiny_default.onnx` is what the README's main command compiles
when no model is given. It is built from a transformers `SwinConfig` with
small dimensions and seeded random weights (there is no model hub here),
with the zoo's export recipe: `torch.onnx.export(opset_version=18,
dynamo=False)`, then onnx shape inference and `onnxsim.simplify`. The model
keeps every layout transformation of Swin-T: patch embedding, window
partition/reverse, cyclic shift (shifted windows), head split/merge, patch
merging. Its fixed input is `models/swin_tiny_default.input.npy`.

Needs the `[zoo]` extra (torch, transformers):

    .venv/bin/python -m smartmem.tools.make_default_model [--out-dir models]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_NAME = "swin_tiny_default"
SEED = 0


@dataclass(frozen=True)
class DefaultSwin:
    """The embedded model's configuration (transformers SwinConfig fields)."""

    image_size: int = 64
    patch_size: int = 4
    embed_dim: int = 32
    depths: tuple[int, ...] = (2, 2, 2)
    num_heads: tuple[int, ...] = (2, 4, 8)
    window_size: int = 4
    num_labels: int = 100

    def input_shape(self) -> tuple[int, int, int, int]:
        return (1, 3, self.image_size, self.image_size)


def build_onnx(spec: DefaultSwin, onnx_path: Path) -> None:
    import onnx
    import onnxsim
    import torch
    from transformers import SwinConfig, SwinForImageClassification

    torch.manual_seed(SEED)
    config = SwinConfig(
        image_size=spec.image_size,
        patch_size=spec.patch_size,
        embed_dim=spec.embed_dim,
        depths=list(spec.depths),
        num_heads=list(spec.num_heads),
        window_size=spec.window_size,
        num_labels=spec.num_labels,
        attn_implementation="eager",
    )
    model = SwinForImageClassification(config).eval()

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
            return self.inner(pixel_values=pixel_values).logits

    example = torch.zeros(spec.input_shape())
    raw_path = onnx_path.with_suffix(".raw.onnx")
    torch.onnx.export(
        LogitsOnly(model),
        (example,),
        str(raw_path),
        opset_version=18,
        dynamo=False,
        input_names=["pixel_values"],
        output_names=["logits"],
    )
    raw = onnx.load(str(raw_path))
    raw_path.unlink()
    simplified, ok = onnxsim.simplify(onnx.shape_inference.infer_shapes(raw))
    if not ok:
        raise RuntimeError("onnxsim could not validate the simplified model")
    onnx.save(simplified, str(onnx_path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    args = parser.parse_args(argv)
    spec = DefaultSwin()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out_dir / f"{DEFAULT_NAME}.onnx"
    build_onnx(spec, onnx_path)
    pixels = np.random.default_rng(SEED).standard_normal(spec.input_shape()).astype(np.float32)
    np.save(args.out_dir / f"{DEFAULT_NAME}.input.npy", pixels)
    size_mb = onnx_path.stat().st_size / 1e6
    print(f"wrote {onnx_path} ({size_mb:.2f} MB) and its input {DEFAULT_NAME}.input.npy", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
