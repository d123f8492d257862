// RUN: smartmem-opt %s --split-input-file --smartmem-classify | FileCheck %s
// RUN: smartmem-opt %s --smartmem-classify='report=true' -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// The census of a real model: a tiny Swin (test/Inputs/make_classify_inputs.py)
// lowered by `iree-compile --compile-to=input`. Every linalg/tensor op but
// tensor.empty is tagged.
// RUN: smartmem-opt %S/../Inputs/swin-tiny-input.mlir --smartmem-classify='report=true' -o %t.swin.mlir 2>&1 | FileCheck %s --check-prefix=SWIN
// RUN: FileCheck %s --input-file=%t.swin.mlir --check-prefix=SWIN-IR

// SWIN: smartmem-classify census: 423 ops tagged, 43 untagged
// SWIN-NEXT: smartmem-classify census: ILD&variable 66: linalg.batch_matmul 16, linalg.conv_2d_nchw_fchw 1, linalg.generic 30, linalg.matmul 18, linalg.pooling_ncw_sum 1
// SWIN-NEXT: smartmem-classify census: ILD&fixed 124: linalg.transpose 27, tensor.collapse_shape 59, tensor.expand_shape 38
// SWIN-NEXT: smartmem-classify census: ILI&variable 214: linalg.fill 21, linalg.generic 193
// SWIN-NEXT: smartmem-classify census: ILI&fixed 19: tensor.concat 5, tensor.extract_slice 14
// SWIN-NEXT: smartmem-classify census: untagged 43: tensor.empty 43
// SWIN-IR: linalg.conv_2d_nchw_fchw {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "variable">
// SWIN-IR: tensor.concat {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">

// REPORT: smartmem-classify census: 38 ops tagged, 11 untagged
// REPORT-NEXT: smartmem-classify census: ILD&variable 9: linalg.batch_matmul 1, linalg.conv_2d_nchw_fchw 1, linalg.depthwise_conv_2d_nhwc_hwc 1, linalg.generic 1, linalg.matmul 2, linalg.pooling_nhwc_max 1, linalg.reduce 1, linalg.softmax 1
// REPORT-NEXT: smartmem-classify census: ILD&fixed 10: linalg.generic 3, linalg.pack 1, linalg.transpose 2, linalg.unpack 1, tensor.collapse_shape 1, tensor.expand_shape 1, tensor.reshape 1
// REPORT-NEXT: smartmem-classify census: ILI&variable 10: linalg.broadcast 1, linalg.copy 1, linalg.elementwise 1, linalg.fill 1, linalg.generic 5, linalg.map 1
// REPORT-NEXT: smartmem-classify census: ILI&fixed 9: linalg.generic 3, tensor.concat 1, tensor.extract_slice 2, tensor.gather 1, tensor.insert_slice 1, tensor.pad 1
// REPORT-NEXT: smartmem-classify census: untagged 11: tensor.cast 1, tensor.dim 1, tensor.empty 8, tensor.extract 1

