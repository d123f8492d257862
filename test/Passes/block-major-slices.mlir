// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-block-major-slices,canonicalize,cse)' %s | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
// GPT-2's c_attn: a matmul, a bias add, Split into Q, K, V (rank-reducing
// slices after an expand_shape that adds the batch dim). Both ops are
// rewritten with the block loop outermost; the weight and the bias are
// reshaped; every slice reads one contiguous block.
// CHECK-DAG: #[[LHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-DAG: #[[RHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d3, d0, d2)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[BIAS:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @fused_qkv_with_bias
// CHECK: %[[W:.+]] = tensor.expand_shape %arg1 {{\[}}[0], [1, 2]] output_shape [8, 3, 16] : tensor<8x48xf32> into tensor<8x3x16xf32>
// CHECK: %[[MM:.+]] = linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%arg0, %[[W]] : tensor<4x8xf32>, tensor<8x3x16xf32>) outs(%{{.+}} : tensor<3x4x16xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[B:.+]] = tensor.expand_shape %arg2 {{\[}}[0, 1]] output_shape [3, 16] : tensor<48xf32> into tensor<3x16xf32>
// CHECK: %[[BIASED:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[BIAS]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[MM]], %[[B]] : tensor<3x4x16xf32>, tensor<3x16xf32>)
// CHECK: %[[E:.+]] = tensor.expand_shape %[[BIASED]] {{\[}}[0], [1, 2], [3]] output_shape [3, 1, 4, 16] : tensor<3x4x16xf32> into tensor<3x1x4x16xf32>
// CHECK: %[[Q:.+]] = tensor.extract_slice %[[E]][0, 0, 0, 0] [1, 1, 4, 16] [1, 1, 1, 1] : tensor<3x1x4x16xf32> to tensor<4x16xf32>
// CHECK: %[[K:.+]] = tensor.extract_slice %[[E]][1, 0, 0, 0] [1, 1, 4, 16] [1, 1, 1, 1] : tensor<3x1x4x16xf32> to tensor<4x16xf32>
// CHECK: %[[V:.+]] = tensor.extract_slice %[[E]][2, 0, 0, 0] [1, 1, 4, 16] [1, 1, 1, 1] : tensor<3x1x4x16xf32> to tensor<4x16xf32>
// CHECK: return %[[Q]], %[[K]], %[[V]]
func.func @fused_qkv_with_bias(%x: tensor<4x8xf32>, %w: tensor<8x48xf32>, %b: tensor<48xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x48xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x48xf32>) -> tensor<4x48xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x48xf32>) outs(%f : tensor<4x48xf32>) -> tensor<4x48xf32>
  %biased = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<4x48xf32>, tensor<48xf32>) outs(%e : tensor<4x48xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4x48xf32>
  %batched = tensor.expand_shape %biased [[0, 1], [2]] output_shape [1, 4, 48] : tensor<4x48xf32> into tensor<1x4x48xf32>
  %q = tensor.extract_slice %batched[0, 0, 0] [1, 4, 16] [1, 1, 1] : tensor<1x4x48xf32> to tensor<4x16xf32>
  %k = tensor.extract_slice %batched[0, 0, 16] [1, 4, 16] [1, 1, 1] : tensor<1x4x48xf32> to tensor<4x16xf32>
  %v = tensor.extract_slice %batched[0, 0, 32] [1, 4, 16] [1, 1, 1] : tensor<1x4x48xf32> to tensor<4x16xf32>
  return %q, %k, %v : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// IREE's horizontal fusion of three projections: a batch matmul of batch 1
// read by two of its three blocks (a block nobody reads is still computed,
// as before). The unit batch loop is dropped (IREE folded unit loops before
// this pass runs; left in, it would count as a fourth parallel loop).
// CHECK-DAG: #[[LHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-DAG: #[[RHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d3, d0, d2)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @horizontally_fused_batch_matmul
// CHECK: %[[W:.+]] = tensor.expand_shape %arg1 {{\[}}[0], [1], [2, 3]] output_shape [1, 8, 3, 16]
// CHECK: %[[X:.+]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<1x4x8xf32> into tensor<4x8xf32>
// CHECK: %[[W2:.+]] = tensor.collapse_shape %[[W]] {{\[}}[0, 1], [2], [3]] : tensor<1x8x3x16xf32> into tensor<8x3x16xf32>
// CHECK: %[[MM:.+]] = linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[X]], %[[W2]] : tensor<4x8xf32>, tensor<8x3x16xf32>) outs(%{{.+}} : tensor<3x4x16xf32>)
// CHECK: %[[E:.+]] = tensor.expand_shape %[[MM]] {{\[}}[0], [1, 2], [3]] output_shape [3, 1, 4, 16]
// CHECK: %[[K:.+]] = tensor.extract_slice %[[E]][1, 0, 0, 0] [1, 1, 4, 16] [1, 1, 1, 1] : tensor<3x1x4x16xf32> to tensor<4x16xf32>
// CHECK: %[[V:.+]] = tensor.extract_slice %[[E]][2, 0, 0, 0] [1, 1, 4, 16] [1, 1, 1, 1] : tensor<3x1x4x16xf32> to tensor<1x4x16xf32>
// CHECK: return %[[K]], %[[V]]
func.func @horizontally_fused_batch_matmul(%x: tensor<1x4x8xf32>, %w: tensor<1x8x48xf32>) -> (tensor<4x16xf32>, tensor<1x4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x48xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x48xf32>) -> tensor<1x4x48xf32>
  %mm = linalg.batch_matmul ins(%x, %w : tensor<1x4x8xf32>, tensor<1x8x48xf32>) outs(%f : tensor<1x4x48xf32>) -> tensor<1x4x48xf32>
  %k = tensor.extract_slice %mm[0, 0, 16] [1, 4, 16] [1, 1, 1] : tensor<1x4x48xf32> to tensor<4x16xf32>
  %v = tensor.extract_slice %mm[0, 0, 32] [1, 4, 16] [1, 1, 1] : tensor<1x4x48xf32> to tensor<1x4x16xf32>
  return %k, %v : tensor<4x16xf32>, tensor<1x4x16xf32>
}

