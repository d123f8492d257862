// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-materialize-relayouts)' %s | FileCheck %s

// Swin window partition as smartmem-form-relayouts writes it: a transpose
// of the atoms, then a collapse to the result type.
// CHECK-LABEL: func.func @window_partition
// CHECK-NOT: smartmem.relayout
// CHECK: %[[F:.+]] = tensor.expand_shape %arg0 {{\[}}[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 4]
// CHECK: %[[I:.+]] = tensor.empty() : tensor<2x2x2x2x4xf32>
// CHECK: %[[T:.+]] = linalg.transpose ins(%[[F]] : tensor<2x2x2x2x4xf32>) outs(%[[I]] : tensor<2x2x2x2x4xf32>) permutation = [0, 2, 1, 3, 4]
// CHECK: %[[C:.+]] = tensor.collapse_shape %[[T]] {{\[}}[0, 1], [2, 3], [4]] : tensor<2x2x2x2x4xf32> into tensor<4x4x4xf32>
// CHECK: return %[[C]]
func.func @window_partition(%x: tensor<16x4xf32>) -> tensor<4x4x4xf32> {
  %f = tensor.expand_shape %x [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 4] : tensor<16x4xf32> into tensor<2x2x2x2x4xf32>
  %r = "smartmem.relayout"(%f) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>} : (tensor<2x2x2x2x4xf32>) -> tensor<4x4x4xf32>
  return %r : tensor<4x4x4xf32>
}

// -----

// Swin window reverse into a result with a unit batch dim: transpose,
// collapse, then an expand for the unit dim.
// CHECK-LABEL: func.func @window_reverse
// CHECK: %[[T:.+]] = linalg.transpose ins(%{{.+}} : tensor<2x2x2x2x4xf32>) {{.*}} permutation = [0, 2, 1, 3, 4]
// CHECK: %[[C:.+]] = tensor.collapse_shape %[[T]] {{\[}}[0, 1, 2, 3], [4]] : tensor<2x2x2x2x4xf32> into tensor<16x4xf32>
// CHECK: %[[E:.+]] = tensor.expand_shape %[[C]] {{\[}}[0, 1], [2]] output_shape [1, 16, 4] : tensor<16x4xf32> into tensor<1x16x4xf32>
// CHECK: return %[[E]]
func.func @window_reverse(%y: tensor<4x4x4xf32>) -> tensor<1x16x4xf32> {
  %f = tensor.expand_shape %y [[0, 1], [2, 3], [4]] output_shape [2, 2, 2, 2, 4] : tensor<4x4x4xf32> into tensor<2x2x2x2x4xf32>
  %r = "smartmem.relayout"(%f) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>} : (tensor<2x2x2x2x4xf32>) -> tensor<1x16x4xf32>
  return %r : tensor<1x16x4xf32>
}

// -----

// Head split: the result is the permuted operand, no reshape.
// CHECK-LABEL: func.func @head_split
// CHECK: %[[T:.+]] = linalg.transpose ins(%{{.+}} : tensor<8x3x4xf32>) {{.*}} permutation = [1, 0, 2]
// CHECK-NEXT: return %[[T]]
func.func @head_split(%q: tensor<8x12xf32>) -> tensor<3x8x4xf32> {
  %f = tensor.expand_shape %q [[0], [1, 2]] output_shape [8, 3, 4] : tensor<8x12xf32> into tensor<8x3x4xf32>
  %r = "smartmem.relayout"(%f) {layout = #smartmem.layout<array<i64: 1, 0, 2>, array<i64>>} : (tensor<8x3x4xf32>) -> tensor<3x8x4xf32>
  return %r : tensor<3x8x4xf32>
}

// -----

// An identity layout is a reshape only.
// CHECK-LABEL: func.func @identity_is_reshape
// CHECK-NOT: linalg.transpose
// CHECK: %[[C:.+]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK-NEXT: return %[[C]]
func.func @identity_is_reshape(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  %r = "smartmem.relayout"(%x) {layout = #smartmem.layout<array<i64: 0, 1, 2>, array<i64>>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  return %r : tensor<6x4xf32>
}

// -----

// A result that does not group the permuted dims contiguously (6x4 read as
// 4x6) goes through a rank-1 tensor.
// CHECK-LABEL: func.func @non_contiguous_result
// CHECK: %[[T:.+]] = linalg.transpose ins(%arg0 : tensor<4x6xf32>) {{.*}} permutation = [1, 0]
// CHECK: %[[C:.+]] = tensor.collapse_shape %[[T]] {{\[}}[0, 1]] : tensor<6x4xf32> into tensor<24xf32>
// CHECK: %[[E:.+]] = tensor.expand_shape %[[C]] {{\[}}[0, 1]] output_shape [4, 6] : tensor<24xf32> into tensor<4x6xf32>
// CHECK: return %[[E]]
func.func @non_contiguous_result(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %r = "smartmem.relayout"(%x) {layout = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<4x6xf32>) -> tensor<4x6xf32>
  return %r : tensor<4x6xf32>
}

// -----

// Relayouts in a row are lowered one by one (canonicalize may then compose
// the transposes).
// CHECK-LABEL: func.func @relayouts_in_a_row
// CHECK-COUNT-2: linalg.transpose
// CHECK-NOT: smartmem.relayout
func.func @relayouts_in_a_row(%x: tensor<2x3x4xf32>) -> tensor<2x4x3xf32> {
  %a = "smartmem.relayout"(%x) {layout = #smartmem.layout<array<i64: 2, 0, 1>, array<i64>>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %b = "smartmem.relayout"(%a) {layout = #smartmem.layout<array<i64: 1, 0, 2>, array<i64>>} : (tensor<4x2x3xf32>) -> tensor<2x4x3xf32>
  return %b : tensor<2x4x3xf32>
}
