// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-unbatch-broadcast-matmuls)' %s | FileCheck %s

#weight = affine_map<(d0, d1, d2) -> (d1, d2)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// ONNX MatMul of [2, 3, 4] by a [4, 5] weight, as the importer writes it:
// the weight broadcast over the batch and a batch matmul. It becomes one
// matmul over the 6 rows; the broadcast goes.
// CHECK-LABEL: func.func @broadcast_weight
// CHECK: %[[X:.+]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: %[[ACC:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<6x5xf32>)
// CHECK: %[[Y:.+]] = linalg.matmul ins(%[[X]], %arg1 : tensor<6x4xf32>, tensor<4x5xf32>) outs(%[[ACC]] : tensor<6x5xf32>)
// CHECK: %[[R:.+]] = tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [2, 3, 5] : tensor<6x5xf32> into tensor<2x3x5xf32>
// CHECK-NOT: linalg.batch_matmul
// CHECK: return %[[R]]
func.func @broadcast_weight(%x: tensor<2x3x4xf32>, %w: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  %zero = arith.constant 0.0 : f32
  %eb = tensor.empty() : tensor<2x4x5xf32>
  %wb = linalg.generic {indexing_maps = [#weight, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%w : tensor<4x5xf32>) outs(%eb : tensor<2x4x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x4x5xf32>
  %e = tensor.empty() : tensor<2x3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %y = linalg.batch_matmul ins(%x, %wb : tensor<2x3x4xf32>, tensor<2x4x5xf32>) outs(%f : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

// Negative: a right-hand side that differs across the batch (attention's
// P x V) stays a batch matmul.
// CHECK-LABEL: func.func @batched_weights_kept
// CHECK: linalg.batch_matmul
func.func @batched_weights_kept(%x: tensor<2x3x4xf32>, %w: tensor<2x4x5xf32>) -> tensor<2x3x5xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %y = linalg.batch_matmul ins(%x, %w : tensor<2x3x4xf32>, tensor<2x4x5xf32>) outs(%f : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

#weight = affine_map<(d0, d1, d2) -> (d1, d2)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// Negative: the matmul accumulates into a computed tensor (not a fill),
// which would have to be reshaped too.
// CHECK-LABEL: func.func @accumulating_kept
// CHECK: linalg.batch_matmul
func.func @accumulating_kept(%x: tensor<2x3x4xf32>, %w: tensor<4x5xf32>, %acc: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  %eb = tensor.empty() : tensor<2x4x5xf32>
  %wb = linalg.generic {indexing_maps = [#weight, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%w : tensor<4x5xf32>) outs(%eb : tensor<2x4x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x4x5xf32>
  %y = linalg.batch_matmul ins(%x, %wb : tensor<2x3x4xf32>, tensor<2x4x5xf32>) outs(%acc : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// Negative: a "broadcast" that computes (scales the weight) is not the same
// matrix read in every batch as it is.
// CHECK-LABEL: func.func @computed_broadcast_kept
// CHECK: linalg.batch_matmul
func.func @computed_broadcast_kept(%x: tensor<2x3x4xf32>, %w: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  %zero = arith.constant 0.0 : f32
  %eb = tensor.empty() : tensor<2x4x5xf32>
  %wb = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d2)>, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%w : tensor<4x5xf32>) outs(%eb : tensor<2x4x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<2x4x5xf32>
  %e = tensor.empty() : tensor<2x3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %y = linalg.batch_matmul ins(%x, %wb : tensor<2x3x4xf32>, tensor<2x4x5xf32>) outs(%f : tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

#weight = affine_map<(d0, d1, d2) -> (d1, d2)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// Negative: a dynamic batch (the rows of the one matmul would be a product
// of a dynamic and a static size).
// CHECK-LABEL: func.func @dynamic_batch_kept
// CHECK: linalg.batch_matmul
func.func @dynamic_batch_kept(%x: tensor<?x3x4xf32>, %w: tensor<4x5xf32>) -> tensor<?x3x5xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %b = tensor.dim %x, %c0 : tensor<?x3x4xf32>
  %eb = tensor.empty(%b) : tensor<?x4x5xf32>
  %wb = linalg.generic {indexing_maps = [#weight, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%w : tensor<4x5xf32>) outs(%eb : tensor<?x4x5xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x4x5xf32>
  %e = tensor.empty(%b) : tensor<?x3x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x3x5xf32>) -> tensor<?x3x5xf32>
  %y = linalg.batch_matmul ins(%x, %wb : tensor<?x3x4xf32>, tensor<?x4x5xf32>) outs(%f : tensor<?x3x5xf32>) -> tensor<?x3x5xf32>
  return %y : tensor<?x3x5xf32>
}
