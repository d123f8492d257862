// RUN: smartmem-opt %s --split-input-file --smartmem-classify | FileCheck %s
// Edge cases of classifying linalg.generic by its maps and body.

// Two results, one of them an index: still a reduction (softmax's max/argmax).
// CHECK-LABEL: func.func @multi_result_reduction
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "variable">
func.func @multi_result_reduction(%x: tensor<4x16xf32>, %m: tensor<4xf32>, %i: tensor<4xi64>) -> (tensor<4xf32>, tensor<4xi64>) {
  %0:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x16xf32>) outs(%m, %i : tensor<4xf32>, tensor<4xi64>) {
  ^bb0(%in: f32, %max: f32, %arg: i64):
    %j = linalg.index 1 : index
    %jj = arith.index_cast %j : index to i64
    %gt = arith.cmpf ogt, %in, %max : f32
    %nm = arith.select %gt, %in, %max : f32
    %ni = arith.select %gt, %jj, %arg : i64
    linalg.yield %nm, %ni : f32, i64
  } -> (tensor<4xf32>, tensor<4xi64>)
  return %0#0, %0#1 : tensor<4xf32>, tensor<4xi64>
}

// -----

// A copy with two results, one of them transposed: it reorders dims.
// CHECK-LABEL: func.func @multi_result_copy_with_a_transpose
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
func.func @multi_result_copy_with_a_transpose(%x: tensor<4x16xf32>, %a: tensor<4x16xf32>, %b: tensor<16x4xf32>) -> (tensor<4x16xf32>, tensor<16x4xf32>) {
  %0:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1, d0)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x16xf32>) outs(%a, %b : tensor<4x16xf32>, tensor<16x4xf32>) {
  ^bb0(%in: f32, %o1: f32, %o2: f32):
    linalg.yield %in, %in : f32, f32
  } -> (tensor<4x16xf32>, tensor<16x4xf32>)
  return %0#0, %0#1 : tensor<4x16xf32>, tensor<16x4xf32>
}

// -----

// Yielding a scalar operand everywhere is a fill; computing from indices only (iota) is elementwise.
// CHECK-LABEL: func.func @fill_and_iota_generics
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "variable">
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "variable">
func.func @fill_and_iota_generics(%v: f32, %out: tensor<4x16xf32>, %iota: tensor<16xi64>) -> (tensor<4x16xf32>, tensor<16xi64>) {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%v : f32) outs(%out : tensor<4x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<4x16xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%iota : tensor<16xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %c = arith.index_cast %i : index to i64
    linalg.yield %c : i64
  } -> tensor<16xi64>
  return %0, %1 : tensor<4x16xf32>, tensor<16xi64>
}

// -----

// A transpose that also broadcasts a new leading dim: it reorders dims.
// CHECK-LABEL: func.func @broadcasting_transpose
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
func.func @broadcasting_transpose(%x: tensor<4x16xf32>, %out: tensor<2x16x4xf32>) -> tensor<2x16x4xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<4x16xf32>) outs(%out : tensor<2x16x4xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<2x16x4xf32>
  return %0 : tensor<2x16x4xf32>
}

// -----

// A reversal reads through `15 - d0`: it selects, it does not compute.
// CHECK-LABEL: func.func @reversing_copy
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
func.func @reversing_copy(%x: tensor<16xf32>, %out: tensor<16xf32>) -> tensor<16xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0) -> (15 - d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<16xf32>) outs(%out : tensor<16xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

// The same computation on buffers has no tensor result to lay out: untagged.
// CHECK-LABEL: func.func @no_tag_on_buffers
// CHECK-NOT: smartmem.op_class
// CHECK: return
func.func @no_tag_on_buffers(%x: memref<4x16xf32>, %y: memref<4x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return
}
