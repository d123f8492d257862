"""The compile driver: a model to an IREE module (.vmfb) plus parameters (.irpa).

IREE compiles in phases (input, abi, preprocessing, global-optimization,
dispatch-creation, flow, stream, ..., vm, end). The driver runs them one span
at a time in-process with IREE's compiler API (`iree.compiler.api`): an
Invocation per span, `compile-from`/`compile-to` set on it, the module handed
from one Invocation to the next as an `ir.Operation` (no text round trip).
Between spans it runs, on the same module:

- the SmartMem pipelines of `smartmem.passes.pipelines.SMARTMEM_PHASE_PIPELINES`
  after the phase each names (skipped with `smartmem=False`: stock IREE, with
  the same import and flags);
- after `flow`: the dispatch census (`smartmem.census`) and the export of
  every constant of at least `parameter_minimum_bytes` into the parameter
  archive (IREE's `iree-io-export-parameters` pass, scope `model`), so the
  .vmfb holds code and small constants only. Weights are exported after
  IREE's global optimization has folded constant expressions (e.g.
  transposed weights), so both variants load the archive as is.

Outputs are written to temporary files beside the destination and renamed
at the end: a failed compile leaves neither OUT.vmfb nor OUT.irpa behind.
"""

from __future__ import annotations

import ctypes
import os
import platform
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

from iree.compiler import api, ir

from smartmem.census import DispatchCensus, census_of_module
from smartmem.diagnostics import Diagnostic, SmartMemError
from smartmem.frontend import OnnxNodeInfo, import_model
from smartmem.passes.pipeline import PipelineError, build_pass_manager, parse_pipeline
from smartmem.passes.pipelines import SMARTMEM_PHASE_PIPELINES, PhasePipeline

# IREE's phases in order (`iree-compile --compile-to=` values).
PHASES: tuple[str, ...] = (
    "start", "input", "abi", "preprocessing", "global-optimization", "dispatch-creation",
    "flow", "stream", "executable-sources", "executable-configurations", "executable-targets",
    "hal", "vm", "end",
)
CENSUS_PHASE = "flow"
PARAMETER_SCOPE = "model"

# Vulkan targets (`--iree-vulkan-target=`) this IREE accepts; an unknown name
# makes IREE abort the process, so names are checked here first. Mobile:
# Qualcomm Adreno, ARM Mali (Valhall); desktop: NVIDIA, AMD; llvmpipe is
# Mesa's CPU Vulkan (lavapipe) for running here; vp_android_baseline_2022 is
# IREE's conservative default profile.
VULKAN_TARGETS: tuple[str, ...] = (
    "adreno", "adreno-740", "adreno-750", "adreno-830",
    "valhall", "valhall1", "valhall2", "valhall3", "valhall4", "mali-g710", "mali-g715", "mali-g720",
    "pascal", "volta", "turing", "ampere", "ada", "sm_80", "sm_86", "sm_89", "a100", "rtx3090", "rtx4090",
    "rdna1", "rdna2", "rdna3", "rdna4", "rx7900xtx", "gfx1100", "cdna3",
    "llvmpipe", "vp_android_baseline_2022",
)


@dataclass(frozen=True)
class Target:
    """Where the module runs: `cpu` (llvm-cpu, this host) or `vulkan:<target>`."""

    name: str
    backend: str  # "llvm-cpu" or "vulkan"
    vulkan_target: str = ""

    @staticmethod
    def parse(text: str) -> "Target":
        if text == "cpu":
            return Target("cpu", "llvm-cpu")
        kind, _, arch = text.partition(":")
        if kind == "vulkan" and arch in VULKAN_TARGETS:
            return Target(text, "vulkan", arch)
        if kind == "vulkan":
            raise SmartMemError.plain(
                f"unknown Vulkan target '{arch}' (known: {', '.join(VULKAN_TARGETS)})"
            )
        raise SmartMemError.plain(
            f"unknown target '{text}' (use 'cpu' or 'vulkan:<target>', e.g. vulkan:adreno)"
        )

    def iree_flags(self) -> tuple[str, ...]:
        if self.backend == "llvm-cpu":
            return (
                "--iree-hal-target-device=local",
                "--iree-hal-local-target-device-backends=llvm-cpu",
                "--iree-llvmcpu-target-cpu=host",
            )
        return ("--iree-hal-target-device=vulkan", f"--iree-vulkan-target={self.vulkan_target}")

    @property
    def runtime_device(self) -> str:
        """The `--device=` of iree-run-module for this target."""
        return "local-task" if self.backend == "llvm-cpu" else "vulkan"


