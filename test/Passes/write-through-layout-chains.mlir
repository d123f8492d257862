// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-write-through-layout-chains)' %s | FileCheck %s
// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-write-through-layout-chains{depth=1})' %s | FileCheck %s --check-prefix=DEPTH1

// Window reverse after the output projection: the bias add writes the
// reversed layout and reads the matmul's result through a free expand_shape.
// The matmul is not rebuilt: writing the reversed layout would give it 5
// parallel loops (4 M atoms in an order IREE cannot collapse), taking it
// off IREE's SPIR-V matmul pipeline.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d3, d4)>
// CHECK-LABEL: func.func @window_reverse_written_by_bias_add
// CHECK-NOT: linalg.transpose
// CHECK: %[[MM:.+]] = linalg.matmul
// CHECK: %[[E:.+]] = tensor.expand_shape %[[MM]]
// CHECK: %[[BIAS:.+]] = linalg.generic {indexing_maps = [#[[ID]], {{.*}}, #[[OUT]]]
// CHECK-SAME: ins(%[[E]], {{.*}}) outs({{.*}} : tensor<2x2x2x2x8xf32>)
// CHECK: tensor.collapse_shape %[[BIAS]] {{.*}} into tensor<16x8xf32>
// DEPTH1-LABEL: func.func @window_reverse_written_by_bias_add
// DEPTH1: linalg.matmul
// DEPTH1-NOT: linalg.transpose
func.func @window_reverse_written_by_bias_add(%x: tensor<16x4xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x4xf32>, tensor<4x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  %o = tensor.empty() : tensor<16x8xf32>
  %biased = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<16x8xf32>, tensor<8xf32>) outs(%o : tensor<16x8xf32>) {
  ^bb0(%p: f32, %q: f32, %out: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  %e = tensor.expand_shape %biased [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %i = tensor.empty() : tensor<2x2x2x2x8xf32>
  %t = linalg.transpose ins(%e : tensor<2x2x2x2x8xf32>) outs(%i : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %c = tensor.collapse_shape %t [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<16x8xf32>
  return %c : tensor<16x8xf32>
}

// -----

// An elementwise producer writes the transposed layout and reads its inputs permuted.
// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[T:.+]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @transpose_written_by_elementwise
// DEPTH1-LABEL: func.func @transpose_written_by_elementwise
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[IN]], #[[T]]]
// CHECK-SAME: outs({{.*}} : tensor<6x4xf32>)
func.func @transpose_written_by_elementwise(%x: tensor<4x6xf32>, %y: tensor<4x6xf32>) -> tensor<6x4xf32> {
  %o = tensor.empty() : tensor<4x6xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %y : tensor<4x6xf32>, tensor<4x6xf32>) outs(%o : tensor<4x6xf32>) {
  ^bb0(%p: f32, %q: f32, %out: f32):
    %m = arith.mulf %p, %q : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %i = tensor.empty() : tensor<6x4xf32>
  %t = linalg.transpose ins(%s : tensor<4x6xf32>) outs(%i : tensor<6x4xf32>) permutation = [1, 0]
  return %t : tensor<6x4xf32>
}

// -----

// The producer's result is also returned in its own layout: it must stay.
// CHECK-LABEL: func.func @no_write_through_other_user
// CHECK: linalg.generic
// CHECK: linalg.transpose
func.func @no_write_through_other_user(%x: tensor<4x6xf32>) -> (tensor<6x4xf32>, tensor<4x6xf32>) {
  %o = tensor.empty() : tensor<4x6xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x6xf32>) outs(%o : tensor<4x6xf32>) {
  ^bb0(%p: f32, %out: f32):
    %m = arith.mulf %p, %p : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %i = tensor.empty() : tensor<6x4xf32>
  %t = linalg.transpose ins(%s : tensor<4x6xf32>) outs(%i : tensor<6x4xf32>) permutation = [1, 0]
  return %t, %s : tensor<6x4xf32>, tensor<4x6xf32>
}

// -----

// A reduction produces the chain's source over a reduced dim: the transposed
// dims are parallel here, but the body accumulates into its output, so the
// write-through is refused for non-contractions that read their output.
// CHECK-LABEL: func.func @no_write_through_body_reads_output
// CHECK: linalg.transpose
func.func @no_write_through_body_reads_output(%x: tensor<4x6x3xf32>) -> tensor<6x4xf32> {
  %zero = arith.constant 0.0 : f32
  %o = tensor.empty() : tensor<4x6xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<4x6xf32>) -> tensor<4x6xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<4x6x3xf32>) outs(%acc : tensor<4x6xf32>) {
  ^bb0(%p: f32, %out: f32):
    %m = arith.maximumf %p, %out : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %i = tensor.empty() : tensor<6x4xf32>
  %t = linalg.transpose ins(%s : tensor<4x6xf32>) outs(%i : tensor<6x4xf32>) permutation = [1, 0]
  return %t : tensor<6x4xf32>
}

// -----

// Patch-merging layout pushed through a residual add and the reshape in
// front of it: the residual add writes the merged layout, reading the
// matmul's result through free reshapes. The matmul is not rebuilt: its
// 4 M atoms in the merged order collapse only to 3 M loops (4 parallel
// loops), off IREE's SPIR-V matmul pipeline.
// CHECK-LABEL: func.func @write_through_reshape_into_residual_add
// CHECK-NOT: linalg.transpose
// CHECK: %[[MM:.+]] = linalg.matmul
// CHECK: %[[E:.+]] = tensor.expand_shape %[[MM]]
// CHECK: %[[E2:.+]] = tensor.expand_shape %[[E]]
// CHECK: linalg.generic {{.*}} ins(%[[E2]], {{.*}}) outs({{.*}} : tensor<2x2x2x2x4xf32>)
func.func @write_through_reshape_into_residual_add(%x: tensor<16x8xf32>, %w: tensor<8x4xf32>, %res: tensor<1x16x4xf32>) -> tensor<1x2x2x16xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x4xf32>) -> tensor<16x4xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x4xf32>) outs(%acc : tensor<16x4xf32>) -> tensor<16x4xf32>
  %mm3 = tensor.expand_shape %mm [[0, 1], [2]] output_shape [1, 16, 4] : tensor<16x4xf32> into tensor<1x16x4xf32>
  %o = tensor.empty() : tensor<1x16x4xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%mm3, %res : tensor<1x16x4xf32>, tensor<1x16x4xf32>) outs(%o : tensor<1x16x4xf32>) {
  ^bb0(%p: f32, %q: f32, %out: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<1x16x4xf32>
  %e = tensor.expand_shape %sum [[0], [1, 2, 3, 4], [5]] output_shape [1, 2, 2, 2, 2, 4] : tensor<1x16x4xf32> into tensor<1x2x2x2x2x4xf32>
  %i = tensor.empty() : tensor<1x2x2x2x2x4xf32>
  %t = linalg.transpose ins(%e : tensor<1x2x2x2x2x4xf32>) outs(%i : tensor<1x2x2x2x2x4xf32>) permutation = [0, 1, 3, 4, 2, 5]
  %c = tensor.collapse_shape %t [[0], [1], [2], [3, 4, 5]] : tensor<1x2x2x2x2x4xf32> into tensor<1x2x2x16xf32>
  return %c : tensor<1x2x2x16xf32>
}

// -----

// Three channels: the layout is not pushed into the matmul (IREE SPIR-V
// miscompiles such contractions), only the residual add writes it.
// CHECK-LABEL: func.func @no_write_through_into_odd_contraction
// CHECK: linalg.matmul
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {{.*}} outs({{.*}} : tensor<2x2x2x2x3xf32>)
func.func @no_write_through_into_odd_contraction(%x: tensor<16x5xf32>, %w: tensor<5x3xf32>, %res: tensor<1x16x3xf32>) -> tensor<1x2x2x12xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x3xf32>) -> tensor<16x3xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x5xf32>, tensor<5x3xf32>) outs(%acc : tensor<16x3xf32>) -> tensor<16x3xf32>
  %mm3 = tensor.expand_shape %mm [[0, 1], [2]] output_shape [1, 16, 3] : tensor<16x3xf32> into tensor<1x16x3xf32>
  %o = tensor.empty() : tensor<1x16x3xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%mm3, %res : tensor<1x16x3xf32>, tensor<1x16x3xf32>) outs(%o : tensor<1x16x3xf32>) {
  ^bb0(%p: f32, %q: f32, %out: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<1x16x3xf32>
  %e = tensor.expand_shape %sum [[0], [1, 2, 3, 4], [5]] output_shape [1, 2, 2, 2, 2, 3] : tensor<1x16x3xf32> into tensor<1x2x2x2x2x3xf32>
  %i = tensor.empty() : tensor<1x2x2x2x2x3xf32>
  %t = linalg.transpose ins(%e : tensor<1x2x2x2x2x3xf32>) outs(%i : tensor<1x2x2x2x2x3xf32>) permutation = [0, 1, 3, 4, 2, 5]
  %c = tensor.collapse_shape %t [[0], [1], [2], [3, 4, 5]] : tensor<1x2x2x2x2x3xf32> into tensor<1x2x2x12xf32>
  return %c : tensor<1x2x2x12xf32>
}

// -----

// Without the bias add the matmul itself would have to write the reversed
// layout, with 5 parallel loops: refused, the chain stays.
// CHECK-LABEL: func.func @no_write_through_contraction_off_matmul_pipeline
// CHECK: linalg.matmul
// CHECK: linalg.transpose
func.func @no_write_through_contraction_off_matmul_pipeline(%x: tensor<16x4xf32>, %w: tensor<4x8xf32>) -> tensor<16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x4xf32>, tensor<4x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  %e = tensor.expand_shape %mm [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %i = tensor.empty() : tensor<2x2x2x2x8xf32>
  %t = linalg.transpose ins(%e : tensor<2x2x2x2x8xf32>) outs(%i : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %c = tensor.collapse_shape %t [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<16x8xf32>
  return %c : tensor<16x8xf32>
}

// -----

// A head merge written by the matmul: the output splits M into two atoms
// in swapped order, 3 parallel loops: still a matmul for IREE, written through.
// CHECK-DAG: #[[HOUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2)>
// CHECK-LABEL: func.func @swap_written_by_matmul
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [{{.*}}, {{.*}}, #[[HOUT]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
func.func @swap_written_by_matmul(%x: tensor<16x4xf32>, %w: tensor<4x8xf32>) -> tensor<16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x4xf32>, tensor<4x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  %e = tensor.expand_shape %mm [[0, 1], [2]] output_shape [4, 4, 8] : tensor<16x8xf32> into tensor<4x4x8xf32>
  %i = tensor.empty() : tensor<4x4x8xf32>
  %t = linalg.transpose ins(%e : tensor<4x4x8xf32>) outs(%i : tensor<4x4x8xf32>) permutation = [1, 0, 2]
  %c = tensor.collapse_shape %t [[0, 1], [2]] : tensor<4x4x8xf32> into tensor<16x8xf32>
  return %c : tensor<16x8xf32>
}

// -----

// A window partition read (through two collapses) by two projections: the
// elementwise producer writes the partitioned layout once, the projections
// read it through free reshapes and stay 2-D matmuls.
// CHECK-DAG: #[[PART:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d3, d4)>
// CHECK-LABEL: func.func @shared_partition_written_by_elementwise
// CHECK-NOT: linalg.transpose
// CHECK: %[[P:.+]] = linalg.generic {indexing_maps = [{{.*}}, #[[PART]]]
// CHECK-SAME: outs({{.*}} : tensor<2x2x2x2x4xf32>)
// CHECK: tensor.collapse_shape %[[P]]
// CHECK: linalg.matmul
// CHECK: tensor.collapse_shape %[[P]]
// CHECK: linalg.generic
func.func @shared_partition_written_by_elementwise(%x: tensor<16x4xf32>, %wq: tensor<4x8xf32>, %wk: tensor<4x8xf32>) -> (tensor<16x8xf32>, tensor<4x4x8xf32>) {
  %o = tensor.empty() : tensor<16x4xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<16x4xf32>) outs(%o : tensor<16x4xf32>) {
  ^bb0(%p: f32, %out: f32):
    %m = arith.mulf %p, %p : f32
    linalg.yield %m : f32
  } -> tensor<16x4xf32>
  %e = tensor.expand_shape %n [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 4] : tensor<16x4xf32> into tensor<2x2x2x2x4xf32>
  %i = tensor.empty() : tensor<2x2x2x2x4xf32>
  %t = linalg.transpose ins(%e : tensor<2x2x2x2x4xf32>) outs(%i : tensor<2x2x2x2x4xf32>) permutation = [0, 2, 1, 3, 4]
  %c = tensor.collapse_shape %t [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x4xf32> into tensor<16x4xf32>
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %q = linalg.matmul ins(%c, %wq : tensor<16x4xf32>, tensor<4x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  %c3 = tensor.collapse_shape %t [[0, 1], [2, 3], [4]] : tensor<2x2x2x2x4xf32> into tensor<4x4x4xf32>
  %b = tensor.empty() : tensor<4x4x8xf32>
  %bacc = linalg.fill ins(%zero : f32) outs(%b : tensor<4x4x8xf32>) -> tensor<4x4x8xf32>
  %k = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%c3, %wk : tensor<4x4x4xf32>, tensor<4x8xf32>) outs(%bacc : tensor<4x4x8xf32>) {
  ^bb0(%p: f32, %w: f32, %out: f32):
    %m = arith.mulf %p, %w : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x4x8xf32>
  return %q, %k : tensor<16x8xf32>, tensor<4x4x8xf32>
}

// -----

// A transpose of a matmul's result (m, n) -> (n, m): written by the matmul,
// its innermost written dim would be m, not n (the paper's rule: the
// result keeps the RHS's innermost parallel dim innermost). Refused; the
// chain stays.
// CHECK-LABEL: func.func @no_write_through_contraction_strided_result
// CHECK: linalg.matmul
// CHECK: linalg.transpose
// DEPTH1-LABEL: func.func @no_write_through_contraction_strided_result
func.func @no_write_through_contraction_strided_result(%x: tensor<16x4xf32>, %w: tensor<4x8xf32>) -> tensor<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x4xf32>, tensor<4x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  %i = tensor.empty() : tensor<8x16xf32>
  %t = linalg.transpose ins(%mm : tensor<16x8xf32>) outs(%i : tensor<8x16xf32>) permutation = [1, 0]
  return %t : tensor<8x16xf32>
}

// -----

// The same transpose after a bias add: the bias add (elementwise, free to
// write any layout) writes (n, m); the matmul keeps writing (m, n).
// CHECK-DAG: #[[BT:.+]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @transpose_written_by_bias_add_not_matmul
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul
// CHECK: linalg.generic {indexing_maps = [{{.*}}, {{.*}}, #[[BT]]]
// DEPTH1-LABEL: func.func @transpose_written_by_bias_add_not_matmul
func.func @transpose_written_by_bias_add_not_matmul(%x: tensor<16x4xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x4xf32>, tensor<4x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  %o = tensor.empty() : tensor<16x8xf32>
  %biased = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<16x8xf32>, tensor<8xf32>) outs(%o : tensor<16x8xf32>) {
  ^bb0(%p: f32, %q: f32, %out: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  %i = tensor.empty() : tensor<8x16xf32>
  %t = linalg.transpose ins(%biased : tensor<16x8xf32>) outs(%i : tensor<8x16xf32>) permutation = [1, 0]
  return %t : tensor<8x16xf32>
}

// -----

// The transposed matmul result is read only by a reduction over m (a
// LayerNorm after MobileViT's head merge) and an elementwise op: the
// matmul writes (n, m) so that the reduction reads its reduced dim
// contiguously (the paper: a sub-optimal write costs less than a
// sub-optimal read).
// CHECK-DAG: #[[MT:.+]] = affine_map<(d0, d1, d2) -> (d1, d0)>
// CHECK-LABEL: func.func @transpose_written_by_matmul_for_reduction
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [{{.*}}, {{.*}}, #[[MT]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// DEPTH1-LABEL: func.func @transpose_written_by_matmul_for_reduction
func.func @transpose_written_by_matmul_for_reduction(%x: tensor<16x4xf32>, %w: tensor<4x8xf32>) -> (tensor<8xf32>, tensor<8x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x4xf32>, tensor<4x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  %i = tensor.empty() : tensor<8x16xf32>
  %t = linalg.transpose ins(%mm : tensor<16x8xf32>) outs(%i : tensor<8x16xf32>) permutation = [1, 0]
  %o = tensor.empty() : tensor<8xf32>
  %racc = linalg.fill ins(%zero : f32) outs(%o : tensor<8xf32>) -> tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%t : tensor<8x16xf32>) outs(%racc : tensor<8xf32>) {
  ^bb0(%p: f32, %out: f32):
    %s = arith.addf %p, %out : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %e = tensor.empty() : tensor<8x16xf32>
  %sq = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%p: f32, %out: f32):
    %s = arith.mulf %p, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  return %r, %sq : tensor<8xf32>, tensor<8x16xf32>
}

// -----

// A head split written by the projection (4 heads of 8): the output lists
// (head, row, head dim), n becomes the head dim, 8 wide: still aligned,
// written through.
// CHECK-DAG: #[[HSPLIT:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2)>
// CHECK-LABEL: func.func @head_split_written_by_matmul
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [{{.*}}, {{.*}}, #[[HSPLIT]]]
func.func @head_split_written_by_matmul(%x: tensor<16x4xf32>, %w: tensor<4x32xf32>) -> tensor<4x16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x32xf32>) -> tensor<16x32xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x4xf32>, tensor<4x32xf32>) outs(%acc : tensor<16x32xf32>) -> tensor<16x32xf32>
  %e = tensor.expand_shape %mm [[0], [1, 2]] output_shape [16, 4, 8] : tensor<16x32xf32> into tensor<16x4x8xf32>
  %i = tensor.empty() : tensor<4x16x8xf32>
  %t = linalg.transpose ins(%e : tensor<16x4x8xf32>) outs(%i : tensor<4x16x8xf32>) permutation = [1, 0, 2]
  return %t : tensor<4x16x8xf32>
}

// -----

// The same head split with heads of 6 (MobileViT-S has 36 and 60): n would
// shrink from 24 to 6, not a multiple of 8, and IREE would take the
// projection off its matmul pipeline (SubgroupReduce on valhall); kept.
// CHECK-LABEL: func.func @no_head_split_unaligned_head_dim
// CHECK: linalg.matmul
// CHECK: linalg.transpose
func.func @no_head_split_unaligned_head_dim(%x: tensor<16x4xf32>, %w: tensor<4x24xf32>) -> tensor<4x16x6xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x24xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x24xf32>) -> tensor<16x24xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x4xf32>, tensor<4x24xf32>) outs(%acc : tensor<16x24xf32>) -> tensor<16x24xf32>
  %e = tensor.expand_shape %mm [[0], [1, 2]] output_shape [16, 4, 6] : tensor<16x24xf32> into tensor<16x4x6xf32>
  %i = tensor.empty() : tensor<4x16x6xf32>
  %t = linalg.transpose ins(%e : tensor<16x4x6xf32>) outs(%i : tensor<4x16x6xf32>) permutation = [1, 0, 2]
  return %t : tensor<4x16x6xf32>
}
