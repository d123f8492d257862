"""Model frontends: ONNX and MLIR files into an MLIR module in IREE's context.

ONNX goes through onnx's checker, symbolic-dimension binding, shape inference
and onnxsim (constant folding of the shape arithmetic that traced exports are
full of), then through IREE's ONNX importer in-process
(`iree.compiler.extras.onnx_importer`), giving `torch.operator "onnx.*"` ops
that IREE's `input` phase lowers to linalg. Weights become `dense_resource`
constants; the compile driver moves them into a parameter archive later.

MLIR files (the importer's torch/onnx IR, or linalg-level IR) are parsed into
the same context.

Every problem with the input is a `SmartMemError` naming it: the file, or
the ONNX node and op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from iree.compiler import ir

from smartmem.diagnostics import SmartMemError, mlir_error_diagnostics

DEFAULT_ENTRY = "main_graph"

# ONNX domains IREE's importer lowers (others are vendor extensions such as
# com.microsoft contrib ops).
SUPPORTED_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")


@dataclass(frozen=True)
class OnnxNodeInfo:
    """Where an ONNX node came from, for diagnostics that name it."""

    name: str
    op_type: str
    domain: str

    def describe(self) -> str:
        op = f"{self.domain}::{self.op_type}" if self.domain not in ("", "ai.onnx") else self.op_type
        return f"op '{op}' (node '{self.name}')"


@dataclass
class ImportedModel:
    """A model in IREE's context, ready for the `input` phase."""

    module: ir.Operation
    entry: str
    kind: str  # "onnx" or "mlir"
    owner: ir.Module  # owns `module`; keep it alive while compiling
    nodes: dict[str, OnnxNodeInfo] = field(default_factory=dict)
    onnx_op_histogram: dict[str, int] = field(default_factory=dict)


def check_readable(path: Path) -> None:
    if not path.exists():
        raise SmartMemError.plain(f"could not open input file '{path}': no such file")
    if path.is_dir():
        raise SmartMemError.plain(f"could not open input file '{path}': is a directory")
    if path.suffix not in (".onnx", ".mlir"):
        raise SmartMemError.plain("input file must be .onnx or .mlir", str(path))


# --------------------------------------------------------------------------- ONNX


def load_onnx(path: Path, dims: Mapping[str, int], simplify: bool = True):
    """Load, check, bind symbolic dims, infer shapes and simplify an ONNX model."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load(str(path))
    except DecodeError:
        raise SmartMemError.plain(
            "not an ONNX model (the protobuf does not parse: truncated or not ONNX)", str(path)
        ) from None
    except (OSError, ValueError) as error:  # missing external data, unreadable file
        raise SmartMemError.plain(f"could not read the ONNX model: {error}", str(path)) from None
    if not model.HasField("graph") or not model.graph.node or not model.opset_import:
        raise SmartMemError.plain("not an ONNX model (no graph, nodes or opset)", str(path))
    _check_model(model, path)
    _check_domains(model, path)
    _name_nodes(model)
    _bind_symbolic_dims(model, dims, path)
    model = _infer_shapes(model, path)
    if simplify:
        model = _simplify(model, path)
    _check_static_shapes(model, path)
    if not model.graph.name or not model.graph.name.isidentifier():
        model.graph.name = DEFAULT_ENTRY
    return model


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else str(text)


def _check_model(model, path: Path) -> None:
    import onnx

    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, ValueError) as error:  # ValueError: over 2 GB
        raise SmartMemError.plain(f"invalid ONNX model: {_first_line(error)}", str(path)) from None


def _check_domains(model, path: Path) -> None:
    for node in model.graph.node:
        if node.domain not in SUPPORTED_DOMAINS:
            info = OnnxNodeInfo(node.name or "<unnamed>", node.op_type, node.domain)
            raise SmartMemError.plain(
                f"unsupported ONNX {info.describe()}: domain '{node.domain}' "
                "is not an ONNX standard domain and IREE cannot lower it",
                str(path),
            )


def _name_nodes(model) -> None:
    """Give unnamed nodes unique names: IREE's locations are node names."""
    taken = {node.name for node in model.graph.node if node.name}
    for index, node in enumerate(model.graph.node):
        if not node.name:
            candidate = f"{node.op_type}_{index}"
            while candidate in taken:
                candidate += "_"
            node.name = candidate
            taken.add(candidate)


