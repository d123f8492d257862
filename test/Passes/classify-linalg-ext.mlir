// RUN: smartmem-opt %s --split-input-file --smartmem-classify | FileCheck %s
// IREE's own structured ops (iree_linalg_ext), as produced by its frontends
// and by global optimization: the same four groups.

// Attention reduces over the keys: ILD & variable.
// CHECK-LABEL: func.func @attention
// CHECK: iree_linalg_ext.attention {{.*}}{smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
// CHECK-NOT: iree_linalg_ext.yield {{.*}}smartmem.op_class
func.func @attention(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>, %s: f32, %o: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %0 = iree_linalg_ext.attention <{indexing_maps = [affine_map<(b, m, n, k1, k2) -> (b, m, k1)>, affine_map<(b, m, n, k1, k2) -> (b, k2, k1)>, affine_map<(b, m, n, k1, k2) -> (b, k2, n)>, affine_map<(b, m, n, k1, k2) -> ()>, affine_map<(b, m, n, k1, k2) -> (b, m, n)>]}> ins(%q, %k, %v, %s : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>, f32) outs(%o : tensor<2x8x16xf32>) {
  ^bb0(%arg: f32):
    iree_linalg_ext.yield %arg : f32
  } -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// -----

// Scans and sorts walk one dimension: ILD & variable.
// CHECK-LABEL: func.func @scan_and_sort
// CHECK: iree_linalg_ext.scan {{.*}}{smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
// CHECK: iree_linalg_ext.sort {{.*}}{smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
func.func @scan_and_sort(%x: tensor<4x16xf32>, %out: tensor<4x16xf32>, %acc: tensor<4xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %0:2 = iree_linalg_ext.scan dimension(1) inclusive(true) ins(%x : tensor<4x16xf32>) outs(%out, %acc : tensor<4x16xf32>, tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    iree_linalg_ext.yield %s : f32
  } -> tensor<4x16xf32>, tensor<4xf32>
  %1 = iree_linalg_ext.sort dimension(1) outs(%x : tensor<4x16xf32>) {
  ^bb0(%a: f32, %b: f32):
    %c = arith.cmpf olt, %a, %b : f32
    iree_linalg_ext.yield %c : i1
  } -> tensor<4x16xf32>
  return %0#0, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Gathers and scatters pick elements by index: ILI & fixed.
// CHECK-LABEL: func.func @gather_and_scatter
// CHECK: iree_linalg_ext.gather {smartmem.op_class = #smartmem.op_class<"ILI", "fixed">}
// CHECK: iree_linalg_ext.scatter {{.*}}{smartmem.op_class = #smartmem.op_class<"ILI", "fixed">}
func.func @gather_and_scatter(%table: tensor<100x16xf32>, %ids: tensor<4xi64>, %rows: tensor<4x16xf32>, %idx: tensor<4x1xi32>) -> (tensor<4x16xf32>, tensor<100x16xf32>) {
  %0 = iree_linalg_ext.gather dimension_map = [0] ins(%table, %ids : tensor<100x16xf32>, tensor<4xi64>) outs(%rows : tensor<4x16xf32>) -> tensor<4x16xf32>
  %1 = iree_linalg_ext.scatter dimension_map = [0] unique_indices(true) ins(%rows, %idx : tensor<4x16xf32>, tensor<4x1xi32>) outs(%table : tensor<100x16xf32>) {
  ^bb0(%a: f32, %b: f32):
    iree_linalg_ext.yield %a : f32
  } -> tensor<100x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<100x16xf32>
}
