// RUN: smartmem-opt --split-input-file --pass-pipeline="builtin.module(smartmem-concat-slices-to-transpose,smartmem-fold-layout-chains)" %s | FileCheck %s

// Swin patch merging: the four 2x2 phases concatenated along channels.
// Pieces enumerate (h, w) phases as (0,0), (1,0), (0,1), (1,1): w is the major phase.
// CHECK-LABEL: func.func @patch_merging
// CHECK-NOT: tensor.extract_slice
// CHECK-NOT: tensor.concat
// CHECK: %[[E:.+]] = tensor.expand_shape %arg0 {{\[\[}}0], [1, 2], [3, 4], [5]] {{.*}} into tensor<1x2x2x2x2x3xf32>
// CHECK: %[[T:.+]] = linalg.transpose ins(%[[E]] {{.*}} permutation = [0, 1, 3, 4, 2, 5]
// CHECK: tensor.collapse_shape %[[T]] {{\[\[}}0], [1], [2], [3, 4, 5]] {{.*}} into tensor<1x2x2x12xf32>
func.func @patch_merging(%x: tensor<1x4x4x3xf32>) -> tensor<1x2x2x12xf32> {
  %h0 = tensor.extract_slice %x[0, 0, 0, 0] [1, 2, 4, 3] [1, 2, 1, 1] : tensor<1x4x4x3xf32> to tensor<1x2x4x3xf32>
  %a = tensor.extract_slice %h0[0, 0, 0, 0] [1, 2, 2, 3] [1, 1, 2, 1] : tensor<1x2x4x3xf32> to tensor<1x2x2x3xf32>
  %h1 = tensor.extract_slice %x[0, 1, 0, 0] [1, 2, 4, 3] [1, 2, 1, 1] : tensor<1x4x4x3xf32> to tensor<1x2x4x3xf32>
  %b = tensor.extract_slice %h1[0, 0, 0, 0] [1, 2, 2, 3] [1, 1, 2, 1] : tensor<1x2x4x3xf32> to tensor<1x2x2x3xf32>
  %c = tensor.extract_slice %h0[0, 0, 1, 0] [1, 2, 2, 3] [1, 1, 2, 1] : tensor<1x2x4x3xf32> to tensor<1x2x2x3xf32>
  %d = tensor.extract_slice %h1[0, 0, 1, 0] [1, 2, 2, 3] [1, 1, 2, 1] : tensor<1x2x4x3xf32> to tensor<1x2x2x3xf32>
  %r = tensor.concat dim(3) %a, %b, %c, %d : (tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>) -> tensor<1x2x2x12xf32>
  return %r : tensor<1x2x2x12xf32>
}

// -----

// Space-to-depth along one dim, phases in natural order.
// CHECK-LABEL: func.func @one_dim_phases
// CHECK: tensor.expand_shape %arg0 {{\[\[}}0, 1], [2]] {{.*}} into tensor<3x2x5xf32>
// CHECK: linalg.transpose {{.*}} permutation = [0, 1, 2]
// CHECK: tensor.collapse_shape {{.*}} into tensor<3x10xf32>
func.func @one_dim_phases(%x: tensor<6x5xf32>) -> tensor<3x10xf32> {
  %a = tensor.extract_slice %x[0, 0] [3, 5] [2, 1] : tensor<6x5xf32> to tensor<3x5xf32>
  %b = tensor.extract_slice %x[1, 0] [3, 5] [2, 1] : tensor<6x5xf32> to tensor<3x5xf32>
  %r = tensor.concat dim(1) %a, %b : (tensor<3x5xf32>, tensor<3x5xf32>) -> tensor<3x10xf32>
  return %r : tensor<3x10xf32>
}

// -----

