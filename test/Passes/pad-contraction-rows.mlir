// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-pad-contraction-rows{multiple=8 min-rows=8},canonicalize,cse)' %s | FileCheck %s
// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-pad-contraction-rows,canonicalize,cse)' %s | FileCheck %s --check-prefix=DEFAULT

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>
// A linear block on 13 rows (multiple 8): the input is padded once (CSE
// merges the residual's pad with the left operand's), both matmuls, the bias
// add, the GELU-like op reading the value twice, the residual add and the
// row sum behind it (the next LayerNorm) run on 16 rows; each result is
// sliced back at the return.
// CHECK-LABEL: func.func @pad_linear_block
// CHECK: %[[X:.+]] = tensor.pad %arg0 low[0, 0] high[3, 0]
// CHECK: %[[H:.+]] = linalg.matmul ins(%[[X]], %arg1 : tensor<16x8xf32>, tensor<8x16xf32>)
// CHECK: %[[B:.+]] = linalg.generic {{.*}} ins(%[[H]], %arg2 : tensor<16x16xf32>, tensor<16xf32>)
// CHECK: %[[G:.+]] = linalg.generic {{.*}} ins(%[[B]], %[[B]] : tensor<16x16xf32>, tensor<16x16xf32>)
// CHECK: %[[Y:.+]] = linalg.matmul ins(%[[G]], %arg3 : tensor<16x16xf32>, tensor<16x8xf32>)
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[Y]], %[[X]] : tensor<16x8xf32>, tensor<16x8xf32>)
// CHECK-DAG: %[[RS:.+]] = tensor.extract_slice %[[R]][0, 0] [13, 8] [1, 1]
// CHECK-DAG: %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[R]] : tensor<16x8xf32>) outs(%{{.+}} : tensor<16xf32>)
// CHECK-DAG: %[[SUMS:.+]] = tensor.extract_slice %[[SUM]][0] [13] [1]
// CHECK: return %[[RS]], %[[SUMS]]
// DEFAULT-LABEL: func.func @pad_linear_block
// DEFAULT-NOT: tensor.pad
func.func @pad_linear_block(%x: tensor<13x8xf32>, %w1: tensor<8x16xf32>, %b1: tensor<16xf32>, %w2: tensor<16x8xf32>) -> (tensor<13x8xf32>, tensor<13xf32>) {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<13x16xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<13x16xf32>) -> tensor<13x16xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<13x8xf32>, tensor<8x16xf32>) outs(%f1 : tensor<13x16xf32>) -> tensor<13x16xf32>
  %hb = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%h, %b1 : tensor<13x16xf32>, tensor<16xf32>) outs(%e1 : tensor<13x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<13x16xf32>
  %g = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%hb, %hb : tensor<13x16xf32>, tensor<13x16xf32>) outs(%e1 : tensor<13x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %t = math.erf %b : f32
    %s = arith.mulf %a, %t : f32
    linalg.yield %s : f32
  } -> tensor<13x16xf32>
  %e2 = tensor.empty() : tensor<13x8xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<13x8xf32>) -> tensor<13x8xf32>
  %y = linalg.matmul ins(%g, %w2 : tensor<13x16xf32>, tensor<16x8xf32>) outs(%f2 : tensor<13x8xf32>) -> tensor<13x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%y, %x : tensor<13x8xf32>, tensor<13x8xf32>) outs(%e2 : tensor<13x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<13x8xf32>
  %e3 = tensor.empty() : tensor<13xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<13xf32>) -> tensor<13xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%r : tensor<13x8xf32>) outs(%f3 : tensor<13xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<13xf32>
  return %r, %sum : tensor<13x8xf32>, tensor<13xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// The producer of the left operand has another user: it is computed on
// padded rows (its input padded), the other user reads a slice; the row sum
// (a reduction over columns) and its broadcast stay on padded rows.
// CHECK-LABEL: func.func @pad_producer_and_row_reduction
// CHECK: %[[X:.+]] = tensor.pad %arg0 low[0, 0] high[3, 0]
// CHECK: %[[A:.+]] = linalg.generic {{.*}} ins(%[[X]] : tensor<16x8xf32>)
// CHECK: %[[AS:.+]] = tensor.extract_slice %[[A]][0, 0] [13, 8] [1, 1]
// CHECK: %[[Y:.+]] = linalg.matmul ins(%[[A]], %arg1 : tensor<16x8xf32>, tensor<8x8xf32>)
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[Y]] : tensor<16x8xf32>) outs(%{{.+}} : tensor<16xf32>)
// CHECK: %[[N:.+]] = linalg.generic {{.*}} ins(%[[Y]], %[[SUM]] : tensor<16x8xf32>, tensor<16xf32>)
// CHECK: %[[NS:.+]] = tensor.extract_slice %[[N]][0, 0] [13, 8] [1, 1]
// CHECK: return %[[NS]], %[[AS]]
func.func @pad_producer_and_row_reduction(%x: tensor<13x8xf32>, %w: tensor<8x8xf32>) -> (tensor<13x8xf32>, tensor<13x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<13x8xf32>
  %er = tensor.empty() : tensor<13xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<13x8xf32>) outs(%e : tensor<13x8xf32>) {
  ^bb0(%i: f32, %o: f32):
    %s = math.tanh %i : f32
    linalg.yield %s : f32
  } -> tensor<13x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<13x8xf32>) -> tensor<13x8xf32>
  %y = linalg.matmul ins(%a, %w : tensor<13x8xf32>, tensor<8x8xf32>) outs(%f : tensor<13x8xf32>) -> tensor<13x8xf32>
  %fr = linalg.fill ins(%zero : f32) outs(%er : tensor<13xf32>) -> tensor<13xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%y : tensor<13x8xf32>) outs(%fr : tensor<13xf32>) {
  ^bb0(%i: f32, %o: f32):
    %s = arith.addf %i, %o : f32
    linalg.yield %s : f32
  } -> tensor<13xf32>
  %n = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%y, %sum : tensor<13x8xf32>, tensor<13xf32>) outs(%e : tensor<13x8xf32>) {
  ^bb0(%i: f32, %m: f32, %o: f32):
    %s = arith.subf %i, %m : f32
    linalg.yield %s : f32
  } -> tensor<13x8xf32>
  return %n, %a : tensor<13x8xf32>, tensor<13x8xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>
