// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-fold-rolls)' %s | FileCheck %s

// Swin's forward cyclic shift after LayerNorm's last elementwise op: the
// producer computes the rolled tensor, gathering its rolled input.
// CHECK-LABEL: func.func @roll_into_producer
// CHECK-NOT: tensor.concat
// CHECK-NOT: tensor.extract_slice
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<4xf32>) outs({{.*}} : tensor<1x8x8x4xf32>)
// CHECK: %[[H:.+]] = linalg.index 1
// CHECK: %[[HS:.+]] = arith.addi %[[H]], %{{.+}} : index
// CHECK: arith.remui %[[HS]]
// CHECK: tensor.extract %arg0
// CHECK: arith.mulf
func.func @roll_into_producer(%x: tensor<1x64x4xf32>, %g: tensor<4xf32>) -> tensor<1x8x8x4xf32> {
  %o = tensor.empty() : tensor<1x64x4xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %g : tensor<1x64x4xf32>, tensor<4xf32>) outs(%o : tensor<1x64x4xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.mulf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x64x4xf32>
  %e = tensor.expand_shape %p [[0], [1, 2], [3]] output_shape [1, 8, 8, 4] : tensor<1x64x4xf32> into tensor<1x8x8x4xf32>
  %a1 = tensor.extract_slice %e[0, 3, 0, 0] [1, 5, 8, 4] [1, 1, 1, 1] : tensor<1x8x8x4xf32> to tensor<1x5x8x4xf32>
  %b1 = tensor.extract_slice %e[0, 0, 0, 0] [1, 3, 8, 4] [1, 1, 1, 1] : tensor<1x8x8x4xf32> to tensor<1x3x8x4xf32>
  %c1 = tensor.concat dim(1) %a1, %b1 : (tensor<1x5x8x4xf32>, tensor<1x3x8x4xf32>) -> tensor<1x8x8x4xf32>
  %a2 = tensor.extract_slice %c1[0, 0, 3, 0] [1, 8, 5, 4] [1, 1, 1, 1] : tensor<1x8x8x4xf32> to tensor<1x8x5x4xf32>
  %b2 = tensor.extract_slice %c1[0, 0, 0, 0] [1, 8, 3, 4] [1, 1, 1, 1] : tensor<1x8x8x4xf32> to tensor<1x8x3x4xf32>
  %c2 = tensor.concat dim(2) %a2, %b2 : (tensor<1x8x5x4xf32>, tensor<1x8x3x4xf32>) -> tensor<1x8x8x4xf32>
  return %c2 : tensor<1x8x8x4xf32>
}

// -----

// The reverse shift in front of the residual: the consumer gathers the
// rolled operand (its flattened index is split back into H and W first).
// CHECK-LABEL: func.func @reverse_roll_into_consumer
// CHECK-NOT: tensor.concat
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<1x64x4xf32>)
// CHECK: arith.divui
// CHECK: arith.remui
// CHECK: tensor.extract %arg0
// CHECK: arith.subf
func.func @reverse_roll_into_consumer(%y: tensor<1x8x8x4xf32>, %res: tensor<1x64x4xf32>) -> tensor<1x64x4xf32> {
  %a1 = tensor.extract_slice %y[0, 5, 0, 0] [1, 3, 8, 4] [1, 1, 1, 1] : tensor<1x8x8x4xf32> to tensor<1x3x8x4xf32>
  %b1 = tensor.extract_slice %y[0, 0, 0, 0] [1, 5, 8, 4] [1, 1, 1, 1] : tensor<1x8x8x4xf32> to tensor<1x5x8x4xf32>
  %c1 = tensor.concat dim(1) %a1, %b1 : (tensor<1x3x8x4xf32>, tensor<1x5x8x4xf32>) -> tensor<1x8x8x4xf32>
  %a2 = tensor.extract_slice %c1[0, 0, 5, 0] [1, 8, 3, 4] [1, 1, 1, 1] : tensor<1x8x8x4xf32> to tensor<1x8x3x4xf32>
  %b2 = tensor.extract_slice %c1[0, 0, 0, 0] [1, 8, 5, 4] [1, 1, 1, 1] : tensor<1x8x8x4xf32> to tensor<1x8x5x4xf32>
  %c2 = tensor.concat dim(2) %a2, %b2 : (tensor<1x8x3x4xf32>, tensor<1x8x5x4xf32>) -> tensor<1x8x8x4xf32>
  %f = tensor.collapse_shape %c2 [[0], [1, 2], [3]] : tensor<1x8x8x4xf32> into tensor<1x64x4xf32>
  %o = tensor.empty() : tensor<1x64x4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%res, %f : tensor<1x64x4xf32>, tensor<1x64x4xf32>) outs(%o : tensor<1x64x4xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.subf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x64x4xf32>
  return %r : tensor<1x64x4xf32>
}

// -----

// A rolled tensor read by a contraction keeps its copy: a gather inside a
// contraction would no longer be codegen'd as one.
// CHECK-LABEL: func.func @no_fold_roll_into_contraction
// CHECK: tensor.concat
// CHECK: linalg.matmul
func.func @no_fold_roll_into_contraction(%x: tensor<8x4xf32>, %w: tensor<4x4xf32>) -> tensor<8x4xf32> {
  %a = tensor.extract_slice %x[3, 0] [5, 4] [1, 1] : tensor<8x4xf32> to tensor<5x4xf32>
  %b = tensor.extract_slice %x[0, 0] [3, 4] [1, 1] : tensor<8x4xf32> to tensor<3x4xf32>
  %r = tensor.concat dim(0) %a, %b : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %o = tensor.empty() : tensor<8x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  %m = linalg.matmul ins(%r, %w : tensor<8x4xf32>, tensor<4x4xf32>) outs(%acc : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %m : tensor<8x4xf32>
}

// -----

// Two halves that do not wrap around (offset 2 then 0, sizes 2 and 4 of 8 rows): no rotation.
// CHECK-LABEL: func.func @no_fold_not_a_rotation
// CHECK: tensor.concat
func.func @no_fold_not_a_rotation(%x: tensor<8x4xf32>, %y: tensor<6x4xf32>) -> tensor<6x4xf32> {
  %a = tensor.extract_slice %x[2, 0] [2, 4] [1, 1] : tensor<8x4xf32> to tensor<2x4xf32>
  %b = tensor.extract_slice %x[0, 0] [4, 4] [1, 1] : tensor<8x4xf32> to tensor<4x4xf32>
  %r = tensor.concat dim(0) %a, %b : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<6x4xf32>
  %o = tensor.empty() : tensor<6x4xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%r, %y : tensor<6x4xf32>, tensor<6x4xf32>) outs(%o : tensor<6x4xf32>) {
  ^bb0(%p: f32, %q: f32, %out: f32):
    %t = arith.addf %p, %q : f32
    linalg.yield %t : f32
  } -> tensor<6x4xf32>
  return %s : tensor<6x4xf32>
}
