// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-permute-row-regions,smartmem-form-relayouts)' %s | FileCheck %s

// Two window-attention blocks on a 4x4 map of 8 channels in 2x2 windows
// (rows 16 = window row, row, window column, column). The residual stream
// (the row-wise scale and the two residual adds) is stored in window
// order: both partitions and both reverses cancel, so the per-window
// batch matmuls read and write reshapes only. The second residual add
// gathers by row index (a shifted read): its linalg.index is mapped back
// to the row order it computes with. The stream enters and leaves once.
// CHECK-LABEL: func.func @window_order_stream
// CHECK: smartmem.relayout
// CHECK-NOT: smartmem.relayout
// CHECK: linalg.batch_matmul
// CHECK-NOT: smartmem.relayout
// CHECK: linalg.batch_matmul
// CHECK-NOT: smartmem.relayout
// CHECK: %[[STORED:.+]] = linalg.index 0
// CHECK-NEXT: arith.constant 2 : index
// CHECK-NEXT: arith.remui %[[STORED]]
// CHECK: arith.muli
// CHECK: arith.muli
// CHECK: arith.muli
// CHECK-NEXT: %[[ROW:.+]] = arith.addi
// CHECK-NEXT: linalg.index 1
// CHECK-NEXT: arith.addi %[[ROW]], %c1
// CHECK: tensor.extract %arg2
// CHECK: smartmem.relayout
// CHECK-NOT: smartmem.relayout
// CHECK: return
func.func @window_order_stream(%x: tensor<16x8xf32>, %w: tensor<4x8x8xf32>, %g: tensor<16x8xf32>) -> tensor<16x8xf32> {
  %empty = tensor.empty() : tensor<16x8xf32>
  %x0 = linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r, c)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<16x8xf32>) outs(%empty : tensor<16x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  %e0 = tensor.expand_shape %x0 [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %i0 = tensor.empty() : tensor<2x2x2x2x8xf32>
  %t0 = linalg.transpose ins(%e0 : tensor<2x2x2x2x8xf32>) outs(%i0 : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %p0 = tensor.collapse_shape %t0 [[0, 1], [2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<4x4x8xf32>
  %zero = arith.constant 0.0 : f32
  %be = tensor.empty() : tensor<4x4x8xf32>
  %bf = linalg.fill ins(%zero : f32) outs(%be : tensor<4x4x8xf32>) -> tensor<4x4x8xf32>
  %a0 = linalg.batch_matmul ins(%p0, %w : tensor<4x4x8xf32>, tensor<4x8x8xf32>) outs(%bf : tensor<4x4x8xf32>) -> tensor<4x4x8xf32>
  %e1 = tensor.expand_shape %a0 [[0, 1], [2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<4x4x8xf32> into tensor<2x2x2x2x8xf32>
  %t1 = linalg.transpose ins(%e1 : tensor<2x2x2x2x8xf32>) outs(%i0 : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %r0 = tensor.collapse_shape %t1 [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<16x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r, c)>], iterator_types = ["parallel", "parallel"]} ins(%x0, %r0 : tensor<16x8xf32>, tensor<16x8xf32>) outs(%empty : tensor<16x8xf32>) {
  ^bb0(%in: f32, %in2: f32, %o: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  %e2 = tensor.expand_shape %y [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %t2 = linalg.transpose ins(%e2 : tensor<2x2x2x2x8xf32>) outs(%i0 : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %p1 = tensor.collapse_shape %t2 [[0, 1], [2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<4x4x8xf32>
  %a1 = linalg.batch_matmul ins(%p1, %w : tensor<4x4x8xf32>, tensor<4x8x8xf32>) outs(%bf : tensor<4x4x8xf32>) -> tensor<4x4x8xf32>
  %e3 = tensor.expand_shape %a1 [[0, 1], [2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<4x4x8xf32> into tensor<2x2x2x2x8xf32>
  %t3 = linalg.transpose ins(%e3 : tensor<2x2x2x2x8xf32>) outs(%i0 : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %r1 = tensor.collapse_shape %t3 [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<16x8xf32>
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %z = linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r, c)>], iterator_types = ["parallel", "parallel"]} ins(%y, %r1 : tensor<16x8xf32>, tensor<16x8xf32>) outs(%empty : tensor<16x8xf32>) {
  ^bb0(%in: f32, %in2: f32, %o: f32):
    %row = linalg.index 0 : index
    %col = linalg.index 1 : index
    %next = arith.addi %row, %c1 : index
    %shifted = arith.remui %next, %c16 : index
    %v = tensor.extract %g[%shifted, %col] : tensor<16x8xf32>
    %s = arith.addf %in, %in2 : f32
    %t = arith.addf %s, %v : f32
    linalg.yield %t : f32
  } -> tensor<16x8xf32>
  return %z : tensor<16x8xf32>
}

// -----

// The stream of a 6x6 map in 2x2 windows of 3x3 rows leaves into a patch
// merging of 2x2 neighbours (3x3 pairs): 6 = 2 x 3 = 3 x 2, so the window
// order and the merge share no atoms. The merge then reads the stream in
// window order through one gather (index split per step), not through
// two transposes.
// CHECK-LABEL: func.func @mixed_radix_exit_becomes_a_gather
// CHECK: smartmem.relayout
// CHECK: linalg.generic
// CHECK-NOT: smartmem.relayout
// CHECK: linalg.batch_matmul
// CHECK-NOT: smartmem.relayout
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK: arith.divui
// CHECK: tensor.extract
// CHECK-NOT: smartmem.relayout
// CHECK: return
func.func @mixed_radix_exit_becomes_a_gather(%x: tensor<36x4xf32>, %w: tensor<4x9x9xf32>) -> tensor<9x16xf32> {
  %empty = tensor.empty() : tensor<36x4xf32>
  %x0 = linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r, c)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<36x4xf32>) outs(%empty : tensor<36x4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<36x4xf32>
  %e0 = tensor.expand_shape %x0 [[0, 1, 2, 3], [4]] output_shape [2, 3, 2, 3, 4] : tensor<36x4xf32> into tensor<2x3x2x3x4xf32>
  %i0 = tensor.empty() : tensor<2x2x3x3x4xf32>
  %t0 = linalg.transpose ins(%e0 : tensor<2x3x2x3x4xf32>) outs(%i0 : tensor<2x2x3x3x4xf32>) permutation = [0, 2, 1, 3, 4]
  %p0 = tensor.collapse_shape %t0 [[0, 1], [2, 3], [4]] : tensor<2x2x3x3x4xf32> into tensor<4x9x4xf32>
  %zero = arith.constant 0.0 : f32
  %be = tensor.empty() : tensor<4x9x4xf32>
  %bf = linalg.fill ins(%zero : f32) outs(%be : tensor<4x9x4xf32>) -> tensor<4x9x4xf32>
  %a0 = linalg.batch_matmul ins(%w, %p0 : tensor<4x9x9xf32>, tensor<4x9x4xf32>) outs(%bf : tensor<4x9x4xf32>) -> tensor<4x9x4xf32>
  %e1 = tensor.expand_shape %a0 [[0, 1], [2, 3], [4]] output_shape [2, 2, 3, 3, 4] : tensor<4x9x4xf32> into tensor<2x2x3x3x4xf32>
  %i1 = tensor.empty() : tensor<2x3x2x3x4xf32>
  %t1 = linalg.transpose ins(%e1 : tensor<2x2x3x3x4xf32>) outs(%i1 : tensor<2x3x2x3x4xf32>) permutation = [0, 2, 1, 3, 4]
  %r0 = tensor.collapse_shape %t1 [[0, 1, 2, 3], [4]] : tensor<2x3x2x3x4xf32> into tensor<36x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r, c)>], iterator_types = ["parallel", "parallel"]} ins(%x0, %r0 : tensor<36x4xf32>, tensor<36x4xf32>) outs(%empty : tensor<36x4xf32>) {
  ^bb0(%in: f32, %in2: f32, %o: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<36x4xf32>
  %e2 = tensor.expand_shape %y [[0, 1, 2, 3], [4]] output_shape [3, 2, 3, 2, 4] : tensor<36x4xf32> into tensor<3x2x3x2x4xf32>
  %i2 = tensor.empty() : tensor<3x3x2x2x4xf32>
  %t2 = linalg.transpose ins(%e2 : tensor<3x2x3x2x4xf32>) outs(%i2 : tensor<3x3x2x2x4xf32>) permutation = [0, 2, 1, 3, 4]
  %m = tensor.collapse_shape %t2 [[0, 1], [2, 3, 4]] : tensor<3x3x2x2x4xf32> into tensor<9x16xf32>
  return %m : tensor<9x16xf32>
}

// -----

// Negative: one partition behind a row-wise op that reads an argument.
// Stored in window order, the argument would need the permutation the
// partition loses: no chain fewer, so nothing changes.
// CHECK-LABEL: func.func @no_round_trip_no_flip
// CHECK: linalg.generic
// CHECK: smartmem.relayout
// CHECK: linalg.batch_matmul
func.func @no_round_trip_no_flip(%x: tensor<16x8xf32>, %w: tensor<4x8x8xf32>) -> tensor<4x4x8xf32> {
  %empty = tensor.empty() : tensor<16x8xf32>
  %x0 = linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r, c)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<16x8xf32>) outs(%empty : tensor<16x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  %e0 = tensor.expand_shape %x0 [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %i0 = tensor.empty() : tensor<2x2x2x2x8xf32>
  %t0 = linalg.transpose ins(%e0 : tensor<2x2x2x2x8xf32>) outs(%i0 : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %p0 = tensor.collapse_shape %t0 [[0, 1], [2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<4x4x8xf32>
  %zero = arith.constant 0.0 : f32
  %be = tensor.empty() : tensor<4x4x8xf32>
  %bf = linalg.fill ins(%zero : f32) outs(%be : tensor<4x4x8xf32>) -> tensor<4x4x8xf32>
  %a0 = linalg.batch_matmul ins(%p0, %w : tensor<4x4x8xf32>, tensor<4x8x8xf32>) outs(%bf : tensor<4x4x8xf32>) -> tensor<4x4x8xf32>
  return %a0 : tensor<4x4x8xf32>
}

// -----

// Negative: a projection of the window partition whose output is split
// into heads. Stored in row order, the projection would drop the
// partition but write its head split with permuted rows, which no
// contraction writes through (it would leave the matmul pipeline).
// CHECK-LABEL: func.func @contraction_keeps_its_write
// CHECK: smartmem.relayout
// CHECK: linalg.matmul
// CHECK: smartmem.relayout
// CHECK-SAME: (tensor<4x4x2x4xf32>) -> tensor<8x4x4xf32>
func.func @contraction_keeps_its_write(%x: tensor<16x8xf32>, %w: tensor<8x8xf32>) -> tensor<8x4x4xf32> {
  %e0 = tensor.expand_shape %x [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %i0 = tensor.empty() : tensor<2x2x2x2x8xf32>
  %t0 = linalg.transpose ins(%e0 : tensor<2x2x2x2x8xf32>) outs(%i0 : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %p0 = tensor.collapse_shape %t0 [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<16x8xf32>
  %zero = arith.constant 0.0 : f32
  %me = tensor.empty() : tensor<16x8xf32>
  %mf = linalg.fill ins(%zero : f32) outs(%me : tensor<16x8xf32>) -> tensor<16x8xf32>
  %q = linalg.matmul ins(%p0, %w : tensor<16x8xf32>, tensor<8x8xf32>) outs(%mf : tensor<16x8xf32>) -> tensor<16x8xf32>
  %h = tensor.expand_shape %q [[0, 1], [2, 3]] output_shape [4, 4, 2, 4] : tensor<16x8xf32> into tensor<4x4x2x4xf32>
  %hi = tensor.empty() : tensor<2x4x4x4xf32>
  %ht = linalg.transpose ins(%h : tensor<4x4x2x4xf32>) outs(%hi : tensor<2x4x4x4xf32>) permutation = [2, 0, 1, 3]
  %heads = tensor.collapse_shape %ht [[0, 1], [2], [3]] : tensor<2x4x4x4xf32> into tensor<8x4x4xf32>
  return %heads : tensor<8x4x4xf32>
}