@dataclass(frozen=True)
class CompileOptions:
    target: Target
    smartmem: bool = True
    dims: Mapping[str, int] = field(default_factory=dict)
    simplify: bool = True
    dump_ir: Path | None = None
    parameter_minimum_bytes: int = 256
    extra_flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PhaseTime:
    name: str
    seconds: float


@dataclass
class CompileResult:
    vmfb: Path
    irpa: Path
    entry: str
    census: DispatchCensus
    phase_times: list[PhaseTime]
    flags: tuple[str, ...]
    onnx_op_histogram: dict[str, int]
    smartmem_pipelines: tuple[PhasePipeline, ...]
    # Per phase where SmartMem ran (or "input" for stock IREE): layout moves
    # before/after, eliminated, and each remaining move with its reason.
    elimination: dict[str, dict[str, object]] = field(default_factory=dict)


Progress = Callable[[str], None]


def parameter_path(vmfb: Path) -> Path:
    """OUT.vmfb -> OUT.irpa."""
    return vmfb.with_suffix(".irpa")


def _no_progress(_: str) -> None:
    pass


class _InvocationPhases:
    """Phase spans on an Invocation, run with the GIL held.

    The Python wrapper of IREE's embedding API does not expose
    `ireeCompilerInvocationSetCompileFromPhase` / `...SetCompileToPhase`, and
    its `execute` releases the GIL (a `ctypes.CDLL` call), so a Python
    diagnostic handler on the context would run without the GIL and abort
    the interpreter. These entry points are bound here with `ctypes.PyDLL`
    (the GIL stays held) on the shared library the wrapper loaded.
    """

    def __init__(self) -> None:
        from iree.compiler.api import ctypes_dl

        library = ctypes.PyDLL(ctypes_dl._dylib._name)
        self._from = library.ireeCompilerInvocationSetCompileFromPhase
        self._to = library.ireeCompilerInvocationSetCompileToPhase
        for function in (self._from, self._to):
            function.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            function.restype = None
        self._pipeline = library.ireeCompilerInvocationPipeline
        self._pipeline.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self._pipeline.restype = ctypes.c_bool

    def set(self, invocation: api.Invocation, start: str, stop: str) -> None:
        self._from(invocation._inv_p, start.encode())
        self._to(invocation._inv_p, stop.encode())

    def execute(self, invocation: api.Invocation) -> bool:
        """`invocation.execute()` (the standard pipeline) holding the GIL."""
        return bool(self._pipeline(invocation._inv_p, 0))


class _Diagnostics:
    """Collects the context's diagnostics (IREE's and SmartMem's).

    For ONNX models an error located at an imported node (IREE's importer
    names each op's location after its node) names the node and its op; the
    "failed to legalize 'torch.operator'" of the input phase becomes
    "unsupported ONNX op".
    """

    def __init__(self, context: ir.Context, source_name: str):
        self.source_name = source_name
        self.collected: list[Diagnostic] = []
        self.nodes: Mapping[str, OnnxNodeInfo] = {}
        self._handler = context.attach_diagnostic_handler(self._on_diagnostic)

    def _on_diagnostic(self, diagnostic: object) -> bool:
        node = self._node_at(diagnostic.location)
        if node is not None and diagnostic.severity == ir.DiagnosticSeverity.ERROR:
            message = diagnostic.message.strip().splitlines()[0]
            if "failed to legalize operation 'torch.operator'" in message:
                text = f"unsupported ONNX {node.describe()}: IREE's ONNX lowering has no conversion for it"
            else:
                text = f"at ONNX {node.describe()}: {message}"
            self.collected.append(Diagnostic("error", text, self.source_name))
            return True
        self.collected.extend(Diagnostic.from_mlir(diagnostic, self.source_name))
        return True

    def _node_at(self, location: ir.Location) -> OnnxNodeInfo | None:
        if not self.nodes:
            return None
        with location.context:
            pending = [ir.Location.from_attr(location.attr)]
        while pending:
            loc = pending.pop()
            if isinstance(loc, ir.NameLoc):
                if loc.name_str in self.nodes:
                    return self.nodes[loc.name_str]
                pending.append(loc.child_loc)
            elif isinstance(loc, ir.FusedLoc):
                pending.extend(loc.locations)
            elif isinstance(loc, ir.CallSiteLoc):
                pending.extend((loc.callee, loc.caller))
        return None

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.collected if d.severity == "error"]

    def detach(self) -> None:
        self._handler.detach()