// A fused projection sliced by columns: the column slices keep the padded
// rows; the queries side of the score contraction and the softmax over keys
// run on 16 rows; the keys (read by the key loop, which mixes rows) are
// sliced back to 13 rows.
// CHECK-LABEL: func.func @pad_fused_projection_slices
// CHECK: %[[X:.+]] = tensor.pad %arg0 low[0, 0, 0] high[0, 3, 0]
// CHECK: %[[P:.+]] = linalg.batch_matmul ins(%[[X]], %arg1 : tensor<1x16x8xf32>, tensor<1x8x16xf32>)
// CHECK-DAG: %[[Q:.+]] = tensor.extract_slice %[[P]][0, 0, 0] [1, 16, 8] [1, 1, 1] : tensor<1x16x16xf32> to tensor<16x8xf32>
// CHECK-DAG: %[[K16:.+]] = tensor.extract_slice %[[P]][0, 0, 8] [1, 16, 8] [1, 1, 1] : tensor<1x16x16xf32> to tensor<16x8xf32>
// CHECK: %[[K:.+]] = tensor.extract_slice %[[K16]][0, 0] [13, 8] [1, 1]
// CHECK: %[[S:.+]] = linalg.generic {{.*}} ins(%[[Q]], %[[K]] : tensor<16x8xf32>, tensor<13x8xf32>)
// CHECK: %[[SM:.+]] = linalg.softmax dimension(1) ins(%[[S]] : tensor<16x13xf32>)
// CHECK: %[[R:.+]] = tensor.extract_slice %[[SM]][0, 0] [13, 13] [1, 1]
// CHECK: return %[[R]]
func.func @pad_fused_projection_slices(%x: tensor<1x13x8xf32>, %w: tensor<1x8x16xf32>) -> tensor<13x13xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x13x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x13x16xf32>) -> tensor<1x13x16xf32>
  %qk = linalg.batch_matmul ins(%x, %w : tensor<1x13x8xf32>, tensor<1x8x16xf32>) outs(%f : tensor<1x13x16xf32>) -> tensor<1x13x16xf32>
  %q = tensor.extract_slice %qk[0, 0, 0] [1, 13, 8] [1, 1, 1] : tensor<1x13x16xf32> to tensor<13x8xf32>
  %k = tensor.extract_slice %qk[0, 0, 8] [1, 13, 8] [1, 1, 1] : tensor<1x13x16xf32> to tensor<13x8xf32>
  %es = tensor.empty() : tensor<13x13xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<13x13xf32>) -> tensor<13x13xf32>
  %s = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%q, %k : tensor<13x8xf32>, tensor<13x8xf32>) outs(%fs : tensor<13x13xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %o, %m : f32
    linalg.yield %t : f32
  } -> tensor<13x13xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<13x13xf32>) outs(%es : tensor<13x13xf32>) -> tensor<13x13xf32>
  return %p : tensor<13x13xf32>
}