// Contractions read along k: ILD & variable.
// CHECK-LABEL: func.func @contractions
// CHECK: linalg.matmul {smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
// CHECK: linalg.batch_matmul {smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
func.func @contractions(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>,
                        %ba: tensor<2x4x8xf32>, %bb: tensor<2x8x16xf32>, %bc: tensor<2x4x16xf32>) -> (tensor<4x16xf32>, tensor<2x4x16xf32>) {
  %0 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  %1 = linalg.batch_matmul ins(%ba, %bb : tensor<2x4x8xf32>, tensor<2x8x16xf32>) outs(%bc : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<2x4x16xf32>
}

// -----

// Convolutions and pooling reduce over their windows: ILD & variable.
// CHECK-LABEL: func.func @convolutions
// CHECK: linalg.conv_2d_nchw_fchw {smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc {smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
// CHECK: linalg.pooling_nhwc_max {smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
func.func @convolutions(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %o: tensor<1x4x6x6xf32>,
                        %y: tensor<1x8x8x4xf32>, %dw: tensor<3x3x4xf32>, %do: tensor<1x6x6x4xf32>, %win: tensor<2x2xf32>, %po: tensor<1x7x7x4xf32>)
    -> (tensor<1x4x6x6xf32>, tensor<1x6x6x4xf32>, tensor<1x7x7x4xf32>) {
  %0 = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) outs(%o : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %1 = linalg.depthwise_conv_2d_nhwc_hwc ins(%y, %dw : tensor<1x8x8x4xf32>, tensor<3x3x4xf32>) outs(%do : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
  %2 = linalg.pooling_nhwc_max ins(%y, %win : tensor<1x8x8x4xf32>, tensor<2x2xf32>) outs(%po : tensor<1x7x7x4xf32>) -> tensor<1x7x7x4xf32>
  return %0, %1, %2 : tensor<1x4x6x6xf32>, tensor<1x6x6x4xf32>, tensor<1x7x7x4xf32>
}

// -----

// Softmax and layernorm pieces (row sums, row max), linalg.reduce: ILD & variable.
// CHECK-LABEL: func.func @reductions
// CHECK: linalg.softmax {smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "variable">
// CHECK: linalg.reduce {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "variable">
func.func @reductions(%x: tensor<4x16xf32>, %init: tensor<4x16xf32>, %row: tensor<4xf32>) -> (tensor<4x16xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = linalg.softmax dimension(1) ins(%x : tensor<4x16xf32>) outs(%init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x16xf32>) outs(%row : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %2 = linalg.reduce ins(%x : tensor<4x16xf32>) outs(%row : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %m = arith.maximumf %in, %acc : f32
      linalg.yield %m : f32
    }
  return %0, %1, %2 : tensor<4x16xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Elementwise ops, with identity, broadcast or permuted maps: ILI & variable.
// CHECK-LABEL: func.func @elementwise
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "variable">
// CHECK: linalg.elementwise <exp> {smartmem.op_class = #smartmem.op_class<"ILI", "variable">}
// CHECK: linalg.map {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "variable">
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "variable">
func.func @elementwise(%x: tensor<4x16xf32>, %bias: tensor<16xf32>, %init: tensor<4x16xf32>, %xt: tensor<16x4xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %bias : tensor<4x16xf32>, tensor<16xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  %1 = linalg.elementwise <exp> ins(%0 : tensor<4x16xf32>) outs(%init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %2 = linalg.map ins(%1 : tensor<4x16xf32>) outs(%init : tensor<4x16xf32>)
    (%a: f32, %o: f32) {
      %n = arith.negf %a : f32
      linalg.yield %n : f32
    }
  // Adds a transposed operand: still one read per output element.
  %3 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%2, %xt : tensor<4x16xf32>, tensor<16x4xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.mulf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %0, %1, %2, %3 : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Copies that keep the dim order (fill, broadcast, copy): ILI & variable.
// CHECK-LABEL: func.func @order_keeping_copies
// CHECK: linalg.fill {smartmem.op_class = #smartmem.op_class<"ILI", "variable">}
// CHECK: linalg.broadcast {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "variable">
// CHECK: linalg.copy {smartmem.op_class = #smartmem.op_class<"ILI", "variable">}
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "variable">
func.func @order_keeping_copies(%bias: tensor<16xf32>, %init: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {
  %cst = arith.constant 0.0 : f32
  %0 = linalg.fill ins(%cst : f32) outs(%init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %1 = linalg.broadcast ins(%bias : tensor<16xf32>) outs(%init : tensor<4x16xf32>) dimensions = [0]
  %2 = linalg.copy ins(%1 : tensor<4x16xf32>) outs(%init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %3 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%bias : tensor<16xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%b: f32, %o: f32):
    linalg.yield %b : f32
  } -> tensor<4x16xf32>
  return %0, %1, %2, %3 : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Transposes, named or generic (also with a broadcast): ILD & fixed.
// CHECK-LABEL: func.func @transposes
// CHECK: linalg.transpose {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
func.func @transposes(%x: tensor<4x16xf32>, %t: tensor<16x4xf32>, %y: tensor<4x16xf32>, %t3: tensor<16x2x4xf32>) -> (tensor<16x4xf32>, tensor<16x4xf32>, tensor<16x2x4xf32>) {
  %0 = linalg.transpose ins(%x : tensor<4x16xf32>) outs(%t : tensor<16x4xf32>) permutation = [1, 0]
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<4x16xf32>) outs(%t : tensor<16x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<16x4xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y : tensor<4x16xf32>) outs(%t3 : tensor<16x2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<16x2x4xf32>
  return %0, %1, %2 : tensor<16x4xf32>, tensor<16x4xf32>, tensor<16x2x4xf32>
}

// -----

// Reshapes, and a depth-to-space move (reshape, transpose, reshape): ILD & fixed.
// CHECK-LABEL: func.func @reshapes_and_depth_to_space
// CHECK: tensor.expand_shape {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
// CHECK: linalg.transpose {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
// CHECK: tensor.collapse_shape {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
// CHECK: tensor.reshape {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
func.func @reshapes_and_depth_to_space(%x: tensor<1x8x2x2xf32>, %shape: tensor<2xi64>) -> (tensor<1x2x4x4xf32>, tensor<8x4xf32>) {
  // depth_to_space, block 2: [1, 8, 2, 2] -> [1, 2, 2, 2, 2, 2] -> [1, 2, 2, 2, 2, 2] -> [1, 2, 4, 4]
  %0 = tensor.expand_shape %x [[0], [1, 2, 3], [4], [5]] output_shape [1, 2, 2, 2, 2, 2] : tensor<1x8x2x2xf32> into tensor<1x2x2x2x2x2xf32>
  %e = tensor.empty() : tensor<1x2x2x2x2x2xf32>
  %1 = linalg.transpose ins(%0 : tensor<1x2x2x2x2x2xf32>) outs(%e : tensor<1x2x2x2x2x2xf32>) permutation = [0, 3, 4, 1, 5, 2]
  %2 = tensor.collapse_shape %1 [[0], [1], [2, 3], [4, 5]] : tensor<1x2x2x2x2x2xf32> into tensor<1x2x4x4xf32>
  %3 = tensor.reshape %x(%shape) : (tensor<1x8x2x2xf32>, tensor<2xi64>) -> tensor<8x4xf32>
  return %2, %3 : tensor<1x2x4x4xf32>, tensor<8x4xf32>
}

// -----

// Tiled relayouts: ILD & fixed.
// CHECK-LABEL: func.func @pack_unpack
// CHECK: linalg.pack {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
// CHECK: linalg.unpack {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
func.func @pack_unpack(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %e = tensor.empty() : tensor<2x4x4x4xf32>
  %0 = linalg.pack %x inner_dims_pos = [0, 1] inner_tiles = [4, 4] into %e : tensor<8x16xf32> -> tensor<2x4x4x4xf32>
  %u = tensor.empty() : tensor<8x16xf32>
  %1 = linalg.unpack %0 inner_dims_pos = [0, 1] inner_tiles = [4, 4] into %u : tensor<2x4x4x4xf32> -> tensor<8x16xf32>
  return %1 : tensor<8x16xf32>
}

// -----

// Element-selecting moves (slices, concat, pad; a cyclic shift): ILI & fixed.
// CHECK-LABEL: func.func @slices_concat_pad
// CHECK: tensor.extract_slice {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
// CHECK: tensor.extract_slice {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
// CHECK: tensor.concat {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
// CHECK: tensor.insert_slice {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
// CHECK: tensor.pad
// CHECK-NEXT: ^bb0
// CHECK-NEXT: tensor.yield %{{.*}} : f32
// CHECK-NEXT: } {smartmem.op_class = #smartmem.op_class<"ILI", "fixed">}
func.func @slices_concat_pad(%x: tensor<8x4xf32>, %dst: tensor<16x4xf32>) -> (tensor<16x4xf32>, tensor<10x4xf32>) {
  %a = tensor.extract_slice %x[3, 0] [5, 4] [1, 1] : tensor<8x4xf32> to tensor<5x4xf32>
  %b = tensor.extract_slice %x[0, 0] [3, 4] [1, 1] : tensor<8x4xf32> to tensor<3x4xf32>
  %rolled = tensor.concat dim(0) %a, %b : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<8x4xf32>
  %0 = tensor.insert_slice %rolled into %dst[8, 0] [8, 4] [1, 1] : tensor<8x4xf32> into tensor<16x4xf32>
  %cst = arith.constant 0.0 : f32
  %1 = tensor.pad %x low[1, 0] high[1, 0] {
  ^bb0(%i: index, %j: index):
    tensor.yield %cst : f32
  } : tensor<8x4xf32> to tensor<10x4xf32>
  return %0, %1 : tensor<16x4xf32>, tensor<10x4xf32>
}

// -----

// Gathers (tensor.extract in a body, tensor.gather) and strided copies: ILI & fixed.
// CHECK-LABEL: func.func @gathers_and_strided_copies
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
// CHECK-NOT: tensor.extract {{.*}}smartmem.op_class
// CHECK: tensor.gather {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
func.func @gathers_and_strided_copies(%table: tensor<100x16xf32>, %ids: tensor<4xi64>, %init: tensor<4x16xf32>, %idx: tensor<4x1xindex>, %x: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<4x1x16xf32>, tensor<4x16xf32>) {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%id: i64, %o: f32):
    %r = arith.index_cast %id : i64 to index
    %c = linalg.index 1 : index
    %v = tensor.extract %table[%r, %c] : tensor<100x16xf32>
    linalg.yield %v : f32
  } -> tensor<4x16xf32>
  %1 = tensor.gather %table[%idx] gather_dims([0]) : (tensor<100x16xf32>, tensor<4x1xindex>) -> tensor<4x1x16xf32>
  // Every other row: a strided slice written as a copy generic.
  %2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0 * 2, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<8x16xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<4x16xf32>
  return %0, %1, %2 : tensor<4x16xf32>, tensor<4x1x16xf32>, tensor<4x16xf32>
}

// -----

// Ops that move no data, or only scalars, stay untagged.
// CHECK-LABEL: func.func @no_tag_without_data_movement
// CHECK-NOT: smartmem.op_class
// CHECK: return
func.func @no_tag_without_data_movement(%x: tensor<?x4xf32>) -> (tensor<8x4xf32>, index, f32) {
  %e = tensor.empty() : tensor<8x4xf32>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x4xf32>
  %s = tensor.cast %x : tensor<?x4xf32> to tensor<8x4xf32>
  %v = tensor.extract %s[%c0, %c0] : tensor<8x4xf32>
  return %e, %d, %v : tensor<8x4xf32>, index, f32
}

// -----

// Ops of other dialects and the body of a linalg op stay untagged, even on tensors.
// CHECK-LABEL: func.func @no_tag_outside_linalg_and_tensor
// CHECK: arith.addf %arg0, %arg0 : tensor<4xf32>
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "variable">
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf %{{.*}} : f32
// CHECK-NEXT: linalg.yield %{{.*}} : f32
func.func @no_tag_outside_linalg_and_tensor(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %x, %x : tensor<4xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%0 : tensor<4xf32>) outs(%x : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// A stale class is replaced, and removed from an op that gets none.
// CHECK-LABEL: func.func @stale_classes_are_replaced
// CHECK: linalg.matmul {smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
// CHECK: tensor.empty() : tensor<4x16xf32>
// CHECK-NOT: smartmem.op_class
// CHECK: return
func.func @stale_classes_are_replaced(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %0 = linalg.matmul {smartmem.op_class = #smartmem.op_class<"ILI", "fixed">} ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  %1 = tensor.empty() {smartmem.op_class = #smartmem.op_class<"ILI", "fixed">} : tensor<4x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Constant indices into unit dims (as left by unit-dim folding) are reshapes,
// not selections; a constant index into a longer dim selects a slice.
// CHECK-LABEL: func.func @copies_through_unit_dims
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "variable">
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
func.func @copies_through_unit_dims(%x: tensor<1x4x8xf32>, %y: tensor<4x8xf32>, %z: tensor<3x4x8xf32>) -> (tensor<4x1x8xf32>, tensor<8x1x4xf32>, tensor<4x8xf32>) {
  %e0 = tensor.empty() : tensor<4x1x8xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (0, d0, d1)>, affine_map<(d0, d1) -> (d0, 0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<1x4x8xf32>) outs(%e0 : tensor<4x1x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<4x1x8xf32>
  %e1 = tensor.empty() : tensor<8x1x4xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, 0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<4x8xf32>) outs(%e1 : tensor<8x1x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<8x1x4xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (2, d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%z : tensor<3x4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<4x8xf32>
  return %0, %1, %2 : tensor<4x1x8xf32>, tensor<8x1x4xf32>, tensor<4x8xf32>
}
