"""Running a compiled module from Python with `iree.runtime`.

A module from `smartmem-compile` comes with its parameter archive (scope
`model`); `load_module` binds both to a device (`local-task` for cpu
modules, `vulkan` for Vulkan ones) and `run` calls the entry function on
numpy inputs.

Inputs are copied into 4096-byte-aligned host arrays before they are handed
to the runtime, and results are read back through a mapped staging buffer:
the Vulkan driver imports host allocations only at page alignment (address
and size), which numpy arrays do not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from smartmem.diagnostics import SmartMemError

HOST_ALIGNMENT = 4096
PARAMETER_SCOPE = "model"


def aligned_copy(array: np.ndarray, alignment: int = HOST_ALIGNMENT) -> np.ndarray:
    """A C-contiguous copy of `array` whose data starts on an `alignment` boundary."""
    source = np.ascontiguousarray(array)
    nbytes = max(source.nbytes, 1)
    raw = np.empty(nbytes + alignment, dtype=np.uint8)
    offset = (-raw.ctypes.data) % alignment
    aligned = raw[offset : offset + source.nbytes].view(source.dtype).reshape(source.shape)
    aligned[...] = source
    return aligned


@dataclass
class LoadedModule:
    """A module bound to a device with its parameters; call `run`.

    Calls go through the VM directly (argument and result lists of buffer
    views) rather than `iree.runtime`'s function wrappers, whose host
    transfers import numpy arrays as host allocations, which Vulkan refuses
    unless address and size are 4096-byte aligned. Inputs are aligned
    copies; results come back through a mapped staging buffer.
    """

    device_name: str
    entry: str
    _device: object
    _context: object
    _function: object

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        import iree.runtime as rt
        from iree.runtime.array_interop import map_dtype_to_element_type

        arguments = rt.VmVariantList(len(inputs))
        for array in inputs:
            host = aligned_copy(array)
            element_type = map_dtype_to_element_type(host.dtype)
            if element_type is None:
                raise SmartMemError.plain(f"input dtype {host.dtype} has no IREE element type")
            view = self._device.allocator.allocate_buffer_copy(
                memory_type=rt.MemoryType.DEVICE_LOCAL,
                allowed_usage=rt.BufferUsage.DEFAULT,
                device=self._device,
                buffer=host,
                element_type=element_type,
            )
            arguments.push_ref(view)
        results = rt.VmVariantList(1)
        self._context.vm_context.invoke(self._function, arguments, results)
        return [self._to_host(results.get_as_object(i, rt.HalBufferView)) for i in range(results.size)]

    def _to_host(self, view) -> np.ndarray:
        """Copy a result to the host through a mappable staging buffer."""
        import iree.runtime as rt

        dtype = rt.HalElementType.map_to_dtype(view.element_type)
        source = view.get_buffer()
        staging = self._device.allocator.allocate_buffer(
            memory_type=int(rt.MemoryType.HOST_LOCAL | rt.MemoryType.DEVICE_VISIBLE),
            allowed_usage=int(rt.BufferUsage.TRANSFER_TARGET | rt.BufferUsage.MAPPING_SCOPED),
            allocation_size=source.byte_length(),
        )
        semaphore = self._device.create_semaphore(0)
        self._device.queue_copy(
            source,
            staging,
            wait_semaphores=rt.HalFence.create_at(semaphore, 0),
            signal_semaphores=rt.HalFence.create_at(semaphore, 1),
        )
        rt.HalFence.create_at(semaphore, 1).wait()
        mapped = staging.map()
        return np.array(mapped.asarray(tuple(view.shape), dtype))


def load_module(vmfb: Path, irpa: Path | None, device: str, entry: str = "main_graph") -> LoadedModule:
    """Load `vmfb` (and the parameter archive `irpa`, scope `model`) on `device`."""
    import iree.runtime as rt

    for path in (vmfb, irpa):
        if path is not None and not Path(path).is_file():
            raise SmartMemError.plain(f"no such file '{path}'")
    try:
        hal_device = rt.get_device(device)
    except (ValueError, RuntimeError) as error:
        raise SmartMemError.plain(f"IREE device '{device}' is not available: {error}") from None
    config = rt.Config(device=hal_device)
    instance = config.vm_instance
    context = rt.SystemContext(config=config)
    if irpa is not None:
        index = rt.ParameterIndex()
        index.load(str(irpa))
        context.add_vm_module(rt.create_io_parameters_module(instance, index.create_provider(scope=PARAMETER_SCOPE)))
    main = rt.VmModule.mmap(instance, str(vmfb))
    if entry not in main.function_names:
        raise SmartMemError.plain(
            f"module '{vmfb}' has no function '{entry}' (it has: {', '.join(main.function_names)})"
        )
    context.add_vm_module(main)
    return LoadedModule(device, entry, hal_device, context, main.lookup_function(entry))


def run_module(
    vmfb: Path, irpa: Path | None, device: str, inputs: Sequence[np.ndarray], entry: str = "main_graph"
) -> list[np.ndarray]:
    """Load and run once; returns the outputs as numpy arrays."""
    return load_module(vmfb, irpa, device, entry).run(inputs)


def relative_l2(actual: np.ndarray, expected: np.ndarray) -> float:
    """||actual - expected|| / ||expected|| in float64 (inf if shapes differ)."""
    if actual.shape != expected.shape:
        return float("inf")
    a = actual.astype(np.float64)
    b = expected.astype(np.float64)
    denominator = np.linalg.norm(b)
    difference = np.linalg.norm(a - b)
    return float(difference / denominator) if denominator > 0 else float(difference)
