"""The `smartmem` dialect: IRDL definition (smartmem.irdl.mlir) and its Python API.

- `Layout` / `Blocking` (`#smartmem.layout`), `TextureLayout`
  (`#smartmem.texture`), `OpClass` (`#smartmem.op_class`): frozen dataclasses
  with parse, print (`str`), verify and `to_attribute`/`from_attribute`.
- `ConvertLayout` / `create_convert_layout`: the `smartmem.convert_layout` op.
- `Relayout` / `create_relayout`: the `smartmem.relayout` op.
- `verify_smartmem_ir` (in `smartmem.dialect.verifier`): the in-process verifier.
"""

from smartmem.dialect.layout import Blocking, Layout, LayoutError
from smartmem.dialect.op_class import (
    ALL_CLASSES,
    ILD_FIXED,
    ILD_VARIABLE,
    ILI_FIXED,
    ILI_VARIABLE,
    OP_CLASS_ATTR,
    Dependence,
    OpClass,
    OpClassError,
    OutputLayout,
)
from smartmem.dialect.ops import (
    CONVERT_LAYOUT,
    RELAYOUT,
    ConvertLayout,
    Relayout,
    create_convert_layout,
    create_relayout,
)
from smartmem.dialect.syntax import DialectError
from smartmem.dialect.texture import DEFAULT_MAX_IMAGE_DIM, TEXEL_LANES, TextureError, TextureLayout

__all__ = [
    "ALL_CLASSES", "Blocking", "CONVERT_LAYOUT", "ConvertLayout", "DEFAULT_MAX_IMAGE_DIM", "Dependence",
    "DialectError", "ILD_FIXED", "ILD_VARIABLE", "ILI_FIXED", "ILI_VARIABLE", "Layout", "LayoutError",
    "OP_CLASS_ATTR", "OpClass", "OpClassError", "OutputLayout", "RELAYOUT", "Relayout", "TEXEL_LANES",
    "TextureError", "TextureLayout", "create_convert_layout", "create_relayout",
]
