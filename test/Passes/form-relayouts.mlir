// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-form-relayouts)' %s | FileCheck %s
// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-form-relayouts)' %s -o %t.once.mlir
// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-form-relayouts,smartmem-form-relayouts)' %s -o %t.twice.mlir
// RUN: diff %t.once.mlir %t.twice.mlir

// Swin window partition (a 4x4 image of 2x2 windows): the source is
// reshaped to its atoms (the unit batch dim dropped: collapse, then expand),
// one relayout swaps the window-column and row atoms and reads the result
// as (window, position, channel).
// CHECK-LABEL: func.func @window_partition
// CHECK-NOT: linalg.transpose
// CHECK: %[[C:.+]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<1x16x4xf32> into tensor<16x4xf32>
// CHECK: %[[F:.+]] = tensor.expand_shape %[[C]] {{\[}}[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 4]
// CHECK: %[[R:.+]] = "smartmem.relayout"(%[[F]]) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>} : (tensor<2x2x2x2x4xf32>) -> tensor<4x4x4xf32>
// CHECK: return %[[R]]
func.func @window_partition(%x: tensor<1x16x4xf32>) -> tensor<4x4x4xf32> {
  %e = tensor.expand_shape %x [[0], [1, 2, 3, 4], [5]] output_shape [1, 2, 2, 2, 2, 4] : tensor<1x16x4xf32> into tensor<1x2x2x2x2x4xf32>
  %i = tensor.empty() : tensor<1x2x2x2x2x4xf32>
  %t = linalg.transpose ins(%e : tensor<1x2x2x2x2x4xf32>) outs(%i : tensor<1x2x2x2x2x4xf32>) permutation = [0, 1, 3, 2, 4, 5]
  %v = tensor.collapse_shape %t [[0, 1, 2], [3, 4], [5]] : tensor<1x2x2x2x2x4xf32> into tensor<4x4x4xf32>
  return %v : tensor<4x4x4xf32>
}

// -----

// Swin window reverse, up to the reshape that adds the batch dim: the whole
// run is one relayout whose result type has the unit dim.
// CHECK-LABEL: func.func @window_reverse
// CHECK: %[[F:.+]] = tensor.expand_shape %arg0 {{\[}}[0, 1], [2, 3], [4]] output_shape [2, 2, 2, 2, 4]
// CHECK: %[[R:.+]] = "smartmem.relayout"(%[[F]]) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>} : (tensor<2x2x2x2x4xf32>) -> tensor<1x16x4xf32>
// CHECK-NOT: tensor.expand_shape
// CHECK: return %[[R]]
func.func @window_reverse(%y: tensor<4x4x4xf32>) -> tensor<1x16x4xf32> {
  %e = tensor.expand_shape %y [[0, 1], [2, 3], [4]] output_shape [2, 2, 2, 2, 4] : tensor<4x4x4xf32> into tensor<2x2x2x2x4xf32>
  %i = tensor.empty() : tensor<2x2x2x2x4xf32>
  %t = linalg.transpose ins(%e : tensor<2x2x2x2x4xf32>) outs(%i : tensor<2x2x2x2x4xf32>) permutation = [0, 2, 1, 3, 4]
  %v = tensor.collapse_shape %t [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x4xf32> into tensor<16x4xf32>
  %r = tensor.expand_shape %v [[0, 1], [2]] output_shape [1, 16, 4] : tensor<16x4xf32> into tensor<1x16x4xf32>
  return %r : tensor<1x16x4xf32>
}

// -----

// Attention head split: (token, head, d) -> (head, token, d).
// CHECK-LABEL: func.func @head_split
// CHECK: %[[F:.+]] = tensor.expand_shape %arg0 {{\[}}[0], [1, 2]] output_shape [8, 3, 4]
// CHECK: "smartmem.relayout"(%[[F]]) {layout = #smartmem.layout<array<i64: 1, 0, 2>, array<i64>>} : (tensor<8x3x4xf32>) -> tensor<3x8x4xf32>
// CHECK-NOT: tensor.empty
func.func @head_split(%q: tensor<8x12xf32>) -> tensor<3x8x4xf32> {
  %e = tensor.expand_shape %q [[0], [1, 2]] output_shape [8, 3, 4] : tensor<8x12xf32> into tensor<8x3x4xf32>
  %i = tensor.empty() : tensor<3x8x4xf32>
  %t = linalg.transpose ins(%e : tensor<8x3x4xf32>) outs(%i : tensor<3x8x4xf32>) permutation = [1, 0, 2]
  return %t : tensor<3x8x4xf32>
}

// -----

// Two transposes compose into one permutation; no reshape is needed.
// CHECK-LABEL: func.func @transposes_compose
// CHECK-NEXT: %[[R:.+]] = "smartmem.relayout"(%arg0) {layout = #smartmem.layout<array<i64: 2, 0, 1>, array<i64>>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NEXT: return %[[R]]
func.func @transposes_compose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %i = tensor.empty() : tensor<3x2x4xf32>
  %a = linalg.transpose ins(%x : tensor<2x3x4xf32>) outs(%i : tensor<3x2x4xf32>) permutation = [1, 0, 2]
  %j = tensor.empty() : tensor<4x2x3xf32>
  %b = linalg.transpose ins(%a : tensor<3x2x4xf32>) outs(%j : tensor<4x2x3xf32>) permutation = [2, 1, 0]
  return %b : tensor<4x2x3xf32>
}

// -----