// -----

// 16 rows are a multiple of 8: left alone.
// CHECK-LABEL: func.func @no_pad_aligned_rows
// CHECK-NOT: tensor.pad
// CHECK: linalg.matmul {{.*}} -> tensor<16x8xf32>
func.func @no_pad_aligned_rows(%x: tensor<16x8xf32>, %w: tensor<8x8xf32>) -> tensor<16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<16x8xf32>) -> tensor<16x8xf32>
  %y = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x8xf32>) outs(%f : tensor<16x8xf32>) -> tensor<16x8xf32>
  return %y : tensor<16x8xf32>
}

// -----

// 7 rows are below min-rows (8): left alone.
// CHECK-LABEL: func.func @no_pad_few_rows
// CHECK-NOT: tensor.pad
// CHECK: linalg.matmul {{.*}} -> tensor<7x8xf32>
func.func @no_pad_few_rows(%x: tensor<7x8xf32>, %w: tensor<8x8xf32>) -> tensor<7x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<7x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<7x8xf32>) -> tensor<7x8xf32>
  %y = linalg.matmul ins(%x, %w : tensor<7x8xf32>, tensor<8x8xf32>) outs(%f : tensor<7x8xf32>) -> tensor<7x8xf32>
  return %y : tensor<7x8xf32>
}

// -----