// -----

// MobileViT's projection: the slices cut the last dim after an expand_shape
// that splits the rows (patches x tokens), which is left as it is.
// CHECK-LABEL: func.func @slices_after_row_split
// CHECK: %[[MM:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<2x8x16xf32>)
// CHECK: %[[E:.+]] = tensor.expand_shape %[[MM]] {{\[}}[0], [1, 2], [3]] output_shape [2, 2, 4, 16] : tensor<2x8x16xf32> into tensor<2x2x4x16xf32>
// CHECK: tensor.extract_slice %[[E]][0, 0, 0, 0] [1, 2, 4, 16] [1, 1, 1, 1] : tensor<2x2x4x16xf32> to tensor<2x4x16xf32>
// CHECK: tensor.extract_slice %[[E]][1, 0, 0, 0] [1, 2, 4, 16] [1, 1, 1, 1] : tensor<2x2x4x16xf32> to tensor<2x4x16xf32>
func.func @slices_after_row_split(%x: tensor<8x8xf32>, %w: tensor<8x32xf32>) -> (tensor<2x4x16xf32>, tensor<2x4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<8x8xf32>, tensor<8x32xf32>) outs(%f : tensor<8x32xf32>) -> tensor<8x32xf32>
  %rows = tensor.expand_shape %mm [[0, 1], [2]] output_shape [2, 4, 32] : tensor<8x32xf32> into tensor<2x4x32xf32>
  %a = tensor.extract_slice %rows[0, 0, 0] [2, 4, 16] [1, 1, 1] : tensor<2x4x32xf32> to tensor<2x4x16xf32>
  %b = tensor.extract_slice %rows[0, 0, 16] [2, 4, 16] [1, 1, 1] : tensor<2x4x32xf32> to tensor<2x4x16xf32>
  return %a, %b : tensor<2x4x16xf32>, tensor<2x4x16xf32>
}

// -----

// Negative: a padded result read back whole-but-shorter (CLIP's softmax
// slice, 77 of 96 columns) is not a set of equal blocks.
// CHECK-LABEL: func.func @unaligned_slice_kept
// CHECK: linalg.matmul
// CHECK: tensor.extract_slice %{{.+}}[0, 0] [4, 12] [1, 1] : tensor<4x16xf32> to tensor<4x12xf32>
func.func @unaligned_slice_kept(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x12xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %s = tensor.extract_slice %mm[0, 0] [4, 12] [1, 1] : tensor<4x16xf32> to tensor<4x12xf32>
  return %s : tensor<4x12xf32>
}