@contextmanager
def _timed(times: list[PhaseTime], name: str, progress: Progress) -> Iterator[None]:
    progress(name)
    start = time.perf_counter()
    yield
    times.append(PhaseTime(name, time.perf_counter() - start))


@contextmanager
def staged_outputs(vmfb: Path, on_temp: Callable[[Path], None] = lambda _: None) -> Iterator[tuple[Path, Path]]:
    """Temporary paths for OUT.vmfb and OUT.irpa, renamed into place on success.

    `on_temp` hears each temporary path as it is created (a supervising
    process removes them if this one dies).
    """
    vmfb = vmfb.resolve()
    directory = vmfb.parent
    if not directory.is_dir():
        raise SmartMemError.plain(f"output directory '{directory}' does not exist")
    handles = []
    for suffix in (".vmfb", ".irpa"):
        fd, name = tempfile.mkstemp(prefix=f".{vmfb.stem}.", suffix=suffix + ".tmp", dir=directory)
        os.close(fd)
        handles.append(Path(name))
        on_temp(Path(name))
    temp_vmfb, temp_irpa = handles
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield temp_vmfb, temp_irpa
        for temp in handles:
            temp.chmod(0o666 & ~umask)
        os.replace(temp_irpa, parameter_path(vmfb))
        os.replace(temp_vmfb, vmfb)
    finally:
        for temp in handles:
            temp.unlink(missing_ok=True)


def smartmem_stops(options: CompileOptions) -> dict[str, list[PhasePipeline]]:
    stops: dict[str, list[PhasePipeline]] = {}
    if not options.smartmem:
        return stops
    for entry in SMARTMEM_PHASE_PIPELINES:
        if options.target.backend not in entry.backends:
            continue
        if entry.after_phase not in PHASES[1:-1]:
            raise SmartMemError.plain(
                f"SmartMem pipeline '{entry.pipeline}' names unknown IREE phase '{entry.after_phase}'"
            )
        stops.setdefault(entry.after_phase, []).append(entry)
    return stops


