// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-swap-batch-dims)' %s | FileCheck %s

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
// Window attention, 2 windows x 3 heads, 4 tokens, head dim 2: the head
// splits of Q, K, V and the head merge are transposes around batch matmuls
// over (window, head). The region (both batch matmuls, the softmax pieces,
// the reshapes) is stored head-major: the border transposes are composed
// with the swap, the bias (per head, a function argument) is read with the
// two loops renamed, the softmax ops keep their identity maps.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[BIAS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-LABEL: func.func @window_attention
// CHECK: %[[Q:.+]] = linalg.transpose ins(%{{.+}} : tensor<2x4x3x2xf32>) outs(%{{.+}} : tensor<3x2x4x2xf32>) permutation = [2, 0, 1, 3]
// CHECK: %[[QB:.+]] = tensor.collapse_shape %[[Q]] {{\[}}[0, 1], [2], [3]] : tensor<3x2x4x2xf32> into tensor<6x4x2xf32>
// CHECK: %[[K:.+]] = linalg.transpose ins(%{{.+}} : tensor<2x4x3x2xf32>) outs(%{{.+}} : tensor<3x2x2x4xf32>) permutation = [2, 0, 3, 1]
// CHECK: %[[KB:.+]] = tensor.collapse_shape %[[K]] {{\[}}[0, 1], [2], [3]] : tensor<3x2x2x4xf32> into tensor<6x2x4xf32>
// CHECK: %[[S:.+]] = linalg.batch_matmul ins(%[[QB]], %[[KB]] : tensor<6x4x2xf32>, tensor<6x2x4xf32>)
// CHECK: %[[S4:.+]] = tensor.expand_shape %[[S]] {{\[}}[0, 1], [2], [3]] output_shape [3, 2, 4, 4] : tensor<6x4x4xf32> into tensor<3x2x4x4xf32>
// CHECK: %[[B:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[BIAS]], #[[ID]]], {{.*}} ins(%[[S4]], %arg4 : tensor<3x2x4x4xf32>, tensor<3x4x4xf32>) outs(%{{.+}} : tensor<3x2x4x4xf32>)
// CHECK: %[[E:.+]] = linalg.generic {{.*}} ins(%[[B]] : tensor<3x2x4x4xf32>) outs(%{{.+}} : tensor<3x2x4x4xf32>)
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[E]] : tensor<3x2x4x4xf32>) outs(%{{.+}} : tensor<3x2x4x1xf32>)
// CHECK: %[[P:.+]] = linalg.generic {{.*}} ins(%[[E]], %[[SUM]] : tensor<3x2x4x4xf32>, tensor<3x2x4x1xf32>) outs(%{{.+}} : tensor<3x2x4x4xf32>)
// CHECK: %[[V:.+]] = linalg.transpose ins(%{{.+}} : tensor<2x4x3x2xf32>) outs(%{{.+}} : tensor<3x2x4x2xf32>) permutation = [2, 0, 1, 3]
// CHECK: %[[O:.+]] = linalg.batch_matmul
// CHECK: %[[O4:.+]] = tensor.expand_shape %[[O]] {{\[}}[0, 1], [2], [3]] output_shape [3, 2, 4, 2] : tensor<6x4x2xf32> into tensor<3x2x4x2xf32>
// CHECK: %[[M:.+]] = linalg.transpose ins(%[[O4]] : tensor<3x2x4x2xf32>) outs(%{{.+}} : tensor<2x4x3x2xf32>) permutation = [1, 2, 0, 3]
// CHECK: tensor.collapse_shape %[[M]] {{\[}}[0, 1], [2, 3]] : tensor<2x4x3x2xf32> into tensor<8x6xf32>
func.func @window_attention(%x: tensor<8x6xf32>, %wq: tensor<6x6xf32>, %wk: tensor<6x6xf32>, %wv: tensor<6x6xf32>, %bias: tensor<3x4x4xf32>, %wo: tensor<6x6xf32>) -> tensor<8x6xf32> {
  %zero = arith.constant 0.0 : f32
  %e86 = tensor.empty() : tensor<8x6xf32>
  %f86 = linalg.fill ins(%zero : f32) outs(%e86 : tensor<8x6xf32>) -> tensor<8x6xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<8x6xf32>, tensor<6x6xf32>) outs(%f86 : tensor<8x6xf32>) -> tensor<8x6xf32>
  %k = linalg.matmul ins(%x, %wk : tensor<8x6xf32>, tensor<6x6xf32>) outs(%f86 : tensor<8x6xf32>) -> tensor<8x6xf32>
  %v = linalg.matmul ins(%x, %wv : tensor<8x6xf32>, tensor<6x6xf32>) outs(%f86 : tensor<8x6xf32>) -> tensor<8x6xf32>
  %q4 = tensor.expand_shape %q [[0, 1], [2, 3]] output_shape [2, 4, 3, 2] : tensor<8x6xf32> into tensor<2x4x3x2xf32>
  %k4 = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [2, 4, 3, 2] : tensor<8x6xf32> into tensor<2x4x3x2xf32>
  %v4 = tensor.expand_shape %v [[0, 1], [2, 3]] output_shape [2, 4, 3, 2] : tensor<8x6xf32> into tensor<2x4x3x2xf32>
  %eq = tensor.empty() : tensor<2x3x4x2xf32>
  %qt = linalg.transpose ins(%q4 : tensor<2x4x3x2xf32>) outs(%eq : tensor<2x3x4x2xf32>) permutation = [0, 2, 1, 3]
  %ek = tensor.empty() : tensor<2x3x2x4xf32>
  %kt = linalg.transpose ins(%k4 : tensor<2x4x3x2xf32>) outs(%ek : tensor<2x3x2x4xf32>) permutation = [0, 2, 3, 1]
  %qb = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<2x3x4x2xf32> into tensor<6x4x2xf32>
  %kb = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x3x2x4xf32> into tensor<6x2x4xf32>
  %es = tensor.empty() : tensor<6x4x4xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s = linalg.batch_matmul ins(%qb, %kb : tensor<6x4x2xf32>, tensor<6x2x4xf32>) outs(%fs : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 4, 4] : tensor<6x4x4xf32> into tensor<2x3x4x4xf32>
  %e4 = tensor.empty() : tensor<2x3x4x4xf32>
  %biased = linalg.generic {indexing_maps = [#id4, #bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s4, %bias : tensor<2x3x4x4xf32>, tensor<3x4x4xf32>) outs(%e4 : tensor<2x3x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x3x4x4xf32>
  %exp = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%biased : tensor<2x3x4x4xf32>) outs(%e4 : tensor<2x3x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<2x3x4x4xf32>
  %esum = tensor.empty() : tensor<2x3x4x1xf32>
  %fsum = linalg.fill ins(%zero : f32) outs(%esum : tensor<2x3x4x1xf32>) -> tensor<2x3x4x1xf32>
  %sum = linalg.generic {indexing_maps = [#id4, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%exp : tensor<2x3x4x4xf32>) outs(%fsum : tensor<2x3x4x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<2x3x4x1xf32>
  %p = linalg.generic {indexing_maps = [#id4, #row, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<2x3x4x4xf32>, tensor<2x3x4x1xf32>) outs(%e4 : tensor<2x3x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x3x4x4xf32>
  %pb = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x3x4x4xf32> into tensor<6x4x4xf32>
  %vt = linalg.transpose ins(%v4 : tensor<2x4x3x2xf32>) outs(%eq : tensor<2x3x4x2xf32>) permutation = [0, 2, 1, 3]
  %vb = tensor.collapse_shape %vt [[0, 1], [2], [3]] : tensor<2x3x4x2xf32> into tensor<6x4x2xf32>
  %eo = tensor.empty() : tensor<6x4x2xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<6x4x2xf32>) -> tensor<6x4x2xf32>
  %o = linalg.batch_matmul ins(%pb, %vb : tensor<6x4x4xf32>, tensor<6x4x2xf32>) outs(%fo : tensor<6x4x2xf32>) -> tensor<6x4x2xf32>
  %o4 = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [2, 3, 4, 2] : tensor<6x4x2xf32> into tensor<2x3x4x2xf32>
  %em = tensor.empty() : tensor<2x4x3x2xf32>
  %merged = linalg.transpose ins(%o4 : tensor<2x3x4x2xf32>) outs(%em : tensor<2x4x3x2xf32>) permutation = [0, 2, 1, 3]
  %rows = tensor.collapse_shape %merged [[0, 1], [2, 3]] : tensor<2x4x3x2xf32> into tensor<8x6xf32>
  %y = linalg.matmul ins(%rows, %wo : tensor<8x6xf32>, tensor<6x6xf32>) outs(%f86 : tensor<8x6xf32>) -> tensor<8x6xf32>
  return %y : tensor<8x6xf32>
}

// -----

// A linalg.index over a batch loop follows the loop that now runs over
// that dim: index 0 (the window) becomes index 1.
// CHECK-LABEL: func.func @index_follows_the_batch_dim
// CHECK: linalg.transpose {{.*}} permutation = [2, 0, 1, 3]
// CHECK: linalg.generic
// CHECK: linalg.index 1 : index
// CHECK: linalg.transpose {{.*}} permutation = [1, 2, 0, 3]
func.func @index_follows_the_batch_dim(%q4: tensor<2x4x3x2xf32>, %k4: tensor<2x4x3x2xf32>) -> tensor<2x4x3x4xf32> {
  %zero = arith.constant 0.0 : f32
  %ek = tensor.empty() : tensor<2x3x2x4xf32>
  %kt = linalg.transpose ins(%k4 : tensor<2x4x3x2xf32>) outs(%ek : tensor<2x3x2x4xf32>) permutation = [0, 2, 3, 1]
  %k = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x3x2x4xf32> into tensor<6x2x4xf32>
  %eq = tensor.empty() : tensor<2x3x4x2xf32>
  %qt = linalg.transpose ins(%q4 : tensor<2x4x3x2xf32>) outs(%eq : tensor<2x3x4x2xf32>) permutation = [0, 2, 1, 3]
  %qb = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<2x3x4x2xf32> into tensor<6x4x2xf32>
  %es = tensor.empty() : tensor<6x4x4xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s = linalg.batch_matmul ins(%qb, %k : tensor<6x4x2xf32>, tensor<6x2x4xf32>) outs(%fs : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 4, 4] : tensor<6x4x4xf32> into tensor<2x3x4x4xf32>
  %e4 = tensor.empty() : tensor<2x3x4x4xf32>
  %shifted = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s4 : tensor<2x3x4x4xf32>) outs(%e4 : tensor<2x3x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %w = linalg.index 0 : index
    %wi = arith.index_cast %w : index to i32
    %wf = arith.sitofp %wi : i32 to f32
    %r = arith.addf %a, %wf : f32
    linalg.yield %r : f32
  } -> tensor<2x3x4x4xf32>
  %em = tensor.empty() : tensor<2x4x3x4xf32>
  %merged = linalg.transpose ins(%shifted : tensor<2x3x4x4xf32>) outs(%em : tensor<2x4x3x4xf32>) permutation = [0, 2, 1, 3]
  return %merged : tensor<2x4x3x4xf32>
}

// -----

// Negative: a batch of 1 window (Swin's last stage) has nothing to swap.
// CHECK-LABEL: func.func @unit_batch_kept
// CHECK: linalg.transpose {{.*}} permutation = [0, 2, 1, 3]
// CHECK: tensor.expand_shape {{.*}} output_shape [1, 3, 4, 4]
func.func @unit_batch_kept(%q4: tensor<1x4x3x2xf32>, %k: tensor<3x2x4xf32>) -> tensor<1x3x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %eq = tensor.empty() : tensor<1x3x4x2xf32>
  %qt = linalg.transpose ins(%q4 : tensor<1x4x3x2xf32>) outs(%eq : tensor<1x3x4x2xf32>) permutation = [0, 2, 1, 3]
  %qb = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<1x3x4x2xf32> into tensor<3x4x2xf32>
  %es = tensor.empty() : tensor<3x4x4xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<3x4x4xf32>) -> tensor<3x4x4xf32>
  %s = linalg.batch_matmul ins(%qb, %k : tensor<3x4x2xf32>, tensor<3x2x4xf32>) outs(%fs : tensor<3x4x4xf32>) -> tensor<3x4x4xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [1, 3, 4, 4] : tensor<3x4x4xf32> into tensor<1x3x4x4xf32>
  return %s4 : tensor<1x3x4x4xf32>
}

// -----

// Negative: the region's border transposes would get more contiguous runs
// (these only swap the two inner dims and keep (window, head) together;
// swapping the pair would break that up), so the region stays.
// CHECK-LABEL: func.func @no_gain_kept
// CHECK: linalg.transpose {{.*}} permutation = [0, 1, 3, 2]
// CHECK: tensor.expand_shape {{.*}} output_shape [2, 3, 4, 4]
func.func @no_gain_kept(%q4: tensor<2x3x2x4xf32>, %k4: tensor<2x3x4x2xf32>) -> tensor<2x3x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %eq = tensor.empty() : tensor<2x3x4x2xf32>
  %qt = linalg.transpose ins(%q4 : tensor<2x3x2x4xf32>) outs(%eq : tensor<2x3x4x2xf32>) permutation = [0, 1, 3, 2]
  %qb = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<2x3x4x2xf32> into tensor<6x4x2xf32>
  %ek = tensor.empty() : tensor<2x3x2x4xf32>
  %kt = linalg.transpose ins(%k4 : tensor<2x3x4x2xf32>) outs(%ek : tensor<2x3x2x4xf32>) permutation = [0, 1, 3, 2]
  %kb = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x3x2x4xf32> into tensor<6x2x4xf32>
  %es = tensor.empty() : tensor<6x4x4xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s = linalg.batch_matmul ins(%qb, %kb : tensor<6x4x2xf32>, tensor<6x2x4xf32>) outs(%fs : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 4, 4] : tensor<6x4x4xf32> into tensor<2x3x4x4xf32>
  %et = tensor.empty() : tensor<2x3x4x4xf32>
  %st = linalg.transpose ins(%s4 : tensor<2x3x4x4xf32>) outs(%et : tensor<2x3x4x4xf32>) permutation = [0, 1, 3, 2]
  return %st : tensor<2x3x4x4xf32>
}

