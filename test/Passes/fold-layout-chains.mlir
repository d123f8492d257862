// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-fold-layout-chains)' %s | FileCheck %s
// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-fold-layout-chains{contractions=false})' %s | FileCheck %s --check-prefix=NOCONTRACT
// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-fold-layout-chains{slices=true})' %s | FileCheck %s --check-prefix=SLICES

// A transposed activation read as the matmul's B: after the fold B is read
// as (n, k), k innermost (the paper's rule: the reduction dim contiguous).
// CHECK-DAG: #[[TB:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @transpose_into_matmul
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[TB]], {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%arg0, %arg1
// CHECK: arith.mulf
// CHECK: arith.addf
// NOCONTRACT-LABEL: func.func @transpose_into_matmul
// NOCONTRACT: linalg.transpose
// NOCONTRACT: linalg.matmul
func.func @transpose_into_matmul(%x: tensor<4x8xf32>, %y: tensor<16x8xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %t = linalg.transpose ins(%y : tensor<16x8xf32>) outs(%e : tensor<8x16xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.matmul ins(%x, %t : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %m : tensor<4x16xf32>
}

// -----

// A transposed activation read as the matmul's A (ConvNeXt's NCHW -> NHWC
// permute in front of its Linear): folded, A would be read as (k, m), the
// reduction dim strided. The transpose stays (its producer writes it).
// CHECK-LABEL: func.func @no_fold_into_contraction_strided_reduction
// CHECK: linalg.transpose
// CHECK: linalg.matmul
// NOCONTRACT-LABEL: func.func @no_fold_into_contraction_strided_reduction
func.func @no_fold_into_contraction_strided_reduction(%x: tensor<8x4xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %t = linalg.transpose ins(%x : tensor<8x4xf32>) outs(%e : tensor<4x8xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.matmul ins(%t, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %m : tensor<4x16xf32>
}

// -----

// Swin window partition (4x4 image, 2x2 windows) in front of a projection:
// folding would split M into (window row, window col, row, col), read in a
// different order than written, so IREE could not collapse them back and the
// contraction would have 5 parallel loops: off IREE's SPIR-V matmul
// pipeline. The chain stays (write-through moves it to the producer).
// CHECK-LABEL: func.func @no_fold_into_contraction_off_matmul_pipeline
// CHECK: linalg.transpose
// CHECK: tensor.collapse_shape
// CHECK: linalg.matmul
func.func @no_fold_into_contraction_off_matmul_pipeline(%x: tensor<1x16x4xf32>, %w: tensor<4x8xf32>) -> tensor<16x8xf32> {
  %e = tensor.expand_shape %x [[0], [1, 2, 3, 4], [5]] output_shape [1, 2, 2, 2, 2, 4] : tensor<1x16x4xf32> into tensor<1x2x2x2x2x4xf32>
  %i = tensor.empty() : tensor<1x2x2x2x2x4xf32>
  %t = linalg.transpose ins(%e : tensor<1x2x2x2x2x4xf32>) outs(%i : tensor<1x2x2x2x2x4xf32>) permutation = [0, 1, 3, 2, 4, 5]
  %c = tensor.collapse_shape %t [[0, 1, 2, 3, 4], [5]] : tensor<1x2x2x2x2x4xf32> into tensor<16x4xf32>
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %m = linalg.matmul ins(%c, %w : tensor<16x4xf32>, tensor<4x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  return %m : tensor<16x8xf32>
}

// -----

// Attention head split: [tokens, heads*dim] -> [heads, tokens, dim] read by batch_matmul.
// CHECK-DAG: #[[Q:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d3)>
// CHECK-LABEL: func.func @head_split_into_batch_matmul
// CHECK-NOT: linalg.transpose
// CHECK: %[[QF:.+]] = tensor.expand_shape %arg0 {{.*}} into tensor<8x3x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[Q]],
// CHECK-SAME: ins(%[[QF]], %arg1
func.func @head_split_into_batch_matmul(%q: tensor<8x12xf32>, %k: tensor<3x4x8xf32>) -> tensor<3x8x8xf32> {
  %e = tensor.expand_shape %q [[0], [1, 2]] output_shape [8, 3, 4] : tensor<8x12xf32> into tensor<8x3x4xf32>
  %i = tensor.empty() : tensor<3x8x4xf32>
  %t = linalg.transpose ins(%e : tensor<8x3x4xf32>) outs(%i : tensor<3x8x4xf32>) permutation = [1, 0, 2]
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<3x8x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<3x8x8xf32>) -> tensor<3x8x8xf32>
  %m = linalg.batch_matmul ins(%t, %k : tensor<3x8x4xf32>, tensor<3x4x8xf32>) outs(%acc : tensor<3x8x8xf32>) -> tensor<3x8x8xf32>
  return %m : tensor<3x8x8xf32>
}

// -----

// Head merge in front of the output projection: the reduction loop is split
// into (head, head dim), the head dim (32) read innermost.
// CHECK-DAG: #[[V:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d0, d3)>
// CHECK-LABEL: func.func @head_merge_into_matmul
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[V]], {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction"]
func.func @head_merge_into_matmul(%v: tensor<3x8x32xf32>, %w: tensor<96x16xf32>) -> tensor<8x16xf32> {
  %i = tensor.empty() : tensor<8x3x32xf32>
  %t = linalg.transpose ins(%v : tensor<3x8x32xf32>) outs(%i : tensor<8x3x32xf32>) permutation = [1, 0, 2]
  %c = tensor.collapse_shape %t [[0], [1, 2]] : tensor<8x3x32xf32> into tensor<8x96xf32>
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<8x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<8x16xf32>) -> tensor<8x16xf32>
  %m = linalg.matmul ins(%c, %w : tensor<8x96xf32>, tensor<96x16xf32>) outs(%acc : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %m : tensor<8x16xf32>
}

// -----

// Negative: a head merge with head dims of 4 would be read in reduction
// pieces of 4 (smartmem.passes.matmul_form.short_reduction_pieces: a
// contraction reading its reduction in short pieces measured 1.4-3x slower).
// CHECK-LABEL: func.func @no_fold_short_reduction_pieces
// CHECK: linalg.transpose
// CHECK: linalg.matmul
func.func @no_fold_short_reduction_pieces(%v: tensor<24x8x4xf32>, %w: tensor<96x16xf32>) -> tensor<8x16xf32> {
  %i = tensor.empty() : tensor<8x24x4xf32>
  %t = linalg.transpose ins(%v : tensor<24x8x4xf32>) outs(%i : tensor<8x24x4xf32>) permutation = [1, 0, 2]
  %c = tensor.collapse_shape %t [[0], [1, 2]] : tensor<8x24x4xf32> into tensor<8x96xf32>
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<8x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<8x16xf32>) -> tensor<8x16xf32>
  %m = linalg.matmul ins(%c, %w : tensor<8x96xf32>, tensor<96x16xf32>) outs(%acc : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %m : tensor<8x16xf32>
}

// -----

// Short pieces of a small reduction (3 x 4 = 12 elements, at most
// matmul_form.SMALL_REDUCTION) fold: Swin-T's 4x4 patch embedding of the
// RGB image read directly took 7.6 us against 12.9 us with the transpose.
// CHECK-LABEL: func.func @fold_small_reduction_short_pieces
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {{.*}} ins(%arg0, %{{.+}} : tensor<3x8x4xf32>, tensor<3x4x16xf32>)
func.func @fold_small_reduction_short_pieces(%v: tensor<3x8x4xf32>, %w: tensor<12x16xf32>) -> tensor<8x16xf32> {
  %i = tensor.empty() : tensor<8x3x4xf32>
  %t = linalg.transpose ins(%v : tensor<3x8x4xf32>) outs(%i : tensor<8x3x4xf32>) permutation = [1, 0, 2]
  %c = tensor.collapse_shape %t [[0], [1, 2]] : tensor<8x3x4xf32> into tensor<8x12xf32>
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<8x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<8x16xf32>) -> tensor<8x16xf32>
  %m = linalg.matmul ins(%c, %w : tensor<8x12xf32>, tensor<12x16xf32>) outs(%acc : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %m : tensor<8x16xf32>
}

// -----

// Window reverse in front of a residual add: the add reads through the chain;
// its other operand and its result get free reshapes.
// CHECK-DAG: #[[R:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d3, d2, d4, d5)>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-LABEL: func.func @window_reverse_into_add
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[R]], #[[ID]], #[[ID]]]
// CHECK: arith.addf
// CHECK: tensor.collapse_shape {{.*}} into tensor<1x16x4xf32>
func.func @window_reverse_into_add(%y: tensor<4x4x4xf32>, %res: tensor<1x16x4xf32>) -> tensor<1x16x4xf32> {
  %e = tensor.expand_shape %y [[0, 1], [2, 3], [4]] output_shape [2, 2, 2, 2, 4] : tensor<4x4x4xf32> into tensor<2x2x2x2x4xf32>
  %i = tensor.empty() : tensor<2x2x2x2x4xf32>
  %t = linalg.transpose ins(%e : tensor<2x2x2x2x4xf32>) outs(%i : tensor<2x2x2x2x4xf32>) permutation = [0, 2, 1, 3, 4]
  %c = tensor.collapse_shape %t [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x4xf32> into tensor<16x4xf32>
  %c3 = tensor.expand_shape %c [[0, 1], [2]] output_shape [1, 16, 4] : tensor<16x4xf32> into tensor<1x16x4xf32>
  %o = tensor.empty() : tensor<1x16x4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%c3, %res : tensor<1x16x4xf32>, tensor<1x16x4xf32>) outs(%o : tensor<1x16x4xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x16x4xf32>
  return %r : tensor<1x16x4xf32>
}

// -----

// Transposes that cancel compose to an identity read (Fixed -> Fixed).
// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @inverse_transposes_cancel
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]], #[[ID2]]]
// CHECK-SAME: ins(%arg0, %arg1
func.func @inverse_transposes_cancel(%x: tensor<4x6xf32>, %y: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %e1 = tensor.empty() : tensor<6x4xf32>
  %t1 = linalg.transpose ins(%x : tensor<4x6xf32>) outs(%e1 : tensor<6x4xf32>) permutation = [1, 0]
  %e2 = tensor.empty() : tensor<4x6xf32>
  %t2 = linalg.transpose ins(%t1 : tensor<6x4xf32>) outs(%e2 : tensor<4x6xf32>) permutation = [1, 0]
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t2, %y : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e2 : tensor<4x6xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.mulf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x6xf32>
  return %r : tensor<4x6xf32>
}

// -----

// A transpose in front of a column reduction: folded, the reduction reads
// the source with its reduced dim innermost (contiguous), as MobileViT's
// LayerNorms after an unfold do.
// CHECK-DAG: #[[RT:.+]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @transpose_into_reduction
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[RT]], {{.*}}iterator_types = ["reduction", "parallel"]
func.func @transpose_into_reduction(%x: tensor<4x6xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<6x4xf32>
  %t = linalg.transpose ins(%x : tensor<4x6xf32>) outs(%e : tensor<6x4xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %o = tensor.empty() : tensor<4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%t : tensor<6x4xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.addf %a, %out : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A transpose in front of a row reduction (softmax/LayerNorm pieces):
// folded, the reduction would read its reduced dim strided. Kept.
// CHECK-LABEL: func.func @no_fold_into_reduction_strided_reduction
// CHECK: linalg.transpose
// CHECK: linalg.generic
func.func @no_fold_into_reduction_strided_reduction(%x: tensor<6x4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4x6xf32>
  %t = linalg.transpose ins(%x : tensor<6x4xf32>) outs(%e : tensor<4x6xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %o = tensor.empty() : tensor<4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%o : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%t : tensor<4x6xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.addf %a, %out : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Weights are transposed at load time by IREE's const-eval: left alone.
// CHECK-LABEL: func.func @no_fold_constant_source
// CHECK: linalg.transpose
// CHECK: linalg.matmul
func.func @no_fold_constant_source(%x: tensor<4x8xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]]> : tensor<2x8xf32>
  %e = tensor.empty() : tensor<8x2xf32>
  %t = linalg.transpose ins(%w : tensor<2x8xf32>) outs(%e : tensor<8x2xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<4x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<4x2xf32>) -> tensor<4x2xf32>
  %m = linalg.matmul ins(%x, %t : tensor<4x8xf32>, tensor<8x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %m : tensor<4x2xf32>
}

// -----

// Reshapes alone are free in IREE: an elementwise op not fed by a contraction keeps them.
// CHECK-LABEL: func.func @no_fold_reshape_only
// CHECK: tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]
func.func @no_fold_reshape_only(%x: tensor<2x8xf32>, %y: tensor<16xf32>) -> tensor<16xf32> {
  %c = tensor.collapse_shape %x [[0, 1]] : tensor<2x8xf32> into tensor<16xf32>
  %o = tensor.empty() : tensor<16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%c, %y : tensor<16xf32>, tensor<16xf32>) outs(%o : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// A chain that only reshapes a matmul's result, read by its bias add: folded
// (the reshapes option), so that IREE fuses the add into the matmul's
// dispatch over the split loops.
// CHECK-LABEL: func.func @reshape_only_into_bias_add
// CHECK: %[[M:.+]] = linalg.matmul
// CHECK: %[[S:.+]] = tensor.expand_shape %[[M]] {{\[}}[0, 1], [2]] output_shape [2, 3, 4]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]{{.*}} ins(%[[S]], %{{.+}} : tensor<2x3x4xf32>, tensor<2x3x4xf32>)
func.func @reshape_only_into_bias_add(%x: tensor<6x8xf32>, %w: tensor<8x4xf32>, %b: tensor<6x4xf32>) -> tensor<6x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<6x4xf32>) -> tensor<6x4xf32>
  %m = linalg.matmul ins(%x, %w : tensor<6x8xf32>, tensor<8x4xf32>) outs(%acc : tensor<6x4xf32>) -> tensor<6x4xf32>
  %s = tensor.expand_shape %m [[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
  %c = tensor.collapse_shape %s [[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%c, %b : tensor<6x4xf32>, tensor<6x4xf32>) outs(%e : tensor<6x4xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %t = arith.addf %a, %bb : f32
    linalg.yield %t : f32
  } -> tensor<6x4xf32>
  return %r : tensor<6x4xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// Negative: the same chain read by a LayerNorm's centering. The centering
// waits for the mean (a reduction), so it never joins the matmul's dispatch;
// split loops would only part it from the mean, which keeps [6, 4] (Swin-T's
// patch-embedding LayerNorm: two more dispatches). The chain stays.
// CHECK-LABEL: func.func @no_fold_reshape_only_into_centering
// CHECK: %[[C:.+]] = tensor.collapse_shape
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[C]] : tensor<6x4xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[C]], %[[SUM]] : tensor<6x4xf32>, tensor<6xf32>)
func.func @no_fold_reshape_only_into_centering(%x: tensor<6x8xf32>, %w: tensor<8x4xf32>) -> tensor<6x4xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 4.0 : f32
  %e = tensor.empty() : tensor<6x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<6x4xf32>) -> tensor<6x4xf32>
  %m = linalg.matmul ins(%x, %w : tensor<6x8xf32>, tensor<8x4xf32>) outs(%acc : tensor<6x4xf32>) -> tensor<6x4xf32>
  %s = tensor.expand_shape %m [[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
  %c = tensor.collapse_shape %s [[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
  %re = tensor.empty() : tensor<6xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<6xf32>) -> tensor<6xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%c : tensor<6x4xf32>) outs(%rf : tensor<6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %o : f32
    linalg.yield %t : f32
  } -> tensor<6xf32>
  %centered = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]} ins(%c, %sum : tensor<6x4xf32>, tensor<6xf32>) outs(%e : tensor<6x4xf32>) {
  ^bb0(%a: f32, %sm: f32, %o: f32):
    %mean = arith.divf %sm, %n : f32
    %d = arith.subf %a, %mean : f32
    linalg.yield %d : f32
  } -> tensor<6x4xf32>
  return %centered : tensor<6x4xf32>
}

// -----

// The body reads linalg.index: renumbering its loops would change its meaning.
// CHECK-LABEL: func.func @no_fold_body_uses_index
// CHECK: linalg.transpose
// CHECK: linalg.index
func.func @no_fold_body_uses_index(%x: tensor<4x6xf32>) -> tensor<6x4xf32> {
  %e = tensor.empty() : tensor<6x4xf32>
  %t = linalg.transpose ins(%x : tensor<4x6xf32>) outs(%e : tensor<6x4xf32>) permutation = [1, 0]
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t : tensor<6x4xf32>) outs(%e : tensor<6x4xf32>) {
  ^bb0(%a: f32, %out: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %s = arith.addf %a, %f : f32
    linalg.yield %s : f32
  } -> tensor<6x4xf32>
  return %r : tensor<6x4xf32>
}

// -----

// 6 = 2x3 regrouped as 3x2 has no common refinement: only the part of the
// chain after the mixed-radix reshape is folded; the collapse stays.
// CHECK-LABEL: func.func @no_fold_mixed_radix_prefix
// CHECK: %[[C:.+]] = tensor.collapse_shape %arg0
// CHECK-NOT: linalg.transpose
// CHECK: %[[E:.+]] = tensor.expand_shape %[[C]] {{.*}} into tensor<3x2xf32>
// CHECK: linalg.generic {{.*}} ins(%[[E]], %arg1
func.func @no_fold_mixed_radix_prefix(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %c = tensor.collapse_shape %x [[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
  %e = tensor.expand_shape %c [[0, 1]] output_shape [3, 2] : tensor<6xf32> into tensor<3x2xf32>
  %i = tensor.empty() : tensor<2x3xf32>
  %t = linalg.transpose ins(%e : tensor<3x2xf32>) outs(%i : tensor<2x3xf32>) permutation = [1, 0]
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%t, %y : tensor<2x3xf32>, tensor<2x3xf32>) outs(%i : tensor<2x3xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.subf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// A tile of a fused projection (the V part of QKV) read by an elementwise op:
// with slices=true the slice becomes a constant index of the split dim;
// by default it stays.
// SLICES-DAG: #[[SEL:.+]] = affine_map<(d0, d1) -> (d0, 2, d1)>
// SLICES-LABEL: func.func @tile_slice_into_elementwise
// SLICES-NOT: tensor.extract_slice
// SLICES: %[[X3:.+]] = tensor.expand_shape %arg0 {{\[\[}}0], [1, 2]] {{.*}} into tensor<4x3x8xf32>
// SLICES: linalg.generic {indexing_maps = [#[[SEL]],
// SLICES-SAME: ins(%[[X3]], %arg1
// CHECK-LABEL: func.func @tile_slice_into_elementwise
// CHECK: tensor.extract_slice
func.func @tile_slice_into_elementwise(%qkv: tensor<4x24xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %v = tensor.extract_slice %qkv[0, 16] [4, 8] [1, 1] : tensor<4x24xf32> to tensor<4x8xf32>
  %o = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%v, %y : tensor<4x8xf32>, tensor<4x8xf32>) outs(%o : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.mulf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// The same tile read by a contraction through a head split: the slice stays
// (a constant index would hide the contraction from IREE), the head split folds.
// CHECK-LABEL: func.func @no_fold_tile_slice_into_contraction
// CHECK: %[[S:.+]] = tensor.extract_slice %arg0
// CHECK-NOT: linalg.transpose
// CHECK: %[[E:.+]] = tensor.expand_shape %[[S]]
// CHECK: linalg.generic {{.*}} ins(%[[E]], %arg1
func.func @no_fold_tile_slice_into_contraction(%qkv: tensor<4x24xf32>, %k: tensor<2x4x4xf32>) -> tensor<2x4x4xf32> {
  %v = tensor.extract_slice %qkv[0, 16] [4, 8] [1, 1] : tensor<4x24xf32> to tensor<4x8xf32>
  %e = tensor.expand_shape %v [[0], [1, 2]] output_shape [4, 2, 4] : tensor<4x8xf32> into tensor<4x2x4xf32>
  %i = tensor.empty() : tensor<2x4x4xf32>
  %t = linalg.transpose ins(%e : tensor<4x2x4xf32>) outs(%i : tensor<2x4x4xf32>) permutation = [1, 0, 2]
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<2x4x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %m = linalg.batch_matmul ins(%t, %k : tensor<2x4x4xf32>, tensor<2x4x4xf32>) outs(%acc : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  return %m : tensor<2x4x4xf32>
}

// -----

// The head merge could be folded into the output projection (K split into
// heads x dims), but the projection's result is window-reversed after it:
// IREE sinks that transpose into a generic contraction (not into a named
// matmul), which would then have 5 parallel loops, off IREE's SPIR-V matmul
// pipeline. Refused: the matmul stays named.
// CHECK-LABEL: func.func @no_fold_into_contraction_transpose_sunk_after
// CHECK: linalg.transpose
// CHECK: linalg.matmul
// CHECK: linalg.transpose
func.func @no_fold_into_contraction_transpose_sunk_after(%v: tensor<4x2x4x4xf32>, %w: tensor<8x8xf32>) -> tensor<16x8xf32> {
  %i = tensor.empty() : tensor<4x4x2x4xf32>
  %m = linalg.transpose ins(%v : tensor<4x2x4x4xf32>) outs(%i : tensor<4x4x2x4xf32>) permutation = [0, 2, 1, 3]
  %c = tensor.collapse_shape %m [[0, 1], [2, 3]] : tensor<4x4x2x4xf32> into tensor<16x8xf32>
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %mm = linalg.matmul ins(%c, %w : tensor<16x8xf32>, tensor<8x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  %e = tensor.expand_shape %mm [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %j = tensor.empty() : tensor<2x2x2x2x8xf32>
  %t = linalg.transpose ins(%e : tensor<2x2x2x2x8xf32>) outs(%j : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %r = tensor.collapse_shape %t [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<16x8xf32>
  return %r : tensor<16x8xf32>
}

// -----

// The same head merge after IREE's global optimization (the phase-two
// pipeline runs this pass again there): IREE's transpose propagation has
// already put the window reverse into the residual add as a permuted read,
// and nothing sinks it into the projection any more. Folded: the projection
// reads the attention's output with K split into (head, head dim), and
// the head merge's transpose is gone.
// CHECK-LABEL: func.func @head_merge_into_matmul_read_permuted_after
// CHECK-NOT: linalg.transpose
// CHECK: %[[P:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]{{.*}} ins(%arg0, %{{.+}} : tensor<4x2x4x32xf32>, tensor<2x32x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg2, %{{.+}} : tensor<2x2x2x2x8xf32>, tensor<2x2x2x2x8xf32>)
func.func @head_merge_into_matmul_read_permuted_after(%v: tensor<4x2x4x32xf32>, %w: tensor<64x8xf32>, %residual: tensor<2x2x2x2x8xf32>) -> tensor<2x2x2x2x8xf32> {
  %i = tensor.empty() : tensor<4x4x2x32xf32>
  %m = linalg.transpose ins(%v : tensor<4x2x4x32xf32>) outs(%i : tensor<4x4x2x32xf32>) permutation = [0, 2, 1, 3]
  %c = tensor.collapse_shape %m [[0, 1], [2, 3]] : tensor<4x4x2x32xf32> into tensor<16x64xf32>
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %mm = linalg.matmul ins(%c, %w : tensor<16x64xf32>, tensor<64x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  %e = tensor.expand_shape %mm [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %j = tensor.empty() : tensor<2x2x2x2x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%residual, %e : tensor<2x2x2x2x8xf32>, tensor<2x2x2x2x8xf32>) outs(%j : tensor<2x2x2x2x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<2x2x2x2x8xf32>
  return %r : tensor<2x2x2x2x8xf32>
}

// -----

// A residual add reading the projection's result through the window
// reverse: IREE's transpose propagation would move the permuted read into
// the matmul's output (5 parallel loops). Refused: the transpose stays.
// CHECK-LABEL: func.func @no_fold_into_reader_of_contraction_off_matmul_pipeline
// CHECK: linalg.matmul
// CHECK: linalg.transpose
// CHECK: linalg.generic
func.func @no_fold_into_reader_of_contraction_off_matmul_pipeline(%x: tensor<16x8xf32>, %w: tensor<8x8xf32>, %res: tensor<16x8xf32>) -> tensor<16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  %e = tensor.expand_shape %mm [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %j = tensor.empty() : tensor<2x2x2x2x8xf32>
  %t = linalg.transpose ins(%e : tensor<2x2x2x2x8xf32>) outs(%j : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %r = tensor.collapse_shape %t [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<16x8xf32>
  %o = tensor.empty() : tensor<16x8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%r, %res : tensor<16x8xf32>, tensor<16x8xf32>) outs(%o : tensor<16x8xf32>) {
  ^bb0(%p: f32, %q: f32, %out: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  return %sum : tensor<16x8xf32>
}