// A cyclic shift (roll) is a concat of unstrided slices: not a phase split.
// CHECK-LABEL: func.func @no_rewrite_roll_unstrided
// CHECK: tensor.concat
// CHECK-NOT: linalg.transpose
func.func @no_rewrite_roll_unstrided(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %a = tensor.extract_slice %x[3, 0] [5, 4] [1, 1] : tensor<8x4xf32> to tensor<5x4xf32>
  %b = tensor.extract_slice %x[0, 0] [3, 4] [1, 1] : tensor<8x4xf32> to tensor<3x4xf32>
  %r = tensor.concat dim(0) %a, %b : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

// A phase repeated (and one missing): not a permutation of the data.
// CHECK-LABEL: func.func @no_rewrite_repeated_phase
// CHECK: tensor.concat
// CHECK-NOT: linalg.transpose
func.func @no_rewrite_repeated_phase(%x: tensor<6x5xf32>) -> tensor<3x10xf32> {
  %a = tensor.extract_slice %x[0, 0] [3, 5] [2, 1] : tensor<6x5xf32> to tensor<3x5xf32>
  %r = tensor.concat dim(1) %a, %a : (tensor<3x5xf32>, tensor<3x5xf32>) -> tensor<3x10xf32>
  return %r : tensor<3x10xf32>
}

// -----

// Pieces from two different tensors.
// CHECK-LABEL: func.func @no_rewrite_two_sources
// CHECK: tensor.concat
func.func @no_rewrite_two_sources(%x: tensor<6x5xf32>, %y: tensor<6x5xf32>) -> tensor<3x10xf32> {
  %a = tensor.extract_slice %x[0, 0] [3, 5] [2, 1] : tensor<6x5xf32> to tensor<3x5xf32>
  %b = tensor.extract_slice %y[1, 0] [3, 5] [2, 1] : tensor<6x5xf32> to tensor<3x5xf32>
  %r = tensor.concat dim(1) %a, %b : (tensor<3x5xf32>, tensor<3x5xf32>) -> tensor<3x10xf32>
  return %r : tensor<3x10xf32>
}

// -----

// Patch merging in front of a channel reduction (LayerNorm's mean): the
// channel loop would be split into (phase w, phase h, channel), which IREE's
// SPIR-V reduction codegen miscompiles, so the reduction keeps reading the
// merged tensor (the rewritten chain stays; split_reductions=true opts in).
// CHECK-LABEL: func.func @patch_merging_into_channel_sum
// CHECK: linalg.transpose
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
func.func @patch_merging_into_channel_sum(%x: tensor<1x4x4x3xf32>) -> tensor<1x2x2xf32> {
  %h0 = tensor.extract_slice %x[0, 0, 0, 0] [1, 2, 4, 3] [1, 2, 1, 1] : tensor<1x4x4x3xf32> to tensor<1x2x4x3xf32>
  %a = tensor.extract_slice %h0[0, 0, 0, 0] [1, 2, 2, 3] [1, 1, 2, 1] : tensor<1x2x4x3xf32> to tensor<1x2x2x3xf32>
  %h1 = tensor.extract_slice %x[0, 1, 0, 0] [1, 2, 4, 3] [1, 2, 1, 1] : tensor<1x4x4x3xf32> to tensor<1x2x4x3xf32>
  %b = tensor.extract_slice %h1[0, 0, 0, 0] [1, 2, 2, 3] [1, 1, 2, 1] : tensor<1x2x4x3xf32> to tensor<1x2x2x3xf32>
  %c = tensor.extract_slice %h0[0, 0, 1, 0] [1, 2, 2, 3] [1, 1, 2, 1] : tensor<1x2x4x3xf32> to tensor<1x2x2x3xf32>
  %d = tensor.extract_slice %h1[0, 0, 1, 0] [1, 2, 2, 3] [1, 1, 2, 1] : tensor<1x2x4x3xf32> to tensor<1x2x2x3xf32>
  %r = tensor.concat dim(3) %a, %b, %c, %d : (tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>) -> tensor<1x2x2x12xf32>
  %zero = arith.constant 0.0 : f32
  %o = tensor.empty() : tensor<1x2x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<1x2x2xf32>) -> tensor<1x2x2xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%r : tensor<1x2x2x12xf32>) outs(%acc : tensor<1x2x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %sum = arith.addf %in, %out : f32
    linalg.yield %sum : f32
  } -> tensor<1x2x2xf32>
  return %s : tensor<1x2x2xf32>
}