class Compiler:
    """One compile of one model: import, IREE phases, SmartMem, outputs."""

    def __init__(
        self,
        options: CompileOptions,
        progress: Progress = _no_progress,
        on_temp: Callable[[Path], None] = lambda _: None,
    ):
        self.options = options
        self.progress = progress
        self.on_temp = on_temp
        self.times: list[PhaseTime] = []
        self.session = api.Session()
        self.context = self.session.context
        self.context.load_all_available_dialects()
        self.flags = options.target.iree_flags() + options.extra_flags
        try:
            self.session.set_flags(*self.flags)
        except ValueError as error:
            raise SmartMemError.plain(f"invalid IREE flags: {str(error).strip()}") from None
        self.phases = _InvocationPhases()
        self.dump_index = 0

    def dump(self, module: ir.Operation, label: str) -> None:
        if self.options.dump_ir is None:
            return
        self.options.dump_ir.mkdir(parents=True, exist_ok=True)
        self.dump_index += 1
        path = self.options.dump_ir / f"{self.dump_index:02d}-{label}.mlir"
        path.write_text(module.get_asm(large_elements_limit=16, large_resource_limit=64))

    def run_span(self, module: ir.Operation, start: str, stop: str, diagnostics: _Diagnostics) -> ir.Operation:
        invocation = self.session.invocation()
        self.phases.set(invocation, start, stop)
        invocation.import_module(module)
        ok = self.phases.execute(invocation)
        result = invocation.export_module()
        if not ok:
            raise SmartMemError(diagnostics.errors() or [Diagnostic("error", f"IREE failed between phases '{start}' and '{stop}'")])
        return result

    def run_smartmem(self, module: ir.Operation, entry: PhasePipeline, diagnostics: _Diagnostics) -> None:
        self.context.allow_unregistered_dialects = True
        try:
            manager = build_pass_manager(parse_pipeline(entry.pipeline), self.context)
            manager.run(module)
        except PipelineError as error:
            raise SmartMemError.plain(f"SmartMem pipeline after '{entry.after_phase}': {error}") from None
        except ir.MLIRError:
            raise SmartMemError(
                diagnostics.errors()
                or [Diagnostic("error", f"SmartMem pipeline '{entry.pipeline}' failed")]
            ) from None

    def export_parameters(self, module: ir.Operation, irpa: Path, diagnostics: _Diagnostics) -> None:
        path = f"{PARAMETER_SCOPE}={irpa}"
        pipeline = (
            f'builtin.module(iree-io-export-parameters{{path="{path}" '
            f"minimum-size={self.options.parameter_minimum_bytes}}})"
        )
        from iree.compiler import passmanager

        try:
            passmanager.PassManager.parse(pipeline, self.context).run(module)
        except ir.MLIRError:
            raise SmartMemError(diagnostics.errors() or [Diagnostic("error", "parameter export failed")]) from None
        if irpa.stat().st_size == 0:
            # Nothing was large enough to export: still ship a valid (empty)
            # archive, so the documented run command works for every module.
            import iree.runtime

            iree.runtime.ParameterIndex().create_archive_file(str(irpa))

    def compile(self, model: Path, output: Path) -> CompileResult:
        diagnostics = _Diagnostics(self.context, str(model))
        try:
            with _timed(self.times, "import", self.progress):
                imported = import_model(model, self.context, self.options.dims, self.options.simplify)
            diagnostics.nodes = imported.nodes
            check_static_entry(imported.module, imported.entry, str(model))
            self.dump(imported.module, "import")
            stops = smartmem_stops(self.options)
            with staged_outputs(output, self.on_temp) as (temp_vmfb, temp_irpa):
                module, census, elimination = self.run_phases(imported.module, stops, temp_irpa, diagnostics)
                with _timed(self.times, "write-vmfb", self.progress):
                    self.write_vmfb(module, temp_vmfb, diagnostics)
        finally:
            diagnostics.detach()
        return CompileResult(
            vmfb=output,
            irpa=parameter_path(output),
            entry=imported.entry,
            census=census,
            phase_times=self.times,
            flags=self.flags,
            onnx_op_histogram=imported.onnx_op_histogram,
            smartmem_pipelines=tuple(e for es in stops.values() for e in es),
            elimination=elimination,
        )

    def run_phases(
        self,
        module: ir.Operation,
        stops: dict[str, list[PhasePipeline]],
        irpa: Path,
        diagnostics: _Diagnostics,
    ) -> tuple[ir.Operation, DispatchCensus, dict[str, dict[str, object]]]:
        """IREE from `start` to `end`, stopping after `input`, SmartMem's phases and `flow`."""
        census: DispatchCensus | None = None
        elimination: dict[str, dict[str, object]] = {}
        current = "start"
        for phase in PHASES[1:]:
            if phase not in stops and phase not in ("input", CENSUS_PHASE, "end"):
                continue
            with _timed(self.times, f"iree:{current}->{phase}", self.progress):
                module = self.run_span(module, current, phase, diagnostics)
            current = phase
            if phase != "end":
                self.dump(module, phase)
            if phase in stops:
                before = module.clone()
                with _timed(self.times, f"smartmem:after-{phase}", self.progress):
                    for entry in stops[phase]:
                        self.run_smartmem(module, entry, diagnostics)
                self.dump(module, f"{phase}-smartmem")
                elimination[phase] = layout_move_report(before, module)
                before.erase()
            elif phase == "input" and not stops:
                # Stock IREE: the moves a SmartMem pipeline would start from.
                stock = layout_move_report(module, module)
                elimination[phase] = {"present": stock.get("before", stock)}
            if phase == CENSUS_PHASE:
                census = census_of_module(module)
                with _timed(self.times, "export-parameters", self.progress):
                    self.export_parameters(module, irpa, diagnostics)
        assert census is not None, "the phase loop always passes the census phase"
        return module, census, elimination

    def write_vmfb(self, module: ir.Operation, path: Path, diagnostics: _Diagnostics) -> None:
        invocation = self.session.invocation()
        self.phases.set(invocation, "end", "end")
        invocation.import_module(module)
        output = api.Output.open_file(str(path))
        try:
            invocation.output_vm_bytecode(output)
            output.keep()
        except ValueError as error:
            raise SmartMemError(diagnostics.errors() or [Diagnostic("error", f"writing the module failed: {error}")]) from None
        finally:
            output.close()


