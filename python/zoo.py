"""The SmartMem model zoo: twelve DNNs as simplified ONNX files.

Every model is built from a transformers config (no hub download) with seeded
random weights (`torch.manual_seed(0)`), eager attention, batch 1, wrapped to
return one tensor, exported with `torch.onnx.export(opset_version=18,
dynamo=False)` and simplified with onnxsim.  Models with BatchNorm get their
running statistics re-estimated on two random batches (weights stay random) so
that activations stay O(1).  GPT-2 and LLaMA take an all-ones attention mask
built inside the wrapper (their mask-from-ids path does not export).  The
configurations are those of the stock-IREE census (shared/baseline, section 6).

Each model comes with a fixed input, `<name>.input.npy`: images N(0, 1), token
ids uniform in [0, vocab), numpy seed 0.

Command line:

    python -m smartmem.zoo list
    python -m smartmem.zoo build [NAMES...] [--out DIR] [--force]

The cache folder is `$SMARTMEM_ZOO_DIR`, else `<repo>/.cache/zoo`.  torch and
transformers are the optional extra `smartmem[zoo]`; they are imported only
when a model is built.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
ZOO_DIR_ENV = "SMARTMEM_ZOO_DIR"
OPSET = 18
SEED = 0
BN_CALIBRATION_BATCHES = 2
BN_CALIBRATION_BATCH_SIZE = 4


class ZooError(Exception):
    """A model could not be built; the message is one line for the user."""


@dataclass(frozen=True)
class InputSpec:
    """The single input of a zoo model."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # "float32" (image) or "int64" (token ids)
    vocab: int = 0  # token ids are drawn uniformly from [0, vocab)

    def random(self, rng: np.random.Generator) -> np.ndarray:
        if self.dtype == "int64":
            return rng.integers(0, self.vocab, size=self.shape, dtype=np.int64)
        return rng.standard_normal(self.shape, dtype=np.float32)


@dataclass(frozen=True)
class ModelSpec:
    """One zoo model: how to build it and what it takes."""

    name: str
    description: str
    input: InputSpec
    output: str  # the field of the transformers output that is returned
    build: Callable[[], Any]  # returns an eval-mode torch.nn.Module
    attention_mask: bool = False  # wrapper passes an all-ones mask
    calibrate_batchnorm: bool = False


def _transformers() -> Any:
    try:
        import torch  # noqa: F401
        import transformers
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ZooError(
            f"building zoo models needs the optional extra: pip install 'smartmem[zoo]' ({exc})"
        ) from exc
    return transformers


def _image(size: int) -> InputSpec:
    return InputSpec("pixel_values", (1, 3, size, size), "float32")


def _tokens(seq: int, vocab: int) -> InputSpec:
    return InputSpec("input_ids", (1, seq), "int64", vocab)


def _make(model_class: str, config_class: str, **config: Any) -> Callable[[], Any]:
    def build() -> Any:
        tf = _transformers()
        cfg = getattr(tf, config_class)(attn_implementation="eager", **config)
        kwargs = {"add_pooling_layer": False} if model_class == "BertModel" else {}
        return getattr(tf, model_class)(cfg, **kwargs)

    return build


_IMAGE_LABELS = {"num_labels": 1000}

MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "swin_t", "Swin-T image classifier", _image(224), "logits",
        _make("SwinForImageClassification", "SwinConfig", image_size=224, patch_size=4,
              embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], window_size=7,
              **_IMAGE_LABELS),
    ),
    ModelSpec(
        "vit_b16", "ViT-B/16 image classifier", _image(224), "logits",
        _make("ViTForImageClassification", "ViTConfig", image_size=224, patch_size=16,
              hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
              intermediate_size=3072, **_IMAGE_LABELS),
    ),
    ModelSpec(
        "deit_s", "DeiT-S shaped ViT image classifier", _image(224), "logits",
        _make("ViTForImageClassification", "ViTConfig", image_size=224, patch_size=16,
              hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
              intermediate_size=1536, **_IMAGE_LABELS),
    ),
    ModelSpec(
        "bert_base", "BERT-base encoder, seq 128, no pooler", _tokens(128, 30522),
        "last_hidden_state",
        _make("BertModel", "BertConfig", vocab_size=30522, hidden_size=768,
              num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
    ),
    ModelSpec(
        "gpt2_small", "GPT-2 small decoder, seq 128, no LM head", _tokens(128, 50257),
        "last_hidden_state",
        _make("GPT2Model", "GPT2Config", vocab_size=50257, n_positions=1024, n_embd=768,
              n_layer=12, n_head=12, use_cache=False),
        attention_mask=True,
    ),
    ModelSpec(
        "llama_small", "LLaMA-style decoder, 4 layers, seq 128, no LM head",
        _tokens(128, 32000), "last_hidden_state",
        _make("LlamaModel", "LlamaConfig", vocab_size=32000, hidden_size=512,
              intermediate_size=1408, num_hidden_layers=4, num_attention_heads=8,
              num_key_value_heads=8, max_position_embeddings=2048, use_cache=False),
        attention_mask=True,
    ),
    ModelSpec(
        "convnext_t", "ConvNeXt-T image classifier", _image(224), "logits",
        _make("ConvNextForImageClassification", "ConvNextConfig", patch_size=4,
              hidden_sizes=[96, 192, 384, 768], depths=[3, 3, 9, 3], **_IMAGE_LABELS),
    ),
    ModelSpec(
        "resnet50", "ResNet-50 image classifier", _image(224), "logits",
        _make("ResNetForImageClassification", "ResNetConfig", embedding_size=64,
              hidden_sizes=[256, 512, 1024, 2048], depths=[3, 4, 6, 3],
              layer_type="bottleneck", **_IMAGE_LABELS),
        calibrate_batchnorm=True,
    ),
    ModelSpec(
        "mobilenet_v2", "MobileNetV2 image classifier", _image(224), "logits",
        _make("MobileNetV2ForImageClassification", "MobileNetV2Config", image_size=224,
              depth_multiplier=1.0, **_IMAGE_LABELS),
        calibrate_batchnorm=True,
    ),
    ModelSpec(
        "segformer_b0", "SegFormer-B0 semantic segmentation, 512x512, 150 classes",
        _image(512), "logits",
        _make("SegformerForSemanticSegmentation", "SegformerConfig", depths=[2, 2, 2, 2],
              hidden_sizes=[32, 64, 160, 256], num_attention_heads=[1, 2, 5, 8],
              sr_ratios=[8, 4, 2, 1], decoder_hidden_size=256, num_labels=150),
        calibrate_batchnorm=True,
    ),
    ModelSpec(
        "mobilevit_s", "MobileViT-S image classifier, 256x256", _image(256), "logits",
        _make("MobileViTForImageClassification", "MobileViTConfig", image_size=256,
              patch_size=2, hidden_sizes=[144, 192, 240],
              neck_hidden_sizes=[16, 32, 64, 96, 128, 160, 640], num_attention_heads=4,
              **_IMAGE_LABELS),
        calibrate_batchnorm=True,
    ),
    ModelSpec(
        "clip_text", "CLIP text encoder, seq 77", _tokens(77, 49408), "last_hidden_state",
        _make("CLIPTextModel", "CLIPTextConfig", vocab_size=49408, hidden_size=512,
              intermediate_size=2048, num_hidden_layers=12, num_attention_heads=8,
              max_position_embeddings=77),
    ),
)

MODEL_NAMES: tuple[str, ...] = tuple(m.name for m in MODELS)


def get_spec(name: str) -> ModelSpec:
    for spec in MODELS:
        if spec.name == name:
            return spec
    raise ZooError(f"unknown zoo model '{name}' (known: {', '.join(MODEL_NAMES)})")


