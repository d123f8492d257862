"""`#smartmem.layout`: a tensor's physical layout relative to its logical shape.

    #smartmem.layout<array<i64: p0, ..., pn-1>, array<i64>>
    #smartmem.layout<array<i64: p0, ..., pn-1>, array<i64: dim, factor>>

Physical dim i holds logical dim p_i (numpy: `physical = logical.transpose(p)`).
With blocking [dim, factor], logical dim `dim` (size S, factor | S) is split
into an outer part of size S / factor, which sits where the permutation puts
`dim`, and an inner block of size `factor`, which becomes the innermost
physical dim. NC4HW4 is `#smartmem.layout<array<i64: 0, 1, 2, 3>,
array<i64: 1, 4>>`: tensor<1x8x5x5xf32> is stored as [1, 2, 5, 5, 4].

The "split space" of a layout is the logical space with the blocked dim cut in
two: split dims 0..n-1 are the logical dims (dim `dim` standing for its outer
part) and split dim n is the inner block. A layout is then a permutation of the
split space (`physical_order`).

Composition (`a.compose(b)`): apply a, then apply b to a's physical tensor as
if it were logical. It is a Layout again when at most one blocking is involved
and a's inner block stays innermost; otherwise it is not expressible and
`compose` raises `LayoutError`.

Inverse: for an unblocked layout, the layout with the inverse permutation
(`a.compose(a.inverse())` is the identity). A blocked layout has no inverse
*layout*: undoing it merges two physical dims back into one, which no
`#smartmem.layout` does (layouts only split). `inverse()` refuses it; the
reverse direction is still available on data (`unapply`) and between two
layouts with the same blocking (`conversion`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from iree.compiler import ir

from smartmem.dialect.syntax import (
    DialectError,
    check_parameter_count,
    i64_array,
    make_attribute,
    split_attribute,
)

MNEMONIC = "layout"


class LayoutError(DialectError):
    """An invalid layout, or an operation on layouts that has no result."""


@dataclass(frozen=True)
class Blocking:
    """Logical dim `dim` blocked by `factor` (the inner block goes innermost)."""

    dim: int
    factor: int


@dataclass(frozen=True)
class Layout:
    """A permutation of a tensor's dims, plus at most one blocked dim.

    Construction checks what is independent of any tensor (a permutation, a
    blocked dim in range, a factor of at least 2); `verify` checks the rest
    against a rank or a shape.
    """

    permutation: tuple[int, ...]
    blocking: Blocking | None = None

    def __post_init__(self) -> None:
        permutation = tuple(int(p) for p in self.permutation)
        object.__setattr__(self, "permutation", permutation)
        if sorted(permutation) != list(range(len(permutation))):
            raise LayoutError(f"[{_join(permutation)}] is not a permutation of 0..{len(permutation) - 1}")
        if self.blocking is not None:
            dim, factor = self.blocking.dim, self.blocking.factor
            if not 0 <= dim < len(permutation):
                raise LayoutError(f"blocked dim {dim} is out of range for rank {len(permutation)}")
            if factor < 2:
                raise LayoutError(f"blocking factor {factor} of dim {dim} must be at least 2")

    # Construction ------------------------------------------------------------

    @staticmethod
    def identity(rank: int) -> "Layout":
        return Layout(tuple(range(rank)))

    @staticmethod
    def from_attribute(attr: ir.Attribute) -> "Layout":
        split = split_attribute(attr)
        if split.mnemonic != MNEMONIC:
            raise LayoutError(f"expected #smartmem.layout, got #smartmem.{split.mnemonic}")
        check_parameter_count(split, 2, "permutation, blocking")
        permutation = i64_array(split.parameters[0], "#smartmem.layout permutation")
        blocking = i64_array(split.parameters[1], "#smartmem.layout blocking")
        if len(blocking) not in (0, 2):
            raise LayoutError(f"#smartmem.layout blocking must be empty or [dim, factor], got [{_join(blocking)}]")
        return Layout(permutation, Blocking(*blocking) if blocking else None)

    @staticmethod
    def parse(text: str, context: ir.Context | None = None) -> "Layout":
        """Parse `#smartmem.layout<...>` text."""
        context = context or _fresh_context()
        try:
            attr = ir.Attribute.parse(text, context)
        except ir.MLIRError:
            raise LayoutError(f"'{text}' is not an attribute") from None
        return Layout.from_attribute(attr)

    def to_attribute(self, context: ir.Context) -> ir.Attribute:
        with context:
            blocking = [self.blocking.dim, self.blocking.factor] if self.blocking else []
            parameters = [ir.DenseI64ArrayAttr.get(list(self.permutation)), ir.DenseI64ArrayAttr.get(blocking)]
        return make_attribute(MNEMONIC, parameters, context)

    def __str__(self) -> str:
        blocking = f"array<i64: {self.blocking.dim}, {self.blocking.factor}>" if self.blocking else "array<i64>"
        permutation = f"array<i64: {_join(self.permutation)}>" if self.permutation else "array<i64>"
        return f"#smartmem.{MNEMONIC}<{permutation}, {blocking}>"

    # Queries -----------------------------------------------------------------

    @property
    def rank(self) -> int:
        """The logical rank (of the tensor the layout is attached to)."""
        return len(self.permutation)

    @property
    def physical_rank(self) -> int:
        return self.rank + (1 if self.blocking else 0)

    def is_identity(self) -> bool:
        return self.blocking is None and self.permutation == tuple(range(self.rank))

    @property
    def physical_order(self) -> tuple[int, ...]:
        """Physical dim i holds split dim `physical_order[i]` (see module doc)."""
        return self.permutation + ((self.rank,) if self.blocking else ())

    def verify(self, rank_or_shape: int | Sequence[int]) -> None:
        """Raise LayoutError unless the layout fits a tensor of this rank/shape."""
        shape = None if isinstance(rank_or_shape, int) else tuple(rank_or_shape)
        rank = rank_or_shape if shape is None else len(shape)
        if rank != self.rank:
            raise LayoutError(f"layout of rank {self.rank} does not match the tensor's rank {rank}")
        if shape is not None and self.blocking is not None:
            size = shape[self.blocking.dim]
            if size >= 0 and size % self.blocking.factor != 0:
                raise LayoutError(
                    f"blocking factor {self.blocking.factor} does not divide dim {self.blocking.dim} of size {size}"
                )

    def split_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        """The sizes of the split dims (outer size at `dim`, inner block last)."""
        self.verify(shape)
        sizes = list(shape)
        if self.blocking is None:
            return tuple(sizes)
        sizes[self.blocking.dim] //= self.blocking.factor
        return tuple(sizes) + (self.blocking.factor,)

    def physical_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        split = self.split_shape(shape)
        return tuple(split[s] for s in self.physical_order)

    # Algebra -----------------------------------------------------------------

    def inverse(self) -> "Layout":
        """The layout undoing this one (unblocked layouts only; see module doc)."""
        if self.blocking is not None:
            raise LayoutError(
                f"{self} has no inverse layout: undoing a blocking merges two dims, which no layout does"
            )
        return Layout(tuple(int(i) for i in np.argsort(self.permutation)))

    def compose(self, then: "Layout") -> "Layout":
        """This layout followed by `then` (applied to this layout's physical tensor)."""
        if then.rank != self.physical_rank:
            raise LayoutError(
                f"cannot compose {self} (physical rank {self.physical_rank}) with {then} (rank {then.rank})"
            )
        if self.blocking is None:
            blocking = None
            if then.blocking is not None:
                blocking = Blocking(self.permutation[then.blocking.dim], then.blocking.factor)
            return Layout(tuple(self.permutation[q] for q in then.permutation), blocking)
        if then.blocking is not None:
            raise LayoutError(f"composing {self} with {then} blocks twice, which no layout expresses")
        if then.permutation[self.rank] != self.rank:
            raise LayoutError(
                f"composing {self} with {then} moves the inner block of dim {self.blocking.dim} "
                "away from the innermost position, which no layout expresses"
            )
        return Layout(tuple(self.permutation[q] for q in then.permutation[: self.rank]), self.blocking)

    @staticmethod
    def conversion(source: "Layout", target: "Layout") -> "Layout":
        """The layout taking data stored in `source` to data stored in `target`.

        `source.conversion(target).apply(source.apply(x)) == target.apply(x)`.
        Defined when `source` is unblocked, or both share the same blocking.
        """
        if source.rank != target.rank:
            raise LayoutError(f"cannot convert between layouts of ranks {source.rank} and {target.rank}")
        if source.blocking is None:
            return source.inverse().compose(target)
        if source.blocking != target.blocking:
            raise LayoutError(f"converting {source} to {target} merges a blocked dim, which no layout does")
        position = {split_dim: i for i, split_dim in enumerate(source.physical_order)}
        return Layout(tuple(position[s] for s in target.physical_order))

    # Data ----------------------------------------------------------------------

    def apply(self, logical: np.ndarray) -> np.ndarray:
        """The physical array of a logical array stored in this layout."""
        split = self.split_shape(logical.shape)
        if self.blocking is None:
            return np.transpose(logical, self.permutation)
        dim = self.blocking.dim
        # numpy's reshape puts the inner block right after the outer part.
        reshaped = logical.reshape(split[:dim] + (split[dim], self.blocking.factor) + split[dim + 1 : self.rank])
        axis = [s if s <= dim else s + 1 for s in range(self.rank)] + [dim + 1]
        return np.transpose(reshaped, [axis[s] for s in self.physical_order])

    def unapply(self, physical: np.ndarray) -> np.ndarray:
        """The logical array of a physical array stored in this layout."""
        if physical.ndim != self.physical_rank:
            raise LayoutError(f"physical array of rank {physical.ndim} does not fit {self}")
        order = self.physical_order
        split = [0] * self.physical_rank
        for i, s in enumerate(order):
            split[s] = physical.shape[i]
        if self.blocking is None:
            return np.transpose(physical, np.argsort(order))
        dim = self.blocking.dim
        axis = [s if s <= dim else s + 1 for s in range(self.rank)] + [dim + 1]
        numpy_order = [0] * self.physical_rank
        for i, s in enumerate(order):
            numpy_order[axis[s]] = i
        logical_shape = list(split[: self.rank])
        logical_shape[dim] *= self.blocking.factor
        return np.transpose(physical, numpy_order).reshape(logical_shape)


def _join(values: Sequence[int]) -> str:
    return ", ".join(str(v) for v in values)


def _fresh_context() -> ir.Context:
    from smartmem.context import make_context

    return make_context()