// -----

// Negative: the result has a reader other than a slice (the whole tensor
// is needed in its own layout).
// CHECK-LABEL: func.func @other_reader_kept
// CHECK: linalg.matmul
// CHECK: tensor.extract_slice %{{.+}}[0, 8] [4, 8] [1, 1] : tensor<4x16xf32> to tensor<4x8xf32>
func.func @other_reader_kept(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> (tensor<4x8xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %s = tensor.extract_slice %mm[0, 8] [4, 8] [1, 1] : tensor<4x16xf32> to tensor<4x8xf32>
  return %s, %mm : tensor<4x8xf32>, tensor<4x16xf32>
}

// -----

// Negative: a 2-D tile (rows and columns cut at once) is not a block of
// one dim.
// CHECK-LABEL: func.func @two_dim_tile_kept
// CHECK: linalg.matmul
// CHECK: tensor.extract_slice %{{.+}}[2, 8] [2, 8] [1, 1]
func.func @two_dim_tile_kept(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %s = tensor.extract_slice %mm[2, 8] [2, 8] [1, 1] : tensor<4x16xf32> to tensor<2x8xf32>
  return %s : tensor<2x8xf32>
}

// -----

#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// Negative: blocks of a dim that the op reads with linalg.index (e.g. a
// mask computed from the position) are left alone.
// CHECK-LABEL: func.func @linalg_index_kept
// CHECK: linalg.index
// CHECK: tensor.extract_slice %{{.+}}[0, 0, 4] [2, 3, 4] [1, 1, 1]
func.func @linalg_index_kept(%x: tensor<2x3x8xf32>) -> tensor<2x3x4xf32> {
  %e = tensor.empty() : tensor<2x3x8xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<2x3x8xf32>) outs(%e : tensor<2x3x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 2 : index
    %n = arith.index_cast %i : index to i32
    %f = arith.sitofp %n : i32 to f32
    %s = arith.addf %a, %f : f32
    linalg.yield %s : f32
  } -> tensor<2x3x8xf32>
  %s = tensor.extract_slice %r[0, 0, 4] [2, 3, 4] [1, 1, 1] : tensor<2x3x8xf32> to tensor<2x3x4xf32>
  return %s : tensor<2x3x4xf32>
}

// -----

// Negative: a contraction that already has 3 parallel loops would get a
// fourth (the block loop) and leave IREE's SPIR-V matmul pipeline.
// CHECK-LABEL: func.func @off_matmul_pipeline_kept
// CHECK: linalg.batch_matmul
// CHECK: tensor.extract_slice %{{.+}}[0, 0, 8] [2, 4, 8] [1, 1, 1]
func.func @off_matmul_pipeline_kept(%x: tensor<2x4x8xf32>, %w: tensor<2x8x16xf32>) -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  %mm = linalg.batch_matmul ins(%x, %w : tensor<2x4x8xf32>, tensor<2x8x16xf32>) outs(%f : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  %a = tensor.extract_slice %mm[0, 0, 0] [2, 4, 8] [1, 1, 1] : tensor<2x4x16xf32> to tensor<2x4x8xf32>
  %b = tensor.extract_slice %mm[0, 0, 8] [2, 4, 8] [1, 1, 1] : tensor<2x4x16xf32> to tensor<2x4x8xf32>
  return %a, %b : tensor<2x4x8xf32>, tensor<2x4x8xf32>
}

// -----

// Negative: a dynamic row count (the blocks would be right, but the rewrite
// reasons about static extents only).
// CHECK-LABEL: func.func @dynamic_rows_kept
// CHECK: linalg.matmul
// CHECK: tensor.extract_slice %{{.+}}[0, 16] [%{{.+}}, 16] [1, 1]
func.func @dynamic_rows_kept(%x: tensor<?x8xf32>, %w: tensor<8x32xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %rows = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%rows) : tensor<?x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x32xf32>) outs(%f : tensor<?x32xf32>) -> tensor<?x32xf32>
  %a = tensor.extract_slice %mm[0, 0] [%rows, 16] [1, 1] : tensor<?x32xf32> to tensor<?x16xf32>
  %b = tensor.extract_slice %mm[0, 16] [%rows, 16] [1, 1] : tensor<?x32xf32> to tensor<?x16xf32>
  return %a, %b : tensor<?x16xf32>, tensor<?x16xf32>
}