def zoo_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: `override`, else $SMARTMEM_ZOO_DIR, else <repo>/.cache/zoo."""
    if override is not None:
        return Path(override)
    env = os.environ.get(ZOO_DIR_ENV)
    return Path(env) if env else REPO_ROOT / ".cache" / "zoo"


@dataclass(frozen=True)
class ZooPaths:
    onnx: Path
    input: Path


def model_paths(name: str, directory: Path | None = None) -> ZooPaths:
    base = zoo_dir(directory)
    return ZooPaths(base / f"{name}.onnx", base / f"{name}.input.npy")


def model_input(spec: ModelSpec) -> np.ndarray:
    """The fixed input of a model (numpy seed 0)."""
    return spec.input.random(np.random.default_rng(SEED))


def _wrap(spec: ModelSpec, model: Any) -> Any:
    import torch

    class OneTensor(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if spec.attention_mask:
                out = self.model(input_ids=x, attention_mask=torch.ones_like(x))
            else:
                out = self.model(x)
            return getattr(out, spec.output)

    return OneTensor().eval()


def _calibrate_batchnorm(spec: ModelSpec, model: Any) -> int:
    """Re-estimate BatchNorm running stats on random batches; returns the layer count."""
    import torch

    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return 0
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
    model.train()
    shape = (BN_CALIBRATION_BATCH_SIZE,) + spec.input.shape[1:]
    with torch.no_grad():
        for _ in range(BN_CALIBRATION_BATCHES):
            model(torch.randn(shape))
    model.eval()
    return len(norms)


def build_torch(spec: ModelSpec) -> Any:
    """The wrapped eval-mode torch module of a zoo model (seeded weights)."""
    import torch

    _transformers()
    torch.manual_seed(SEED)
    model = spec.build()
    model.eval()
    if spec.calibrate_batchnorm:
        _calibrate_batchnorm(spec, model)
    return _wrap(spec, model)


def _export(spec: ModelSpec, module: Any, example: np.ndarray, path: Path) -> None:
    import warnings

    import onnx
    import onnxsim
    import torch

    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        raw = Path(tmp) / "raw.onnx"
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module, (torch.from_numpy(example),), str(raw),
                opset_version=OPSET, dynamo=False,
                input_names=[spec.input.name], output_names=["output"],
            )
        model = onnx.load(str(raw))
        simplified, ok = onnxsim.simplify(model)
        if not ok:
            raise ZooError(f"{spec.name}: onnxsim could not validate the simplified model")
        staged = Path(tmp) / "model.onnx"
        onnx.save(simplified, str(staged))
        os.replace(staged, path)


def build(name: str, directory: Path | None = None, force: bool = False) -> ZooPaths:
    """Build (or reuse) one zoo model; returns its ONNX and input paths."""
    spec = get_spec(name)
    paths = model_paths(name, directory)
    if not force and paths.onnx.exists() and paths.input.exists():
        return paths
    paths.onnx.parent.mkdir(parents=True, exist_ok=True)
    example = model_input(spec)
    module = build_torch(spec)
    try:
        _export(spec, module, example, paths.onnx)
    except ZooError:
        raise
    except Exception as exc:  # export errors come from torch/onnx internals
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ZooError(f"{name}: export failed: {first}") from exc
    with tempfile.NamedTemporaryFile(dir=paths.input.parent, suffix=".npy", delete=False) as f:
        np.save(f, example)
    os.chmod(f.name, 0o644)
    os.replace(f.name, paths.input)
    return paths


def load_input(name: str, directory: Path | None = None) -> np.ndarray:
    return np.load(model_paths(name, directory).input)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smartmem.zoo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the models and whether they are cached")
    b = sub.add_parser("build", help="build models into the cache (all by default)")
    b.add_argument("names", nargs="*", metavar="NAME")
    b.add_argument("--out", type=Path, default=None, help=f"cache folder (default ${ZOO_DIR_ENV} or .cache/zoo)")
    b.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args(argv)

    if args.command == "list":
        for spec in MODELS:
            paths = model_paths(spec.name)
            state = "cached" if paths.onnx.exists() else "-"
            shape = "x".join(map(str, spec.input.shape))
            print(f"{spec.name:14s} {spec.input.name}[{shape}] {spec.input.dtype:8s} {state:7s} {spec.description}")
        return 0

    names = args.names or list(MODEL_NAMES)
    try:
        for name in names:
            get_spec(name)
        for name in names:
            start = time.monotonic()
            paths = build(name, args.out, args.force)
            print(f"{name}: {paths.onnx} ({time.monotonic() - start:.1f} s)", flush=True)
    except ZooError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