def _bind_symbolic_dims(model, dims: Mapping[str, int], path: Path) -> None:
    initializers = {init.name for init in model.graph.initializer}
    used: set[str] = set()
    for graph_input in model.graph.input:
        if graph_input.name in initializers:
            continue
        tensor_type = graph_input.type.tensor_type
        if not tensor_type.HasField("shape"):
            raise SmartMemError.plain(
                f"input '{graph_input.name}' has no shape (rank unknown); "
                "SmartMem compiles static shapes only",
                str(path),
            )
        for index, dim in enumerate(tensor_type.shape.dim):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                continue
            symbol = dim.dim_param if dim.HasField("dim_param") else ""
            if symbol and symbol in dims:
                dim.dim_value = dims[symbol]
                used.add(symbol)
                continue
            hint = f"--dim {symbol}=N" if symbol else "a model with static input shapes"
            what = f"'{symbol}'" if symbol else "unnamed"
            raise SmartMemError.plain(
                f"input '{graph_input.name}' has a dynamic dimension {index} ({what}); "
                f"SmartMem compiles static shapes only: give it a size with {hint}",
                str(path),
            )
    unknown = sorted(set(dims) - used)
    if unknown:
        raise SmartMemError.plain(
            f"--dim names no symbolic input dimension: {', '.join(unknown)}", str(path)
        )


def _infer_shapes(model, path: Path):
    import onnx

    try:
        return onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError) as error:
        raise SmartMemError.plain(f"ONNX shape inference failed: {_first_line(error)}", str(path)) from None


def _simplify(model, path: Path):
    import onnxsim

    try:
        simplified, _ = onnxsim.simplify(model, check_n=0)
    except Exception as error:  # onnxsim raises plain RuntimeErrors from C++
        raise SmartMemError.plain(f"onnxsim could not simplify the model: {_first_line(error)}", str(path)) from None
    return _infer_shapes(simplified, path)


def _static_dims(type_proto) -> bool:
    if not type_proto.HasField("tensor_type"):
        return False
    tensor_type = type_proto.tensor_type
    if not tensor_type.HasField("shape"):
        return False
    return all(d.HasField("dim_value") for d in tensor_type.shape.dim)


def _check_static_shapes(model, path: Path) -> None:
    """Every node output needs a static shape after inference and folding."""
    graph = model.graph
    types = {info.name: info.type for info in list(graph.value_info) + list(graph.output)}
    for node in graph.node:
        for output in node.output:
            if not output:
                continue
            type_proto = types.get(output)
            if type_proto is None or not _static_dims(type_proto):
                info = OnnxNodeInfo(node.name, node.op_type, node.domain)
                raise SmartMemError.plain(
                    f"{info.describe()}: output '{output}' has a dynamic or unknown "
                    "shape after shape inference and constant folding; SmartMem compiles static "
                    "shapes only (fix symbolic input sizes with --dim NAME=N)",
                    str(path),
                )


def import_onnx(model, context: ir.Context, path: Path) -> ImportedModel:
    """Import a checked ONNX ModelProto into `context` with IREE's importer."""
    from iree.compiler.extras import onnx_importer

    nodes = {n.name: OnnxNodeInfo(n.name, n.op_type, n.domain) for n in model.graph.node}
    histogram: dict[str, int] = {}
    for node in model.graph.node:
        histogram[node.op_type] = histogram.get(node.op_type, 0) + 1
    try:
        model_info = onnx_importer.ModelInfo(model)
        owner = model_info.create_module(context=context)
        module = owner.operation
        importer = onnx_importer.NodeImporter.define_function(model_info.main_graph, module)
        importer.import_all()
    except onnx_importer.OnnxImportError as error:
        raise SmartMemError.plain(f"IREE's ONNX importer failed: {_first_line(error)}", str(path)) from None
    if not module.verify():
        raise SmartMemError.plain("IREE's ONNX importer produced invalid IR", str(path))
    return ImportedModel(module, model.graph.name, "onnx", owner, nodes, histogram)


# --------------------------------------------------------------------------- MLIR


def import_mlir(path: Path, context: ir.Context) -> ImportedModel:
    """Parse an MLIR file; the entry is its only public function (or main_graph)."""
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise SmartMemError.plain("not UTF-8 MLIR text", str(path)) from None
    try:
        module = ir.Module.parse(text, context)
    except ir.MLIRError as error:
        raise SmartMemError(mlir_error_diagnostics(error, str(path))) from None
    operation = module.operation
    public = []
    for op in operation.regions[0].blocks[0].operations:
        if op.operation.name != "func.func":
            continue
        attrs = op.operation.attributes
        visibility = ir.StringAttr(attrs["sym_visibility"]).value if "sym_visibility" in attrs else "public"
        if visibility == "public":
            public.append(ir.StringAttr(attrs["sym_name"]).value)
    if not public:
        raise SmartMemError.plain("no public func.func to compile", str(path))
    entry = DEFAULT_ENTRY if DEFAULT_ENTRY in public else public[0]
    return ImportedModel(operation, entry, "mlir", module)


def import_model(
    path: Path, context: ir.Context, dims: Mapping[str, int] | None = None, simplify: bool = True
) -> ImportedModel:
    check_readable(path)
    if path.suffix == ".mlir":
        if dims:
            raise SmartMemError.plain("--dim applies to ONNX models only")
        return import_mlir(path, context)
    model = load_onnx(path, dims or {}, simplify)
    return import_onnx(model, context, path)
