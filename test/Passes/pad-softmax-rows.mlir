// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-pad-softmax-rows,canonicalize,cse)' %s | FileCheck %s
// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-pad-softmax-rows{multiple=4},canonicalize,cse)' %s | FileCheck %s --check-prefix=FOUR

// Window attention scores (Swin: batch_matmul, head split, scale and bias,
// softmax over the 7 keys): the keys operand is padded with zeros to 32
// columns, everything up to the softmax runs on 32 columns, the padded
// columns are masked to -inf and the softmax result is sliced back at its
// consumer (after the collapse).
// CHECK-LABEL: func.func @pad_through_batch_matmul
// CHECK-DAG: %[[NEG:.+]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[KT:.+]] = tensor.pad %arg1 low[0, 0, 0] high[0, 0, 25]
// CHECK: tensor.yield %[[ZERO]]
// CHECK: %[[S:.+]] = linalg.batch_matmul ins(%arg0, %[[KT]] : tensor<6x7x4xf32>, tensor<6x4x32xf32>) {{.*}} -> tensor<6x7x32xf32>
// CHECK: %[[E:.+]] = tensor.expand_shape %[[S]] {{.*}} into tensor<2x3x7x32xf32>
// CHECK: %[[BIAS:.+]] = tensor.pad %arg2 low[0, 0, 0] high[0, 0, 25]
// CHECK: %[[W:.+]] = linalg.generic {{.*}} ins(%[[E]], %[[BIAS]] : tensor<2x3x7x32xf32>, tensor<3x7x32xf32>)
// CHECK: %[[M:.+]] = linalg.generic {{.*}} ins(%[[W]] : tensor<2x3x7x32xf32>)
// CHECK: linalg.index 3
// CHECK: arith.cmpi ult
// CHECK: arith.select %{{.+}}, %{{.+}}, %[[NEG]]
// CHECK: %[[P:.+]] = linalg.softmax dimension(3) ins(%[[M]] : tensor<2x3x7x32xf32>)
// CHECK: %[[C:.+]] = tensor.collapse_shape %[[P]] {{.*}} into tensor<6x7x32xf32>
// CHECK: %[[R:.+]] = tensor.extract_slice %[[C]][0, 0, 0] [6, 7, 7] [1, 1, 1]
// CHECK: return %[[R]] : tensor<6x7x7xf32>
// FOUR-LABEL: func.func @pad_through_batch_matmul
// FOUR: tensor.pad %arg1 low[0, 0, 0] high[0, 0, 1]
// FOUR: linalg.softmax dimension(3) {{.*}} -> tensor<2x3x7x8xf32>
func.func @pad_through_batch_matmul(%q: tensor<6x7x4xf32>, %kt: tensor<6x4x7xf32>, %bias: tensor<3x7x7xf32>) -> tensor<6x7x7xf32> {
  %zero = arith.constant 0.0 : f32
  %scale = arith.constant 0.5 : f32
  %s0 = tensor.empty() : tensor<6x7x7xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<6x7x7xf32>) -> tensor<6x7x7xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<6x7x4xf32>, tensor<6x4x7xf32>) outs(%sf : tensor<6x7x7xf32>) -> tensor<6x7x7xf32>
  %e = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 7, 7] : tensor<6x7x7xf32> into tensor<2x3x7x7xf32>
  %w0 = tensor.empty() : tensor<2x3x7x7xf32>
  %w = linalg.generic {indexing_maps = [affine_map<(a, h, i, j) -> (a, h, i, j)>, affine_map<(a, h, i, j) -> (h, i, j)>, affine_map<(a, h, i, j) -> (a, h, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e, %bias : tensor<2x3x7x7xf32>, tensor<3x7x7xf32>) outs(%w0 : tensor<2x3x7x7xf32>) {
  ^bb0(%x: f32, %b: f32, %o: f32):
    %m = arith.mulf %x, %scale : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x3x7x7xf32>
  %p = linalg.softmax dimension(3) ins(%w : tensor<2x3x7x7xf32>) outs(%w0 : tensor<2x3x7x7xf32>) -> tensor<2x3x7x7xf32>
  %c = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x3x7x7xf32> into tensor<6x7x7xf32>
  return %c : tensor<6x7x7xf32>
}

// -----

// The keys come from a transposing bias add (the head split written as
// K^T): the pad goes on the producer's result in the shape IREE collapses
// it to (heads x head dim merged), so IREE fuses it into that producer.
// CHECK-LABEL: func.func @pad_keys_in_collapsed_producer_shape
// CHECK: %[[KT:.+]] = linalg.generic
// CHECK: } -> tensor<2x3x4x7xf32>
// CHECK: %[[C:.+]] = tensor.collapse_shape %[[KT]] {{\[}}[0], [1, 2], [3]] : tensor<2x3x4x7xf32> into tensor<2x12x7xf32>
// CHECK: %[[P:.+]] = tensor.pad %[[C]] low[0, 0, 0] high[0, 0, 25]
// CHECK: tensor.collapse_shape %{{.+}} {{.*}} into tensor<6x4x32xf32>
// CHECK: linalg.batch_matmul {{.*}} -> tensor<6x7x32xf32>
// CHECK: linalg.softmax dimension(2) {{.*}} -> tensor<6x7x32xf32>
// CHECK: tensor.extract_slice {{.*}} [6, 7, 7] [1, 1, 1]
func.func @pad_keys_in_collapsed_producer_shape(%q: tensor<6x7x4xf32>, %k: tensor<2x7x12xf32>, %kb: tensor<3x4xf32>) -> tensor<6x7x7xf32> {
  %zero = arith.constant 0.0 : f32
  %ke = tensor.expand_shape %k [[0], [1], [2, 3]] output_shape [2, 7, 3, 4] : tensor<2x7x12xf32> into tensor<2x7x3x4xf32>
  %kt0 = tensor.empty() : tensor<2x3x4x7xf32>
  %kt = linalg.generic {indexing_maps = [affine_map<(a, j, h, c) -> (a, j, h, c)>, affine_map<(a, j, h, c) -> (h, c)>, affine_map<(a, j, h, c) -> (a, h, c, j)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ke, %kb : tensor<2x7x3x4xf32>, tensor<3x4xf32>) outs(%kt0 : tensor<2x3x4x7xf32>) {
  ^bb0(%x: f32, %b: f32, %o: f32):
    %r = arith.addf %x, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x3x4x7xf32>
  %ktc = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x3x4x7xf32> into tensor<6x4x7xf32>
  %s0 = tensor.empty() : tensor<6x7x7xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<6x7x7xf32>) -> tensor<6x7x7xf32>
  %s = linalg.batch_matmul ins(%q, %ktc : tensor<6x7x4xf32>, tensor<6x4x7xf32>) outs(%sf : tensor<6x7x7xf32>) -> tensor<6x7x7xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<6x7x7xf32>) outs(%s0 : tensor<6x7x7xf32>) -> tensor<6x7x7xf32>
  return %p : tensor<6x7x7xf32>
}

// -----

// A softmax of a function argument: its input is padded with -inf.
// CHECK-LABEL: func.func @pad_softmax_alone
// CHECK: %[[NEG:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[X:.+]] = tensor.pad %arg0 low[0, 0] high[0, 27]
// CHECK: tensor.yield %[[NEG]]
// CHECK: %[[P:.+]] = linalg.softmax dimension(1) ins(%[[X]] : tensor<3x32xf32>)
// CHECK: tensor.extract_slice %[[P]][0, 0] [3, 5] [1, 1]
func.func @pad_softmax_alone(%x: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %o = tensor.empty() : tensor<3x5xf32>
  %p = linalg.softmax dimension(1) ins(%x : tensor<3x5xf32>) outs(%o : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %p : tensor<3x5xf32>
}

// -----

// The scores are also returned: padding the contraction would change what
// the other user reads, so only the softmax input is padded (with -inf).
// CHECK-LABEL: func.func @no_pad_through_shared_scores
// CHECK: %[[S:.+]] = linalg.batch_matmul {{.*}} -> tensor<2x5x5xf32>
// CHECK: tensor.pad %[[S]] low[0, 0, 0] high[0, 0, 27]
// CHECK: linalg.softmax dimension(2) {{.*}} -> tensor<2x5x32xf32>
// CHECK: return %{{.+}}, %[[S]]
func.func @no_pad_through_shared_scores(%q: tensor<2x5x4xf32>, %kt: tensor<2x4x5xf32>) -> (tensor<2x5x5xf32>, tensor<2x5x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<2x5x5xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<2x5x4xf32>, tensor<2x4x5xf32>) outs(%sf : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x5x5xf32>) outs(%s0 : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  return %p, %s : tensor<2x5x5xf32>, tensor<2x5x5xf32>
}

// -----

// The contraction accumulates into a computed tensor, not a zero fill: the
// padded columns would hold that tensor's padding; only the softmax is padded.
// CHECK-LABEL: func.func @no_pad_through_accumulating_contraction
// CHECK: %[[S:.+]] = linalg.batch_matmul ins(%arg0, %arg1 : tensor<2x5x4xf32>, tensor<2x4x5xf32>) outs(%arg2 : tensor<2x5x5xf32>)
// CHECK: tensor.pad %[[S]] low[0, 0, 0] high[0, 0, 27]
func.func @no_pad_through_accumulating_contraction(%q: tensor<2x5x4xf32>, %kt: tensor<2x4x5xf32>, %acc: tensor<2x5x5xf32>) -> tensor<2x5x5xf32> {
  %s = linalg.batch_matmul ins(%q, %kt : tensor<2x5x4xf32>, tensor<2x4x5xf32>) outs(%acc : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %o = tensor.empty() : tensor<2x5x5xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x5x5xf32>) outs(%o : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  return %p : tensor<2x5x5xf32>
}

// -----

// A reshape merges the softmax dim with another: the walk stops there and
// only the softmax is padded.
// CHECK-LABEL: func.func @no_pad_through_merging_reshape
// CHECK: linalg.matmul {{.*}} -> tensor<5x10xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<5x2x5xf32>
// CHECK: tensor.pad %{{.+}} low[0, 0, 0] high[0, 0, 27]
func.func @no_pad_through_merging_reshape(%a: tensor<5x4xf32>, %b: tensor<4x10xf32>) -> tensor<5x2x5xf32> {
  %zero = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<5x10xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<5x10xf32>) -> tensor<5x10xf32>
  %s = linalg.matmul ins(%a, %b : tensor<5x4xf32>, tensor<4x10xf32>) outs(%sf : tensor<5x10xf32>) -> tensor<5x10xf32>
  %e = tensor.expand_shape %s [[0], [1, 2]] output_shape [5, 2, 5] : tensor<5x10xf32> into tensor<5x2x5xf32>
  %o = tensor.empty() : tensor<5x2x5xf32>
  %p = linalg.softmax dimension(2) ins(%e : tensor<5x2x5xf32>) outs(%o : tensor<5x2x5xf32>) -> tensor<5x2x5xf32>
  return %p : tensor<5x2x5xf32>
}

// -----

// Rows of 64 are already a multiple of 32: nothing changes.
// CHECK-LABEL: func.func @no_pad_aligned_row
// CHECK-NOT: tensor.pad
// CHECK: linalg.softmax dimension(1) ins(%arg0 : tensor<3x64xf32>)
// FOUR-LABEL: func.func @no_pad_aligned_row
// FOUR-NOT: tensor.pad
func.func @no_pad_aligned_row(%x: tensor<3x64xf32>) -> tensor<3x64xf32> {
  %o = tensor.empty() : tensor<3x64xf32>
  %p = linalg.softmax dimension(1) ins(%x : tensor<3x64xf32>) outs(%o : tensor<3x64xf32>) -> tensor<3x64xf32>
  return %p : tensor<3x64xf32>
}

// -----

// Dynamic shapes are left alone.
// CHECK-LABEL: func.func @no_pad_dynamic_shape
// CHECK-NOT: tensor.pad
// FOUR-LABEL: func.func @no_pad_dynamic_shape
func.func @no_pad_dynamic_shape(%x: tensor<?x5xf32>, %o: tensor<?x5xf32>) -> tensor<?x5xf32> {
  %p = linalg.softmax dimension(1) ins(%x : tensor<?x5xf32>) outs(%o : tensor<?x5xf32>) -> tensor<?x5xf32>
  return %p : tensor<?x5xf32>
}

// -----

// The contraction reads the column loop inside an expression (a shifted
// window of the keys): padding that operand would not pad the columns, so
// only the softmax input is padded.
// CHECK-LABEL: func.func @no_pad_through_contraction_reading_columns_in_an_expression
// CHECK: %[[S:.+]] = linalg.generic
// CHECK: } -> tensor<2x5x5xf32>
// CHECK: tensor.pad %[[S]] low[0, 0, 0] high[0, 0, 27]
func.func @no_pad_through_contraction_reading_columns_in_an_expression(%q: tensor<2x5x4xf32>, %kt: tensor<2x4x9xf32>) -> tensor<2x5x5xf32> {
  %zero = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<2x5x5xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(b, i, j, k) -> (b, i, k)>, affine_map<(b, i, j, k) -> (b, k, j + k)>, affine_map<(b, i, j, k) -> (b, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%q, %kt : tensor<2x5x4xf32>, tensor<2x4x9xf32>) outs(%sf : tensor<2x5x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x5x5xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x5x5xf32>) outs(%s0 : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  return %p : tensor<2x5x5xf32>
}
