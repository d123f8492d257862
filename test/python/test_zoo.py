"""The model zoo: specs, fixed inputs, cache paths, and one real export checked against torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from smartmem import zoo


def test_twelve_models_with_unique_names() -> None:
    assert len(zoo.MODELS) == 12
    assert len(set(zoo.MODEL_NAMES)) == 12
    assert {"swin_t", "vit_b16", "gpt2_small", "llama_small", "clip_text"} <= set(zoo.MODEL_NAMES)
    masked = {m.name for m in zoo.MODELS if m.attention_mask}
    assert masked == {"gpt2_small", "llama_small"}
    calibrated = {m.name for m in zoo.MODELS if m.calibrate_batchnorm}
    assert calibrated == {"resnet50", "mobilenet_v2", "segformer_b0", "mobilevit_s"}


def test_fixed_inputs_are_deterministic() -> None:
    for spec in zoo.MODELS:
        a, b = zoo.model_input(spec), zoo.model_input(spec)
        assert a.shape == spec.input.shape and a.dtype == np.dtype(spec.input.dtype)
        np.testing.assert_array_equal(a, b)
        if spec.input.dtype == "int64":
            assert a.min() >= 0 and a.max() < spec.input.vocab


def test_unknown_model_and_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(zoo.ZooError, match="unknown zoo model 'nope'"):
        zoo.get_spec("nope")
    monkeypatch.setenv(zoo.ZOO_DIR_ENV, str(tmp_path))
    assert zoo.model_paths("swin_t").onnx == tmp_path / "swin_t.onnx"
    assert zoo.zoo_dir("elsewhere") == Path("elsewhere")
    assert zoo.main(["build", "nope", "--out", str(tmp_path)]) == 1
    assert not list(tmp_path.iterdir())  # nothing written for a bad name


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert zoo.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(zoo.MODEL_NAMES)


def test_export_matches_torch_and_batchnorm_is_calibrated(tmp_path: Path) -> None:
    # MobileNetV2 is the smallest zoo model with BatchNorm: its ONNX export,
    # run by onnxruntime on the fixed input, must equal the torch module, and
    # the calibrated statistics must keep the logits from vanishing.
    torch = pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    paths = zoo.build("mobilenet_v2", tmp_path)
    assert paths.onnx.exists() and paths.input.exists()
    x = np.load(paths.input)
    np.testing.assert_array_equal(x, zoo.model_input(zoo.get_spec("mobilenet_v2")))
    sess = ort.InferenceSession(str(paths.onnx), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"pixel_values": x})[0]
    with torch.no_grad():
        want = zoo.build_torch(zoo.get_spec("mobilenet_v2"))(torch.from_numpy(x)).numpy()
    assert got.shape == (1, 1000)
    rel = np.linalg.norm(got - want) / np.linalg.norm(want)
    assert rel < 1e-4, f"onnxruntime vs torch rel L2 {rel:.2e}"
    assert 0.05 < float(np.std(want)) < 100.0
    mtime = paths.onnx.stat().st_mtime_ns
    assert zoo.build("mobilenet_v2", tmp_path).onnx.stat().st_mtime_ns == mtime  # cached
