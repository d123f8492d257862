// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-gather-through-layout-chains)' %s | FileCheck %s

// Swin's window reverse (2x2 windows of a 4x4 map, 8 channels) in front of
// the gather that undoes the cyclic shift: the gather reads the windowed
// rows directly, its (h, w) split into (window, offset) and recombined.
// CHECK-LABEL: func.func @window_reverse_into_shifted_gather
// CHECK-NOT: linalg.transpose
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic
// CHECK: arith.remui
// CHECK: arith.divui
// CHECK: arith.muli
// CHECK: arith.muli
// CHECK: arith.muli
// CHECK: %[[ROW:.+]] = arith.addi
// CHECK-NEXT: tensor.extract %arg0[%[[ROW]], %{{.+}}] : tensor<16x8xf32>
// CHECK: arith.addf
func.func @window_reverse_into_shifted_gather(%windows: tensor<16x8xf32>, %residual: tensor<4x4x8xf32>) -> tensor<4x4x8xf32> {
  %e = tensor.expand_shape %windows [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %init = tensor.empty() : tensor<2x2x2x2x8xf32>
  %t = linalg.transpose ins(%e : tensor<2x2x2x2x8xf32>) outs(%init : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %map = tensor.collapse_shape %t [[0, 1], [2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<4x4x8xf32>
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %out = tensor.empty() : tensor<4x4x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(h, w, k) -> (h, w, k)>, affine_map<(h, w, k) -> (h, w, k)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%residual : tensor<4x4x8xf32>) outs(%out : tensor<4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %h = linalg.index 0 : index
    %w = linalg.index 1 : index
    %k = linalg.index 2 : index
    %h1 = arith.addi %h, %c1 : index
    %hs = arith.remui %h1, %c4 : index
    %w1 = arith.addi %w, %c1 : index
    %ws = arith.remui %w1, %c4 : index
    %v = tensor.extract %map[%hs, %ws, %k] : tensor<4x4x8xf32>
    %s = arith.addf %in, %v : f32
    linalg.yield %s : f32
  } -> tensor<4x4x8xf32>
  return %r : tensor<4x4x8xf32>
}

// -----

// Two gathers of one chain (a head merge, 2 heads of 4): both read the
// source; unit dims get index 0.
// CHECK-LABEL: func.func @two_gathers_of_one_chain
// CHECK-NOT: linalg.transpose
// CHECK-COUNT-2: tensor.extract %arg0[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] : tensor<1x2x6x4xf32>
func.func @two_gathers_of_one_chain(%heads: tensor<1x2x6x4xf32>) -> tensor<6x8xf32> {
  %init = tensor.empty() : tensor<1x6x2x4xf32>
  %t = linalg.transpose ins(%heads : tensor<1x2x6x4xf32>) outs(%init : tensor<1x6x2x4xf32>) permutation = [0, 2, 1, 3]
  %merged = tensor.collapse_shape %t [[0, 1], [2, 3]] : tensor<1x6x2x4xf32> into tensor<6x8xf32>
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %out = tensor.empty() : tensor<6x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%out : tensor<6x8xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %i1 = arith.addi %i, %c1 : index
    %is = arith.remui %i1, %c6 : index
    %a = tensor.extract %merged[%is, %j] : tensor<6x8xf32>
    %b = tensor.extract %merged[%i, %j] : tensor<6x8xf32>
    %s = arith.subf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<6x8xf32>
  return %r : tensor<6x8xf32>
}

// -----

// Negative: the chain's result is also returned, so the transpose stays
// for that reader; the gather keeps reading it.
// CHECK-LABEL: func.func @no_gather_chain_with_other_reader
// CHECK: %[[T:.+]] = linalg.transpose
// CHECK: tensor.extract %[[T]]
func.func @no_gather_chain_with_other_reader(%x: tensor<2x4x8xf32>) -> (tensor<4x2x8xf32>, tensor<4x2x8xf32>) {
  %init = tensor.empty() : tensor<4x2x8xf32>
  %t = linalg.transpose ins(%x : tensor<2x4x8xf32>) outs(%init : tensor<4x2x8xf32>) permutation = [1, 0, 2]
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %out = tensor.empty() : tensor<4x2x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>], iterator_types = ["parallel", "parallel", "parallel"]} outs(%out : tensor<4x2x8xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %k = linalg.index 2 : index
    %i1 = arith.addi %i, %c1 : index
    %is = arith.remui %i1, %c4 : index
    %v = tensor.extract %t[%is, %j, %k] : tensor<4x2x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x2x8xf32>
  return %r, %t : tensor<4x2x8xf32>, tensor<4x2x8xf32>
}

// -----

// Negative: the transpose moves the source's innermost dim outward; read
// through it, neighbouring gathered elements would be 8 apart in memory.
// CHECK-LABEL: func.func @no_gather_innermost_moved
// CHECK: %[[T:.+]] = linalg.transpose
// CHECK: tensor.extract %[[T]]
func.func @no_gather_innermost_moved(%x: tensor<4x8xf32>) -> tensor<8x4xf32> {
  %init = tensor.empty() : tensor<8x4xf32>
  %t = linalg.transpose ins(%x : tensor<4x8xf32>) outs(%init : tensor<8x4xf32>) permutation = [1, 0]
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %out = tensor.empty() : tensor<8x4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%out : tensor<8x4xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %i1 = arith.addi %i, %c1 : index
    %is = arith.remui %i1, %c8 : index
    %v = tensor.extract %t[%is, %j] : tensor<8x4xf32>
    linalg.yield %v : f32
  } -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

// Negative: a chain that only reshapes is free in IREE; the gather keeps
// reading the reshaped value.
// CHECK-LABEL: func.func @no_gather_reshape_only
// CHECK: %[[E:.+]] = tensor.expand_shape
// CHECK: tensor.extract %[[E]]
func.func @no_gather_reshape_only(%x: tensor<16x8xf32>) -> tensor<4x4x8xf32> {
  %e = tensor.expand_shape %x [[0, 1], [2]] output_shape [4, 4, 8] : tensor<16x8xf32> into tensor<4x4x8xf32>
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %out = tensor.empty() : tensor<4x4x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(h, w, k) -> (h, w, k)>], iterator_types = ["parallel", "parallel", "parallel"]} outs(%out : tensor<4x4x8xf32>) {
  ^bb0(%o: f32):
    %h = linalg.index 0 : index
    %w = linalg.index 1 : index
    %k = linalg.index 2 : index
    %h1 = arith.addi %h, %c1 : index
    %hs = arith.remui %h1, %c4 : index
    %v = tensor.extract %e[%hs, %w, %k] : tensor<4x4x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x4x8xf32>
  return %r : tensor<4x4x8xf32>
}

// -----

// Negative: a chain from a constant is folded by IREE's const-eval.
// CHECK-LABEL: func.func @no_gather_constant_source
// CHECK: %[[T:.+]] = linalg.transpose
// CHECK: tensor.extract %[[T]]
func.func @no_gather_constant_source() -> tensor<2x2x2xf32> {
  %x = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]> : tensor<2x2x2xf32>
  %init = tensor.empty() : tensor<2x2x2xf32>
  %t = linalg.transpose ins(%x : tensor<2x2x2xf32>) outs(%init : tensor<2x2x2xf32>) permutation = [1, 0, 2]
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %out = tensor.empty() : tensor<2x2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, k) -> (a, b, k)>], iterator_types = ["parallel", "parallel", "parallel"]} outs(%out : tensor<2x2x2xf32>) {
  ^bb0(%o: f32):
    %a = linalg.index 0 : index
    %b = linalg.index 1 : index
    %k = linalg.index 2 : index
    %a1 = arith.addi %a, %c1 : index
    %as = arith.remui %a1, %c2 : index
    %v = tensor.extract %t[%as, %b, %k] : tensor<2x2x2xf32>
    linalg.yield %v : f32
  } -> tensor<2x2x2xf32>
  return %r : tensor<2x2x2xf32>
}