// Inverse transposes cancel: the chain is an identity of atoms and becomes
// a plain reshape.
// CHECK-LABEL: func.func @inverse_transposes_cancel
// CHECK-NEXT: %[[C:.+]] = tensor.collapse_shape %arg0 {{\[}}[0, 1]] : tensor<4x6xf32> into tensor<24xf32>
// CHECK-NEXT: return %[[C]]
func.func @inverse_transposes_cancel(%x: tensor<4x6xf32>) -> tensor<24xf32> {
  %i = tensor.empty() : tensor<6x4xf32>
  %a = linalg.transpose ins(%x : tensor<4x6xf32>) outs(%i : tensor<6x4xf32>) permutation = [1, 0]
  %j = tensor.empty() : tensor<4x6xf32>
  %b = linalg.transpose ins(%a : tensor<6x4xf32>) outs(%j : tensor<4x6xf32>) permutation = [1, 0]
  %c = tensor.collapse_shape %b [[0, 1]] : tensor<4x6xf32> into tensor<24xf32>
  return %c : tensor<24xf32>
}

// -----

// A window partition read by two reshapes (Q and K/V projections): the
// chain is cut at the shared permuted value, which stays one value (its
// producer may write it once); the readers' reshapes stay.
// CHECK-LABEL: func.func @shared_partition
// CHECK: %[[R:.+]] = "smartmem.relayout"(%{{.+}}) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>} : (tensor<2x2x2x2x4xf32>) -> tensor<2x2x2x2x4xf32>
// CHECK: tensor.collapse_shape %[[R]] {{\[}}[0, 1, 2, 3], [4]]
// CHECK: tensor.collapse_shape %[[R]] {{\[}}[0, 1], [2, 3], [4]]
func.func @shared_partition(%x: tensor<16x4xf32>) -> (tensor<16x4xf32>, tensor<4x4x4xf32>) {
  %e = tensor.expand_shape %x [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 4] : tensor<16x4xf32> into tensor<2x2x2x2x4xf32>
  %i = tensor.empty() : tensor<2x2x2x2x4xf32>
  %t = linalg.transpose ins(%e : tensor<2x2x2x2x4xf32>) outs(%i : tensor<2x2x2x2x4xf32>) permutation = [0, 2, 1, 3, 4]
  %a = tensor.collapse_shape %t [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x4xf32> into tensor<16x4xf32>
  %b = tensor.collapse_shape %t [[0, 1], [2, 3], [4]] : tensor<2x2x2x2x4xf32> into tensor<4x4x4xf32>
  return %a, %b : tensor<16x4xf32>, tensor<4x4x4xf32>
}

// -----

// The K part of a fused QKV projection, then a head split: a chain starting
// with a slice is refused; the slice, the reshape and the transpose stay.
// CHECK-LABEL: func.func @no_form_slice_first
// CHECK: tensor.extract_slice
// CHECK: tensor.expand_shape
// CHECK: linalg.transpose
// CHECK-NOT: smartmem.relayout
func.func @no_form_slice_first(%qkv: tensor<4x24xf32>) -> tensor<2x4x4xf32> {
  %s = tensor.extract_slice %qkv[0, 8] [4, 8] [1, 1] : tensor<4x24xf32> to tensor<4x8xf32>
  %e = tensor.expand_shape %s [[0], [1, 2]] output_shape [4, 2, 4] : tensor<4x8xf32> into tensor<4x2x4xf32>
  %i = tensor.empty() : tensor<2x4x4xf32>
  %t = linalg.transpose ins(%e : tensor<4x2x4xf32>) outs(%i : tensor<2x4x4xf32>) permutation = [1, 0, 2]
  return %t : tensor<2x4x4xf32>
}

// -----

// Reshapes only: left as they are (no relayout, no new reshapes).
// CHECK-LABEL: func.func @no_form_reshape_only
// CHECK-NEXT: tensor.collapse_shape %arg0 {{\[}}[0, 1]] : tensor<2x8xf32> into tensor<16xf32>
// CHECK-NEXT: tensor.expand_shape
// CHECK-NEXT: return
func.func @no_form_reshape_only(%x: tensor<2x8xf32>) -> tensor<4x4xf32> {
  %c = tensor.collapse_shape %x [[0, 1]] : tensor<2x8xf32> into tensor<16xf32>
  %e = tensor.expand_shape %c [[0, 1]] output_shape [4, 4] : tensor<16xf32> into tensor<4x4xf32>
  return %e : tensor<4x4xf32>
}

// -----

// 2x3 regrouped as 3x2 (mixed radix) has no atoms: those reshapes stay, the
// transpose after them is formed on its own.
// CHECK-LABEL: func.func @no_form_mixed_radix_prefix
// CHECK: %[[C:.+]] = tensor.collapse_shape %arg0
// CHECK: %[[E:.+]] = tensor.expand_shape %[[C]] {{\[}}[0, 1]] output_shape [3, 2]
// CHECK: "smartmem.relayout"(%[[E]]) {layout = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
func.func @no_form_mixed_radix_prefix(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %c = tensor.collapse_shape %x [[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
  %e = tensor.expand_shape %c [[0, 1]] output_shape [3, 2] : tensor<6xf32> into tensor<3x2xf32>
  %i = tensor.empty() : tensor<2x3xf32>
  %t = linalg.transpose ins(%e : tensor<3x2xf32>) outs(%i : tensor<2x3xf32>) permutation = [1, 0]
  return %t : tensor<2x3xf32>
}

// -----

// A transpose-like linalg.generic is a chain op too.
// CHECK-LABEL: func.func @transpose_generic
// CHECK-NOT: linalg.generic
// CHECK: "smartmem.relayout"(%arg0) {layout = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<4x6xf32>) -> tensor<6x4xf32>
func.func @transpose_generic(%x: tensor<4x6xf32>) -> tensor<6x4xf32> {
  %i = tensor.empty() : tensor<6x4xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x6xf32>) outs(%i : tensor<6x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<6x4xf32>
  return %t : tensor<6x4xf32>
}
