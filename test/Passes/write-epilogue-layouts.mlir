// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-write-epilogue-layouts)' %s | FileCheck %s

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#kt = affine_map<(d0, d1, d2, d3) -> (d2, d0, d3, d1)>
// Swin's keys after global optimization: a plain projection [(window,
// token), (head, dim)], and a bias add that writes K^T as [head, window,
// dim, token]. The projection now writes the head split [head, window,
// token, dim] in a dispatch region of its own; the bias add reads that and
// only swaps token and dim.
// CHECK: #[[$READ:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d0, d1, d3)>
// CHECK-LABEL: func.func @keys_written_head_split
// CHECK: %[[R:.+]] = flow.dispatch.region -> (tensor<2x3x4x8xf32>)
// CHECK: linalg.fill
// CHECK: %[[K:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]{{.*}} outs(%{{.+}} : tensor<2x3x4x8xf32>)
// CHECK: flow.return %[[K]]
// CHECK: linalg.generic {indexing_maps = [#[[$READ]], #{{.+}}, #{{.+}}]{{.*}} ins(%[[R]], %arg2 : tensor<2x3x4x8xf32>, tensor<2x8xf32>) outs(%{{.+}} : tensor<2x3x8x4xf32>)
// CHECK-NOT: linalg.matmul
func.func @keys_written_head_split(%x: tensor<12x16xf32>, %w: tensor<16x16xf32>, %b: tensor<2x8xf32>) -> tensor<2x3x8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<12x16xf32>) -> tensor<12x16xf32>
  %k = linalg.matmul ins(%x, %w : tensor<12x16xf32>, tensor<16x16xf32>) outs(%acc : tensor<12x16xf32>) -> tensor<12x16xf32>
  %split = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [3, 4, 2, 8] : tensor<12x16xf32> into tensor<3x4x2x8xf32>
  %o = tensor.empty() : tensor<2x3x8x4xf32>
  %kt = linalg.generic {indexing_maps = [#id4, #bias, #kt], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%split, %b : tensor<3x4x2x8xf32>, tensor<2x8xf32>) outs(%o : tensor<2x3x8x4xf32>) {
  ^bb0(%v: f32, %c: f32, %out: f32):
    %s = arith.addf %v, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x3x8x4xf32>
  return %kt : tensor<2x3x8x4xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#bias3 = affine_map<(d0, d1, d2) -> (d1, d2)>
#kt3 = affine_map<(d0, d1, d2) -> (d1, d2, d0)>
// Negative: the split leaves the rows whole (Swin's last stage, one window:
// [49, 768] into [49, 24, 32]). IREE already fuses such an epilogue into the
// projection's dispatch, so the matmul stays.
// CHECK-LABEL: func.func @columns_only_split_kept
// CHECK: linalg.matmul
// CHECK-NOT: flow.dispatch.region
func.func @columns_only_split_kept(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>, %b: tensor<2x8xf32>) -> tensor<2x8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %k = linalg.matmul ins(%x, %w : tensor<4x16xf32>, tensor<16x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  %split = tensor.expand_shape %k [[0], [1, 2]] output_shape [4, 2, 8] : tensor<4x16xf32> into tensor<4x2x8xf32>
  %o = tensor.empty() : tensor<2x8x4xf32>
  %kt = linalg.generic {indexing_maps = [#id3, #bias3, #kt3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%split, %b : tensor<4x2x8xf32>, tensor<2x8xf32>) outs(%o : tensor<2x8x4xf32>) {
  ^bb0(%v: f32, %c: f32, %out: f32):
    %s = arith.addf %v, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x8x4xf32>
  return %kt : tensor<2x8x4xf32>
}

// -----

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// Negative: the bias add writes the projection's own order: IREE fuses it
// into the matmul's dispatch as it is.
// CHECK-LABEL: func.func @unpermuted_epilogue_kept
// CHECK: linalg.matmul
// CHECK-NOT: flow.dispatch.region
func.func @unpermuted_epilogue_kept(%x: tensor<12x16xf32>, %w: tensor<16x16xf32>, %b: tensor<2x8xf32>) -> tensor<3x4x2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<12x16xf32>) -> tensor<12x16xf32>
  %k = linalg.matmul ins(%x, %w : tensor<12x16xf32>, tensor<16x16xf32>) outs(%acc : tensor<12x16xf32>) -> tensor<12x16xf32>
  %split = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [3, 4, 2, 8] : tensor<12x16xf32> into tensor<3x4x2x8xf32>
  %o = tensor.empty() : tensor<3x4x2x8xf32>
  %kb = linalg.generic {indexing_maps = [#id4, #bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%split, %b : tensor<3x4x2x8xf32>, tensor<2x8xf32>) outs(%o : tensor<3x4x2x8xf32>) {
  ^bb0(%v: f32, %c: f32, %out: f32):
    %s = arith.addf %v, %c : f32
    linalg.yield %s : f32
  } -> tensor<3x4x2x8xf32>
  return %kb : tensor<3x4x2x8xf32>
}

// -----

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#kt = affine_map<(d0, d1, d2, d3) -> (d2, d0, d3, d1)>
// Negative: the projection's result is also returned, in its own layout.
// CHECK-LABEL: func.func @other_reader_kept
// CHECK: linalg.matmul
// CHECK-NOT: flow.dispatch.region
func.func @other_reader_kept(%x: tensor<12x16xf32>, %w: tensor<16x16xf32>, %b: tensor<2x8xf32>) -> (tensor<2x3x8x4xf32>, tensor<12x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<12x16xf32>) -> tensor<12x16xf32>
  %k = linalg.matmul ins(%x, %w : tensor<12x16xf32>, tensor<16x16xf32>) outs(%acc : tensor<12x16xf32>) -> tensor<12x16xf32>
  %split = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [3, 4, 2, 8] : tensor<12x16xf32> into tensor<3x4x2x8xf32>
  %o = tensor.empty() : tensor<2x3x8x4xf32>
  %kt = linalg.generic {indexing_maps = [#id4, #bias, #kt], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%split, %b : tensor<3x4x2x8xf32>, tensor<2x8xf32>) outs(%o : tensor<2x3x8x4xf32>) {
  ^bb0(%v: f32, %c: f32, %out: f32):
    %s = arith.addf %v, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x3x8x4xf32>
  return %kt, %k : tensor<2x3x8x4xf32>, tensor<12x16xf32>
}

// -----

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#hs = affine_map<(d0, d1, d2, d3) -> (d2, d0, d1, d3)>
// A bias add that writes the head split only (the queries' layout): the
// projection writes all of it, the bias add then reads in its own order,
// and no region is formed (IREE fuses the two).
// CHECK-LABEL: func.func @whole_layout_written
// CHECK-NOT: flow.dispatch.region
// CHECK: %[[Q:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]{{.*}} outs(%{{.+}} : tensor<2x3x4x8xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[SAME:[a-z0-9]+]], #{{[a-z0-9]+}}, #[[SAME]]]{{.*}} ins(%[[Q]], %arg2 : tensor<2x3x4x8xf32>, tensor<2x8xf32>)
func.func @whole_layout_written(%x: tensor<12x16xf32>, %w: tensor<16x16xf32>, %b: tensor<2x8xf32>) -> tensor<2x3x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<12x16xf32>) -> tensor<12x16xf32>
  %q = linalg.matmul ins(%x, %w : tensor<12x16xf32>, tensor<16x16xf32>) outs(%acc : tensor<12x16xf32>) -> tensor<12x16xf32>
  %split = tensor.expand_shape %q [[0, 1], [2, 3]] output_shape [3, 4, 2, 8] : tensor<12x16xf32> into tensor<3x4x2x8xf32>
  %o = tensor.empty() : tensor<2x3x4x8xf32>
  %qh = linalg.generic {indexing_maps = [#id4, #bias, #hs], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%split, %b : tensor<3x4x2x8xf32>, tensor<2x8xf32>) outs(%o : tensor<2x3x4x8xf32>) {
  ^bb0(%v: f32, %c: f32, %out: f32):
    %s = arith.addf %v, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x3x4x8xf32>
  return %qh : tensor<2x3x4x8xf32>
}

// -----

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#kt = affine_map<(d0, d1, d2, d3) -> (d2, d0, d3, d1)>
// Negative: 64 rows, which IREE's matmul kernel tiles by 32 already (as
// MobileViT-S's 256: written head-split, its key projection ran slower).
// CHECK-LABEL: func.func @aligned_rows_kept
// CHECK: linalg.matmul
// CHECK-NOT: flow.dispatch.region
func.func @aligned_rows_kept(%x: tensor<64x16xf32>, %w: tensor<16x16xf32>, %b: tensor<2x8xf32>) -> tensor<2x16x8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<64x16xf32>) -> tensor<64x16xf32>
  %k = linalg.matmul ins(%x, %w : tensor<64x16xf32>, tensor<16x16xf32>) outs(%acc : tensor<64x16xf32>) -> tensor<64x16xf32>
  %split = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [16, 4, 2, 8] : tensor<64x16xf32> into tensor<16x4x2x8xf32>
  %o = tensor.empty() : tensor<2x16x8x4xf32>
  %kt = linalg.generic {indexing_maps = [#id4, #bias, #kt], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%split, %b : tensor<16x4x2x8xf32>, tensor<2x8xf32>) outs(%o : tensor<2x16x8x4xf32>) {
  ^bb0(%v: f32, %c: f32, %out: f32):
    %s = arith.addf %v, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x16x8x4xf32>
  return %kt : tensor<2x16x8x4xf32>
}
