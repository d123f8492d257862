"""`#smartmem.texture`: a 2.5D (image + RGBA texel) mapping of a tensor.

    #smartmem.texture<array<i64: height dims...>, array<i64: width dims...>, texel_dim : i64>

Every logical dim appears in exactly one of the height and width lists (major
to minor). The texel dim of size S is split into ceil(S / 4) texel positions,
counted where the dim appears in the lists, times the 4 RGBA lanes of a texel.
For tensor<1x8x5x6xf32> (NCHW) the MNN-style mapping

    #smartmem.texture<array<i64: 0, 2>, array<i64: 1, 3>, 1 : i64>

gives an image of height 1*5 = 5 and width ceil(8/4)*6 = 12 texels. The lane
count is fixed at 4 (RGBA), so there is no parameter for it. Images larger than
the device's maxImageDimension2D (16384 on most phones, `max_image_dim`) are
rejected by `verify`.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Sequence

from iree.compiler import ir

from smartmem.dialect.syntax import (
    DialectError,
    check_parameter_count,
    i64_array,
    make_attribute,
    split_attribute,
)

MNEMONIC = "texture"
TEXEL_LANES = 4
DEFAULT_MAX_IMAGE_DIM = 16384


class TextureError(DialectError):
    """An invalid texture mapping."""


@dataclass(frozen=True)
class TextureLayout:
    """Which dims fold into image height and width, and which fills RGBA lanes."""

    height: tuple[int, ...]
    width: tuple[int, ...]
    texel_dim: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "height", tuple(int(d) for d in self.height))
        object.__setattr__(self, "width", tuple(int(d) for d in self.width))
        dims = self.height + self.width
        negative = [d for d in dims if d < 0]
        if negative:
            raise TextureError(f"texture dim {negative[0]} is negative")
        repeated = sorted({d for d in dims if dims.count(d) > 1})
        if repeated:
            raise TextureError(f"dim {repeated[0]} appears more than once in the texture's height/width")
        if self.texel_dim not in dims:
            raise TextureError(f"texel dim {self.texel_dim} is in neither the height nor the width dims")

    @staticmethod
    def from_attribute(attr: ir.Attribute) -> "TextureLayout":
        split = split_attribute(attr)
        if split.mnemonic != MNEMONIC:
            raise TextureError(f"expected #smartmem.texture, got #smartmem.{split.mnemonic}")
        check_parameter_count(split, 3, "height dims, width dims, texel dim")
        height = i64_array(split.parameters[0], "#smartmem.texture height dims")
        width = i64_array(split.parameters[1], "#smartmem.texture width dims")
        texel = split.parameters[2]
        if not isinstance(texel, ir.IntegerAttr) or not ir.IntegerType(texel.type).width == 64:
            raise TextureError(f"#smartmem.texture texel dim must be an i64 integer, got {texel}")
        return TextureLayout(height, width, int(texel.value))

    @staticmethod
    def parse(text: str, context: ir.Context | None = None) -> "TextureLayout":
        if context is None:
            from smartmem.context import make_context

            context = make_context()
        try:
            attr = ir.Attribute.parse(text, context)
        except ir.MLIRError:
            raise TextureError(f"'{text}' is not an attribute") from None
        return TextureLayout.from_attribute(attr)

    def to_attribute(self, context: ir.Context) -> ir.Attribute:
        with context:
            parameters = [
                ir.DenseI64ArrayAttr.get(list(self.height)),
                ir.DenseI64ArrayAttr.get(list(self.width)),
                ir.IntegerAttr.get(ir.IntegerType.get_signless(64), self.texel_dim),
            ]
        return make_attribute(MNEMONIC, parameters, context)

    def __str__(self) -> str:
        return f"#smartmem.{MNEMONIC}<{_array(self.height)}, {_array(self.width)}, {self.texel_dim} : i64>"

    @property
    def rank(self) -> int:
        return len(self.height) + len(self.width)

    def verify(self, shape: Sequence[int], max_image_dim: int = DEFAULT_MAX_IMAGE_DIM) -> None:
        """Raise TextureError unless the mapping fits `shape` and the image limit."""
        if len(shape) != self.rank or sorted(self.height + self.width) != list(range(len(shape))):
            raise TextureError(
                f"texture dims {sorted(self.height + self.width)} do not cover the tensor's dims 0..{len(shape) - 1} exactly once"
            )
        height, width = self.image_extents(shape)
        for name, dims, extent in (("height", self.height, height), ("width", self.width, width)):
            if any(shape[d] < 0 for d in dims):
                continue  # a dynamic size: the extent is known only at run time
            if extent > max_image_dim:
                raise TextureError(f"image {name} {extent} exceeds the maximum image dimension {max_image_dim}")

    def image_extents(self, shape: Sequence[int]) -> tuple[int, int]:
        """(height, width) of the image in texels for a tensor of `shape`."""
        def size(dim: int) -> int:
            extent = shape[dim]
            return -(-extent // TEXEL_LANES) if dim == self.texel_dim else extent

        return prod(size(d) for d in self.height), prod(size(d) for d in self.width)


def _array(values: tuple[int, ...]) -> str:
    return f"array<i64: {', '.join(str(v) for v in values)}>" if values else "array<i64>"