// -----

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#per_head = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// Negative: a reduction over the window loop (a sum over windows) cannot
// keep its loops; the region is left alone.
// CHECK-LABEL: func.func @reduction_over_batch_kept
// CHECK: linalg.transpose {{.*}} permutation = [0, 2, 1, 3]
// CHECK: tensor.expand_shape {{.*}} output_shape [2, 3, 4, 4]
func.func @reduction_over_batch_kept(%q4: tensor<2x4x3x2xf32>, %k4: tensor<2x4x3x2xf32>) -> tensor<3x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %ek = tensor.empty() : tensor<2x3x2x4xf32>
  %kt = linalg.transpose ins(%k4 : tensor<2x4x3x2xf32>) outs(%ek : tensor<2x3x2x4xf32>) permutation = [0, 2, 3, 1]
  %k = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x3x2x4xf32> into tensor<6x2x4xf32>
  %eq = tensor.empty() : tensor<2x3x4x2xf32>
  %qt = linalg.transpose ins(%q4 : tensor<2x4x3x2xf32>) outs(%eq : tensor<2x3x4x2xf32>) permutation = [0, 2, 1, 3]
  %qb = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<2x3x4x2xf32> into tensor<6x4x2xf32>
  %es = tensor.empty() : tensor<6x4x4xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s = linalg.batch_matmul ins(%qb, %k : tensor<6x4x2xf32>, tensor<6x2x4xf32>) outs(%fs : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 4, 4] : tensor<6x4x4xf32> into tensor<2x3x4x4xf32>
  %eh = tensor.empty() : tensor<3x4x4xf32>
  %fh = linalg.fill ins(%zero : f32) outs(%eh : tensor<3x4x4xf32>) -> tensor<3x4x4xf32>
  %total = linalg.generic {indexing_maps = [#id4, #per_head], iterator_types = ["reduction", "parallel", "parallel", "parallel"]} ins(%s4 : tensor<2x3x4x4xf32>) outs(%fh : tensor<3x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<3x4x4xf32>
  return %total : tensor<3x4x4xf32>
}

// -----

// Negative: a region value read by something other than a transpose, a
// reshape, a batch matmul or a generic (here the function's return) would
// need a new transpose: kept.
// CHECK-LABEL: func.func @other_reader_kept
// CHECK: linalg.transpose {{.*}} permutation = [0, 2, 1, 3]
// CHECK: tensor.expand_shape {{.*}} output_shape [2, 3, 4, 4]
func.func @other_reader_kept(%q4: tensor<2x4x3x2xf32>, %k4: tensor<2x4x3x2xf32>) -> (tensor<2x3x4x4xf32>, tensor<2x4x3x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %ek = tensor.empty() : tensor<2x3x2x4xf32>
  %kt = linalg.transpose ins(%k4 : tensor<2x4x3x2xf32>) outs(%ek : tensor<2x3x2x4xf32>) permutation = [0, 2, 3, 1]
  %k = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x3x2x4xf32> into tensor<6x2x4xf32>
  %eq = tensor.empty() : tensor<2x3x4x2xf32>
  %qt = linalg.transpose ins(%q4 : tensor<2x4x3x2xf32>) outs(%eq : tensor<2x3x4x2xf32>) permutation = [0, 2, 1, 3]
  %qb = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<2x3x4x2xf32> into tensor<6x4x2xf32>
  %es = tensor.empty() : tensor<6x4x4xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s = linalg.batch_matmul ins(%qb, %k : tensor<6x4x2xf32>, tensor<6x2x4xf32>) outs(%fs : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 4, 4] : tensor<6x4x4xf32> into tensor<2x3x4x4xf32>
  %em = tensor.empty() : tensor<2x4x3x4xf32>
  %merged = linalg.transpose ins(%s4 : tensor<2x3x4x4xf32>) outs(%em : tensor<2x4x3x4xf32>) permutation = [0, 2, 1, 3]
  return %s4, %merged : tensor<2x3x4x4xf32>, tensor<2x4x3x4xf32>
}

// -----

// Negative: a dynamic number of windows.
// CHECK-LABEL: func.func @dynamic_batch_kept
// CHECK: linalg.transpose {{.*}} permutation = [0, 2, 1, 3]
func.func @dynamic_batch_kept(%q4: tensor<?x4x3x2xf32>, %k: tensor<?x2x4xf32>) -> tensor<?x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %w = tensor.dim %q4, %c0 : tensor<?x4x3x2xf32>
  %eq = tensor.empty(%w) : tensor<?x3x4x2xf32>
  %qt = linalg.transpose ins(%q4 : tensor<?x4x3x2xf32>) outs(%eq : tensor<?x3x4x2xf32>) permutation = [0, 2, 1, 3]
  %qb = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<?x3x4x2xf32> into tensor<?x4x2xf32>
  %n = tensor.dim %qb, %c0 : tensor<?x4x2xf32>
  %es = tensor.empty(%n) : tensor<?x4x4xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<?x4x4xf32>) -> tensor<?x4x4xf32>
  %s = linalg.batch_matmul ins(%qb, %k : tensor<?x4x2xf32>, tensor<?x2x4xf32>) outs(%fs : tensor<?x4x4xf32>) -> tensor<?x4x4xf32>
  return %s : tensor<?x4x4xf32>
}