def layout_move_report(before: ir.Operation, after: ir.Operation) -> dict[str, object]:
    """`smartmem.passes.elimination_report` as a dict; its failure is recorded, not fatal."""
    from smartmem.passes.elimination_report import elimination_report

    try:
        return elimination_report(before, after).as_dict()
    except Exception as error:  # the report is informative; the module is still right
        return {"error": f"{type(error).__name__}: {error}"}


def check_static_entry(module: ir.Operation, entry: str, source_name: str) -> None:
    """The entry function's builtin tensor arguments and results must be static.

    Checked on the imported module (`func.func`); torch value tensors of
    imported ONNX were checked on the ONNX graph already.
    """
    for op in module.regions[0].blocks[0].operations:
        if op.operation.name != "func.func":
            continue
        if ir.StringAttr(op.operation.attributes["sym_name"]).value != entry:
            continue
        function_type = ir.FunctionType(ir.TypeAttr(op.operation.attributes["function_type"]).value)
        for role, types in (("argument", function_type.inputs), ("result", function_type.results)):
            for index, value_type in enumerate(types):
                if isinstance(value_type, ir.RankedTensorType) and not value_type.has_static_shape:
                    raise SmartMemError([
                        Diagnostic.from_location(
                            op.operation.location, "error",
                            f"{role} {index} of '{entry}' has a dynamic shape ({value_type}); "
                            "SmartMem compiles static shapes only",
                            source_name,
                        )
                    ])
        return


def versions() -> dict[str, str]:
    from importlib import metadata

    found = {"python": platform.python_version()}
    for package in ("smartmem", "iree-base-compiler", "iree-base-runtime", "onnx", "onnxsim", "onnxruntime", "numpy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def report_dict(result: CompileResult, model: Path, options: CompileOptions) -> dict[str, object]:
    census = result.census
    return {
        "model": str(model),
        "target": options.target.name,
        "smartmem": options.smartmem,
        "entry_function": result.entry,
        "outputs": {
            "vmfb": str(result.vmfb),
            "vmfb_bytes": result.vmfb.stat().st_size,
            "irpa": str(result.irpa),
            "irpa_bytes": result.irpa.stat().st_size,
            "parameter_scope": PARAMETER_SCOPE,
        },
        "dispatches": census.as_dict(),
        "layout_moves": result.elimination,
        "smartmem_pipelines": [
            {"after_phase": e.after_phase, "pipeline": e.pipeline} for e in result.smartmem_pipelines
        ],
        "compile_seconds": {t.name: round(t.seconds, 3) for t in result.phase_times},
        "compile_seconds_total": round(sum(t.seconds for t in result.phase_times), 3),
        "onnx_op_histogram": dict(sorted(result.onnx_op_histogram.items())),
        "iree_flags": list(result.flags),
        "versions": versions(),
        "run": {
            "device": options.target.runtime_device,
            "function": result.entry,
            "parameters": f"{PARAMETER_SCOPE}={result.irpa}",
        },
    }


def compile_model(
    model: Path,
    output: Path,
    options: CompileOptions,
    progress: Progress = _no_progress,
    on_temp: Callable[[Path], None] = lambda _: None,
) -> CompileResult:
    """Compile `model` (.onnx or .mlir) to `output` (.vmfb) and its .irpa."""
    if output.suffix != ".vmfb":
        raise SmartMemError.plain(f"output '{output}' must end in .vmfb")
    return Compiler(options, progress, on_temp).compile(model, output)