// A dynamic row count: left alone.
// CHECK-LABEL: func.func @no_pad_dynamic_rows
// CHECK-NOT: tensor.pad
// CHECK: linalg.matmul {{.*}} -> tensor<?x8xf32>
func.func @no_pad_dynamic_rows(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %init: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%init : tensor<?x8xf32>) -> tensor<?x8xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x8xf32>) outs(%f : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#gram_a = affine_map<(d0, d1, d2) -> (d2, d0)>
#gram_b = affine_map<(d0, d1, d2) -> (d2, d1)>
#gram_out = affine_map<(d0, d1, d2) -> (d0, d1)>
// The activation is read by a contraction that sums over rows: its padded
// rows would have to be sliced off in front of that contraction, a copy
// dispatch in IREE; nothing is padded.
// CHECK-LABEL: func.func @no_pad_rows_sliced_into_contraction
// CHECK-NOT: tensor.pad
// CHECK: linalg.matmul {{.*}} -> tensor<13x8xf32>
func.func @no_pad_rows_sliced_into_contraction(%x: tensor<13x8xf32>, %w: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<13x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<13x8xf32>) -> tensor<13x8xf32>
  %y = linalg.matmul ins(%x, %w : tensor<13x8xf32>, tensor<8x8xf32>) outs(%f : tensor<13x8xf32>) -> tensor<13x8xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<13x8xf32>) outs(%e : tensor<13x8xf32>) {
  ^bb0(%i: f32, %o: f32):
    %t = math.tanh %i : f32
    linalg.yield %t : f32
  } -> tensor<13x8xf32>
  %eg = tensor.empty() : tensor<8x8xf32>
  %fg = linalg.fill ins(%zero : f32) outs(%eg : tensor<8x8xf32>) -> tensor<8x8xf32>
  %gram = linalg.generic {indexing_maps = [#gram_a, #gram_b, #gram_out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%g, %g : tensor<13x8xf32>, tensor<13x8xf32>) outs(%fg : tensor<8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x8xf32>
  return %gram : tensor<8x8xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#chan = affine_map<(d0, d1, d2) -> (d2)>
// The result's rows are split into windows (2 x 7) before the bias add:
// slicing right after the matmul would cut its epilogue off; left alone.
// CHECK-LABEL: func.func @no_pad_result_rows_split
// CHECK-NOT: tensor.pad
// CHECK: linalg.matmul {{.*}} -> tensor<14x8xf32>
func.func @no_pad_result_rows_split(%x: tensor<14x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> tensor<2x7x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<14x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<14x8xf32>) -> tensor<14x8xf32>
  %y = linalg.matmul ins(%x, %w : tensor<14x8xf32>, tensor<8x8xf32>) outs(%f : tensor<14x8xf32>) -> tensor<14x8xf32>
  %w2 = tensor.expand_shape %y [[0, 1], [2]] output_shape [2, 7, 8] : tensor<14x8xf32> into tensor<2x7x8xf32>
  %e3 = tensor.empty() : tensor<2x7x8xf32>
  %r = linalg.generic {indexing_maps = [#id3, #chan, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%w2, %b : tensor<2x7x8xf32>, tensor<8xf32>) outs(%e3 : tensor<2x7x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x7x8xf32>
  return %r : tensor<2x7x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
// The bias add is read only across a row split (ConvNeXt-T's downsampling
// matmul, whose output is reshaped to an image): the slice back would sit
// behind the bias add, and IREE moves such a slice above an elementwise op
// it alone reads, between the matmul and its bias add, which would then be
// a dispatch of its own; left alone.
// CHECK-LABEL: func.func @no_pad_epilogue_sliced_back
// CHECK-NOT: tensor.pad
// CHECK: linalg.matmul {{.*}} -> tensor<14x8xf32>
func.func @no_pad_epilogue_sliced_back(%x: tensor<14x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> tensor<2x7x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<14x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<14x8xf32>) -> tensor<14x8xf32>
  %y = linalg.matmul ins(%x, %w : tensor<14x8xf32>, tensor<8x8xf32>) outs(%f : tensor<14x8xf32>) -> tensor<14x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%y, %b : tensor<14x8xf32>, tensor<8xf32>) outs(%e : tensor<14x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<14x8xf32>
  %image = tensor.expand_shape %r [[0, 1], [2]] output_shape [2, 7, 8] : tensor<14x8xf32> into tensor<2x7x8xf32>
  return %image : tensor<2x7x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#swap = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// Swin's LayerNorm after a non-shifted window attention: it reads the
// residual add through a row merge, and the add reads the attention's
// output through a permutation (the window reverse). The LayerNorm stays on
// its 15 rows, so that the add can join its dispatch later; the linear
// layer runs on 16 rows and reads the LayerNorm's result padded.
// CHECK-LABEL: func.func @normalization_after_permuted_add_stays_unpadded
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<15xf32>)
// CHECK: %[[C:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<15x8xf32>)
// CHECK: %[[CP:.+]] = tensor.pad %[[C]] low[0, 0] high[1, 0]
// CHECK: %[[Y:.+]] = linalg.matmul ins(%[[CP]], %arg2 : tensor<16x8xf32>, tensor<8x16xf32>)
// CHECK: %[[YB:.+]] = linalg.generic {{.*}} ins(%[[Y]], %arg3 : tensor<16x16xf32>, tensor<16xf32>)
// CHECK: tensor.extract_slice %[[YB]][0, 0] [15, 16] [1, 1]
func.func @normalization_after_permuted_add_stays_unpadded(%x: tensor<3x5x8xf32>, %attention: tensor<5x3x8xf32>, %w: tensor<8x16xf32>, %bias: tensor<16xf32>) -> (tensor<15x16xf32>, tensor<15xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 8.0 : f32
  %e3 = tensor.empty() : tensor<3x5x8xf32>
  %sum3 = linalg.generic {indexing_maps = [#id3, #swap, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %attention : tensor<3x5x8xf32>, tensor<5x3x8xf32>) outs(%e3 : tensor<3x5x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<3x5x8xf32>
  %rows = tensor.collapse_shape %sum3 [[0, 1], [2]] : tensor<3x5x8xf32> into tensor<15x8xf32>
  %e1 = tensor.empty() : tensor<15xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<15xf32>) -> tensor<15xf32>
  %mean = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%rows : tensor<15x8xf32>) outs(%z1 : tensor<15xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<15xf32>
  %e2 = tensor.empty() : tensor<15x8xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%rows, %mean : tensor<15x8xf32>, tensor<15xf32>) outs(%e2 : tensor<15x8xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<15x8xf32>
  %e4 = tensor.empty() : tensor<15x16xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<15x16xf32>) -> tensor<15x16xf32>
  %y = linalg.matmul ins(%centered, %w : tensor<15x8xf32>, tensor<8x16xf32>) outs(%f4 : tensor<15x16xf32>) -> tensor<15x16xf32>
  %yb = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>, #id], iterator_types = ["parallel", "parallel"]} ins(%y, %bias : tensor<15x16xf32>, tensor<16xf32>) outs(%e4 : tensor<15x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<15x16xf32>
  %rowsum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%yb : tensor<15x16xf32>) outs(%z1 : tensor<15xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<15xf32>
  return %yb, %rowsum : tensor<15x16xf32>, tensor<15xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#swap = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// Negative: the add reads its inputs in order (IREE fuses it into its
// producer's dispatch), so the LayerNorm joins the padded region as before:
// its row merge is padded.
// CHECK-LABEL: func.func @normalization_after_plain_add_padded
// CHECK: %[[RP:.+]] = tensor.pad %{{.+}} low[0, 0] high[1, 0]
// CHECK: linalg.generic {{.*}} ins(%[[RP]] : tensor<16x8xf32>) outs(%{{.+}} : tensor<16xf32>)
// CHECK: linalg.matmul ins(%{{.+}}, %arg2 : tensor<16x8xf32>, tensor<8x16xf32>)
func.func @normalization_after_plain_add_padded(%x: tensor<3x5x8xf32>, %attention: tensor<3x5x8xf32>, %w: tensor<8x16xf32>, %bias: tensor<16xf32>) -> (tensor<15x16xf32>, tensor<15xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 8.0 : f32
  %e3 = tensor.empty() : tensor<3x5x8xf32>
  %sum3 = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %attention : tensor<3x5x8xf32>, tensor<3x5x8xf32>) outs(%e3 : tensor<3x5x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<3x5x8xf32>
  %rows = tensor.collapse_shape %sum3 [[0, 1], [2]] : tensor<3x5x8xf32> into tensor<15x8xf32>
  %e1 = tensor.empty() : tensor<15xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<15xf32>) -> tensor<15xf32>
  %mean = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%rows : tensor<15x8xf32>) outs(%z1 : tensor<15xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<15xf32>
  %e2 = tensor.empty() : tensor<15x8xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%rows, %mean : tensor<15x8xf32>, tensor<15xf32>) outs(%e2 : tensor<15x8xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<15x8xf32>
  %e4 = tensor.empty() : tensor<15x16xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<15x16xf32>) -> tensor<15x16xf32>
  %y = linalg.matmul ins(%centered, %w : tensor<15x8xf32>, tensor<8x16xf32>) outs(%f4 : tensor<15x16xf32>) -> tensor<15x16xf32>
  %yb = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>, #id], iterator_types = ["parallel", "parallel"]} ins(%y, %bias : tensor<15x16xf32>, tensor<16xf32>) outs(%e4 : tensor<15x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<15x16xf32>
  %rowsum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%yb : tensor<15x16xf32>) outs(%z1 : tensor<15xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<15xf32>
  return %yb, %rowsum : tensor<15x16xf32>, tensor<15xf32>
}
