// The `smartmem` dialect: the single definition of its attributes and ops.
//
// Load it into IREE's tools with `iree-opt --irdl-file=dialect/smartmem.irdl.mlir`.
// IRDL ops have generic syntax only; IRDL attributes print as
// `#smartmem.name<param, ...>`. The Python API (dialect/layout.py, texture.py,
// op_class.py, ops.py) mirrors these definitions, and dialect/verifier.py
// rejects everything they reject plus what IRDL cannot express (permutations,
// divisibility, ranks, image limits): see the "Python checks" lines below.

irdl.dialect @smartmem {
  // #smartmem.layout<permutation, blocking>: a tensor's physical layout.
  // Physical dim i holds logical dim permutation[i]; blocking is empty or
  // [dim, factor]: logical dim `dim` is split into an outer part (placed where
  // the permutation puts `dim`) and an inner block of `factor` elements, which
  // becomes the innermost physical dim.
  //
  //   #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>          // NHWC of an NCHW tensor
  //   #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>    // NC4HW4
  //
  // Python checks: the permutation is one of 0..rank-1, matching the tensor's
  // rank; blocking is [dim, factor] with dim < rank, factor >= 2, factor
  // dividing the dim; both arrays hold i64.
  irdl.attribute @layout {
    %permutation = irdl.base "#builtin.dense_array"
    %blocking = irdl.base "#builtin.dense_array"
    irdl.parameters(permutation: %permutation, blocking: %blocking)
  }

  // #smartmem.texture<height dims, width dims, texel dim>: a 2.5D image
  // mapping. Dims listed in `height` (major to minor) fold into the image
  // height, those in `width` into its width; the texel dim's size S counts
  // ceil(S / 4) texel positions times 4 RGBA lanes.
  //
  //   #smartmem.texture<array<i64: 0, 2>, array<i64: 1, 3>, 1 : i64>  // MNN's NC4HW4 image
  //
  // Python checks: every dim of the tensor appears exactly once in height or
  // width, the texel dim is one of them, and the image fits the maximum image
  // dimension (16384 by default).
  irdl.attribute @texture {
    %height = irdl.base "#builtin.dense_array"
    %width = irdl.base "#builtin.dense_array"
    %texel_dim = irdl.base "#builtin.integer"
    irdl.parameters(height: %height, width: %width, texel_dim: %texel_dim)
  }

  // #smartmem.op_class<dependence, output>: the SmartMem operator group,
  // set by `smartmem-classify` as the discardable attribute smartmem.op_class.
  //
  //   linalg.matmul {smartmem.op_class = #smartmem.op_class<"ILD", "variable">} ...
  //   tensor.extract_slice ... {smartmem.op_class = #smartmem.op_class<"ILI", "fixed">}
  irdl.attribute @op_class {
    %ild = irdl.is "ILD"
    %ili = irdl.is "ILI"
    %dependence = irdl.any_of(%ild, %ili)
    %variable = irdl.is "variable"
    %fixed = irdl.is "fixed"
    %output = irdl.any_of(%variable, %fixed)
    irdl.parameters(dependence: %dependence, output: %output)
  }

  // smartmem.convert_layout: the same logical tensor, stored in `source`
  // before and in `target` after. Operand and result have one tensor type
  // (the shared %tensor constraint forces equality).
  //
  //   %1 = "smartmem.convert_layout"(%0) {
  //          source = #smartmem.layout<array<i64: 0, 1>, array<i64>>,
  //          target = #smartmem.layout<array<i64: 1, 0>, array<i64>>}
  //        : (tensor<4x8xf32>) -> tensor<4x8xf32>
  //
  // Python checks: the tensor is ranked, both layouts fit its shape, and the
  // source is the target of a convert_layout producing the operand.
  irdl.operation @convert_layout {
    %tensor = irdl.base "!builtin.tensor"
    %source = irdl.base @smartmem::@layout
    %target = irdl.base @smartmem::@layout
    irdl.operands(input: %tensor)
    irdl.results(output: %tensor)
    irdl.attributes {"source" = %source, "target" = %target}
  }

  // smartmem.relayout: a layout chain (reshapes and transposes) as one
  // index transformation. The result holds the operand's elements in the
  // physical order that `layout` gives them, read row-major as the result
  // type: numpy `layout.apply(x).reshape(result_shape)`. Unlike
  // convert_layout the logical tensor changes (its shape, and which index
  // holds which element); the element type and count stay.
  //
  // smartmem-form-relayouts writes the operand as the chain's source
  // expanded to its atoms (a free tensor.expand_shape) and `layout` as an
  // unblocked permutation of those atoms; the result groups the permuted
  // atoms contiguously. Swin's window partition of a 3136x96 activation
  // (8x8 windows of 7x7):
  //
  //   %f = tensor.expand_shape %x [[0, 1, 2, 3], [4]] output_shape [8, 7, 8, 7, 96]
  //          : tensor<3136x96xf32> into tensor<8x7x8x7x96xf32>
  //   %w = "smartmem.relayout"(%f) {
  //          layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>}
  //        : (tensor<8x7x8x7x96xf32>) -> tensor<64x49x96xf32>
  //
  // smartmem-materialize-relayouts lowers it to linalg.transpose and
  // tensor reshapes.
  //
  // Python checks: both types are ranked tensors with static shapes, one
  // element type and one element count; the layout fits the operand's shape.
  irdl.operation @relayout {
    %input = irdl.base "!builtin.tensor"
    %output = irdl.base "!builtin.tensor"
    %layout = irdl.base @smartmem::@layout
    irdl.operands(input: %input)
    irdl.results(output: %output)
    irdl.attributes {"layout" = %layout}
  }
}
