// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-fuse-normalization-reductions)' %s | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
// A LayerNorm as IREE's global optimization leaves it: the sum, the
// centering, the sum of squares and the normalization, all over [8, 12].
// The four ops and the fill of the accumulators form one dispatch region.
// CHECK-LABEL: func.func @layernorm_one_dispatch
// CHECK: %[[REGION:.+]] = flow.dispatch.region -> (tensor<8x12xf32>) {
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: %[[SUM:.+]] = linalg.generic {{.*}}"reduction"]} ins(%arg0 : tensor<8x12xf32>)
// CHECK: %[[CENTERED:.+]] = linalg.generic {{.*}} ins(%arg0, %[[SUM]] :
// CHECK: %[[SQUARES:.+]] = linalg.generic {{.*}}"reduction"]} ins(%[[CENTERED]] :
// CHECK: %[[NORM:.+]] = linalg.generic {{.*}} ins(%[[CENTERED]], %[[SQUARES]], %arg1, %arg2 :
// CHECK: flow.return %[[NORM]]
// CHECK: return %[[REGION]]
func.func @layernorm_one_dispatch(%x: tensor<8x12xf32>, %g: tensor<12xf32>, %b: tensor<12xf32>) -> tensor<8x12xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 12.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<8xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %e = tensor.empty() : tensor<8x12xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %sum : tensor<8x12xf32>, tensor<8xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<8x12xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%centered, %squares, %g, %b : tensor<8x12xf32>, tensor<8xf32>, tensor<12xf32>, tensor<12xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%c: f32, %q: f32, %gg: f32, %bb: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    %t = arith.mulf %c, %r : f32
    %t2 = arith.mulf %t, %gg : f32
    %t3 = arith.addf %t2, %bb : f32
    linalg.yield %t3 : f32
  } -> tensor<8x12xf32>
  return %y : tensor<8x12xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// BERT's LayerNorm: the residual add in front is read by the LayerNorm
// only, so it moves in too (IREE fuses such producers); the mean is computed
// per row by its own generic, and so is the rsqrt of the variance.
// CHECK-LABEL: func.func @layernorm_residual_and_row_ops
// CHECK: %[[REGION:.+]] = flow.dispatch.region -> (tensor<8x12xf32>) {
// CHECK: %[[RES:.+]] = linalg.generic {{.*}} ins(%arg0, %arg1 :
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}"reduction"]} ins(%[[RES]] :
// CHECK: %[[MEAN:.+]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<8xf32>)
// CHECK: %[[SQUARES:.+]] = linalg.generic {{.*}}"reduction"]}
// CHECK: %[[RS:.+]] = linalg.generic {{.*}} ins(%[[SQUARES]] : tensor<8xf32>)
// CHECK: %[[NORM:.+]] = linalg.generic {{.*}} ins(%[[CENTERED:.+]], %[[RS]] :
// CHECK: flow.return %[[NORM]]
// CHECK: return %[[REGION]]
func.func @layernorm_residual_and_row_ops(%x: tensor<8x12xf32>, %y: tensor<8x12xf32>) -> tensor<8x12xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 12.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<8xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %e = tensor.empty() : tensor<8x12xf32>
  %res = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %y : tensor<8x12xf32>, tensor<8x12xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<8x12xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%res : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %mean = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%sum : tensor<8xf32>) outs(%re : tensor<8xf32>) {
  ^bb0(%s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%res, %mean : tensor<8x12xf32>, tensor<8xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<8x12xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %rs = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%squares : tensor<8xf32>) outs(%re : tensor<8xf32>) {
  ^bb0(%q: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %norm = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%centered, %rs : tensor<8x12xf32>, tensor<8xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%c: f32, %r: f32, %o: f32):
    %t = arith.mulf %c, %r : f32
    linalg.yield %t : f32
  } -> tensor<8x12xf32>
  return %norm : tensor<8x12xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#col3 = affine_map<(d0, d1, d2) -> (d2)>
#swap3 = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// Swin's LayerNorm writing the window partition, once
// smartmem-split-reduction-rows has split its rows [2, 4] everywhere: the
// normalization writes its result with the row loops swapped (4x2x12).
// That result holds one element per iteration, so it may leave the region.
// CHECK-LABEL: func.func @layernorm_writing_permuted_rows
// CHECK: %[[REGION:.+]] = flow.dispatch.region -> (tensor<4x2x12xf32>) {
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}"reduction"]} ins(%arg0 : tensor<2x4x12xf32>)
// CHECK: %[[CENTERED:.+]] = linalg.generic {{.*}} ins(%arg0, %[[SUM]] :
// CHECK: %[[SQUARES:.+]] = linalg.generic {{.*}}"reduction"]} ins(%[[CENTERED]] :
// CHECK: %[[NORM:.+]] = linalg.generic {{.*}} ins(%[[CENTERED]], %[[SQUARES]], %arg1 : {{.*}}) outs(%{{.+}} : tensor<4x2x12xf32>)
// CHECK: flow.return %[[NORM]]
// CHECK: return %[[REGION]]
func.func @layernorm_writing_permuted_rows(%x: tensor<2x4x12xf32>, %g: tensor<12xf32>) -> tensor<4x2x12xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 12.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<2x4xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<2x4xf32>) -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4x12xf32>
  %sum = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x4x12xf32>) outs(%rf : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %centered = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %sum : tensor<2x4x12xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4x12xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<2x4x12xf32>
  %squares = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%centered : tensor<2x4x12xf32>) outs(%rf : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %pe = tensor.empty() : tensor<4x2x12xf32>
  %y = linalg.generic {indexing_maps = [#id3, #row3, #col3, #swap3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%centered, %squares, %g : tensor<2x4x12xf32>, tensor<2x4xf32>, tensor<12xf32>) outs(%pe : tensor<4x2x12xf32>) {
  ^bb0(%c: f32, %q: f32, %gg: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    %t = arith.mulf %c, %r : f32
    %t2 = arith.mulf %t, %gg : f32
    linalg.yield %t2 : f32
  } -> tensor<4x2x12xf32>
  return %y : tensor<4x2x12xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
// Negative: the second reduction loops over split rows [2, 4, 12] (Swin's
// LayerNorm writing the window partition), the first over [8, 12]. One
// dispatch needs one iteration space: nothing is grouped.
// CHECK-LABEL: func.func @split_rows_not_fused
// CHECK-NOT: flow.dispatch.region
func.func @split_rows_not_fused(%x: tensor<8x12xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 12.0 : f32
  %re = tensor.empty() : tensor<8xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %x3 = tensor.expand_shape %x [[0, 1], [2]] output_shape [2, 4, 12] : tensor<8x12xf32> into tensor<2x4x12xf32>
  %s3 = tensor.expand_shape %sum [[0, 1]] output_shape [2, 4] : tensor<8xf32> into tensor<2x4xf32>
  %re2 = tensor.empty() : tensor<2x4xf32>
  %rf2 = linalg.fill ins(%zero : f32) outs(%re2 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %squares = linalg.generic {indexing_maps = [#id3, #row3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x3, %s3 : tensor<2x4x12xf32>, tensor<2x4xf32>) outs(%rf2 : tensor<2x4xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    %q = arith.mulf %d, %d : f32
    %r = arith.addf %q, %o : f32
    linalg.yield %r : f32
  } -> tensor<2x4xf32>
  return %squares : tensor<2x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// A LayerNorm computed on rows padded to 8 whose normalization reads 6 of
// them through slices (Swin's stage 3, rows padded 196 -> 224 for its
// linear layers). The slice of the centering sits between the two
// reductions; it is a view with no reader before the group ends, so it
// moves behind the group and the region forms, with the centering and the
// broadcast rstd as its results.
// CHECK-LABEL: func.func @sliced_padded_rows
// CHECK: %[[REGION:.+]]:2 = flow.dispatch.region -> (tensor<8x32xf32>, tensor<8x32xf32>) {
// CHECK: linalg.generic {{.*}}"reduction"]} ins(%arg0 : tensor<8x32xf32>)
// CHECK: flow.return
// CHECK: %[[CS:.+]] = tensor.extract_slice %[[REGION]]#0[0, 0] [6, 32] [1, 1]
// CHECK: %[[RS:.+]] = tensor.extract_slice %[[REGION]]#1[0, 0] [6, 32] [1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[CS]], %[[RS]] : tensor<6x32xf32>, tensor<6x32xf32>)
func.func @sliced_padded_rows(%x: tensor<8x32xf32>) -> tensor<6x32xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 32.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<8xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %e = tensor.empty() : tensor<8x32xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x32xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %sum : tensor<8x32xf32>, tensor<8xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<8x32xf32>
  %cs = tensor.extract_slice %centered[0, 0] [6, 32] [1, 1] : tensor<8x32xf32> to tensor<6x32xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<8x32xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %rb = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]} ins(%squares : tensor<8xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%q: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  %rs = tensor.extract_slice %rb[0, 0] [6, 32] [1, 1] : tensor<8x32xf32> to tensor<6x32xf32>
  %ye = tensor.empty() : tensor<6x32xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%cs, %rs : tensor<6x32xf32>, tensor<6x32xf32>) outs(%ye : tensor<6x32xf32>) {
  ^bb0(%c: f32, %r: f32, %o: f32):
    %t = arith.mulf %c, %r : f32
    linalg.yield %t : f32
  } -> tensor<6x32xf32>
  return %y : tensor<6x32xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// Negative: two reductions of the same rows that do not depend on each
// other (a sum and a max): IREE's own fusion decides, nothing is grouped.
// CHECK-LABEL: func.func @independent_reductions_not_fused
// CHECK-NOT: flow.dispatch.region
func.func @independent_reductions_not_fused(%x: tensor<8x12xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %re = tensor.empty() : tensor<8xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %mf = linalg.fill ins(%ninf : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x12xf32>) outs(%mf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.maximumf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %sum, %max : tensor<8xf32>, tensor<8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// Negative: a matmul outside the group reads the centered rows before the
// second reduction. The region would have to sit after the matmul that
// reads its result: nothing is grouped.
// CHECK-LABEL: func.func @reader_inside_the_span_not_fused
// CHECK-NOT: flow.dispatch.region
func.func @reader_inside_the_span_not_fused(%x: tensor<8x12xf32>, %w: tensor<12x4xf32>) -> (tensor<8xf32>, tensor<8x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 12.0 : f32
  %re = tensor.empty() : tensor<8xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %e = tensor.empty() : tensor<8x12xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %sum : tensor<8x12xf32>, tensor<8xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<8x12xf32>
  %me = tensor.empty() : tensor<8x4xf32>
  %mf = linalg.fill ins(%zero : f32) outs(%me : tensor<8x4xf32>) -> tensor<8x4xf32>
  %proj = linalg.matmul ins(%centered, %w : tensor<8x12xf32>, tensor<12x4xf32>) outs(%mf : tensor<8x4xf32>) -> tensor<8x4xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %squares, %proj : tensor<8xf32>, tensor<8x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// Negative: the first reduction is a contraction (a matmul's rows summed
// again): contractions keep their own dispatch on IREE's matmul pipeline.
// CHECK-LABEL: func.func @contraction_not_grouped
// CHECK-NOT: flow.dispatch.region
func.func @contraction_not_grouped(%x: tensor<8x12xf32>, %w: tensor<12x12xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x12xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x12xf32>) -> tensor<8x12xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<8x12xf32>, tensor<12x12xf32>) outs(%f : tensor<8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x12xf32>
  %re = tensor.empty() : tensor<8xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%p : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %sum : tensor<8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
// Negative: the row sums are also read outside the LayerNorm. The region
// would write an [8] and an [8, 12] result, which IREE's llvm-cpu backend
// cannot distribute over workgroups: nothing is grouped.
// CHECK-LABEL: func.func @mean_read_outside_not_fused
// CHECK-NOT: flow.dispatch.region
func.func @mean_read_outside_not_fused(%x: tensor<8x12xf32>, %g: tensor<12xf32>, %b: tensor<12xf32>) -> (tensor<8x12xf32>, tensor<8xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 12.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<8xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %e = tensor.empty() : tensor<8x12xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %sum : tensor<8x12xf32>, tensor<8xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<8x12xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%centered, %squares, %g, %b : tensor<8x12xf32>, tensor<8xf32>, tensor<12xf32>, tensor<12xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%c: f32, %q: f32, %gg: f32, %bb: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    %t = arith.mulf %c, %r : f32
    %t2 = arith.mulf %t, %gg : f32
    %t3 = arith.addf %t2, %bb : f32
    linalg.yield %t3 : f32
  } -> tensor<8x12xf32>
  return %y, %sum : tensor<8x12xf32>, tensor<8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#tr = affine_map<(d0, d1) -> (d1, d0)>
// Negative: the normalization writes its result transposed as well as in
// row order (ConvNeXt's LayerNorm feeding an NCHW residual). The reduced
// loop would be permuted in a result of the dispatch, which IREE's SPIR-V
// vectorization fails on (a vector<64xf32>): nothing is grouped.
// CHECK-LABEL: func.func @transposed_result_not_fused
// CHECK-NOT: flow.dispatch.region
func.func @transposed_result_not_fused(%x: tensor<8x12xf32>) -> (tensor<12x8xf32>, tensor<8x12xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 12.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<8xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %e = tensor.empty() : tensor<8x12xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %sum : tensor<8x12xf32>, tensor<8xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<8x12xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %te = tensor.empty() : tensor<12x8xf32>
  %y:2 = linalg.generic {indexing_maps = [#id, #row, #tr, #id], iterator_types = ["parallel", "parallel"]} ins(%centered, %squares : tensor<8x12xf32>, tensor<8xf32>) outs(%te, %e : tensor<12x8xf32>, tensor<8x12xf32>) {
  ^bb0(%c: f32, %q: f32, %o: f32, %o2: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    %t = arith.mulf %c, %r : f32
    linalg.yield %t, %t : f32, f32
  } -> (tensor<12x8xf32>, tensor<8x12xf32>)
  return %y#0, %y#1 : tensor<12x8xf32>, tensor<8x12xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#swap = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
// Swin's residual add after a non-shifted window attention reads the
// attention's output through the window reverse (a permuted read), so IREE
// gives it a dispatch of its own. It joins the LayerNorm's region although
// the later residual add reads it too (through a reshape, which moves
// behind the region): the region writes both the sum and the normalized
// rows.
// CHECK-LABEL: func.func @permuted_producer_joins_region
// CHECK: %[[REGION:.+]]:2 = flow.dispatch.region -> (tensor<2x4x12xf32>, tensor<2x4x12xf32>) {
// CHECK: %[[RES:.+]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<2x4x12xf32>, tensor<4x2x12xf32>)
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}"reduction"]} ins(%[[RES]] :
// CHECK: flow.return %[[RES]], %{{.+}} : tensor<2x4x12xf32>, tensor<2x4x12xf32>
// CHECK: %[[ROWS:.+]] = tensor.collapse_shape %[[REGION]]#0
// CHECK: %[[LATER:.+]] = linalg.generic {{.*}} ins(%[[ROWS]], %{{.+}} : tensor<8x12xf32>, tensor<8x12xf32>)
// CHECK: return %[[REGION]]#1, %[[LATER]]
func.func @permuted_producer_joins_region(%x: tensor<2x4x12xf32>, %attention: tensor<4x2x12xf32>, %mlp: tensor<2x4x12xf32>) -> (tensor<2x4x12xf32>, tensor<8x12xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 12.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<2x4xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<2x4xf32>) -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4x12xf32>
  %res = linalg.generic {indexing_maps = [#id3, #swap, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %attention : tensor<2x4x12xf32>, tensor<4x2x12xf32>) outs(%e : tensor<2x4x12xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x4x12xf32>
  %res_rows = tensor.collapse_shape %res [[0, 1], [2]] : tensor<2x4x12xf32> into tensor<8x12xf32>
  %sum = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%res : tensor<2x4x12xf32>) outs(%rf : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %mean = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%sum : tensor<2x4xf32>) outs(%re : tensor<2x4xf32>) {
  ^bb0(%s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %centered = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%res, %mean : tensor<2x4x12xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4x12xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<2x4x12xf32>
  %squares = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%centered : tensor<2x4x12xf32>) outs(%rf : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %rs = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%squares : tensor<2x4xf32>) outs(%re : tensor<2x4xf32>) {
  ^bb0(%q: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %norm = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%centered, %rs : tensor<2x4x12xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4x12xf32>) {
  ^bb0(%c: f32, %r: f32, %o: f32):
    %t = arith.mulf %c, %r : f32
    linalg.yield %t : f32
  } -> tensor<2x4x12xf32>
  %mlp_rows = tensor.collapse_shape %mlp [[0, 1], [2]] : tensor<2x4x12xf32> into tensor<8x12xf32>
  %e2 = tensor.empty() : tensor<8x12xf32>
  %later_rows = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%res_rows, %mlp_rows : tensor<8x12xf32>, tensor<8x12xf32>) outs(%e2 : tensor<8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8x12xf32>
  return %norm, %later_rows : tensor<2x4x12xf32>, tensor<8x12xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#swap = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
// Negative: the add reads both inputs in order, so IREE fuses it into its
// producer's dispatch (the output projection's): it stays out of the
// region, which holds the LayerNorm alone.
// CHECK-LABEL: func.func @unpermuted_producer_read_later_kept
// CHECK: %[[RES:.+]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<2x4x12xf32>, tensor<2x4x12xf32>)
// CHECK: %[[REGION:.+]] = flow.dispatch.region -> (tensor<2x4x12xf32>) {
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: %[[SUM:.+]] = linalg.generic {{.*}}"reduction"]} ins(%[[RES]] :
func.func @unpermuted_producer_read_later_kept(%x: tensor<2x4x12xf32>, %attention: tensor<2x4x12xf32>, %mlp: tensor<2x4x12xf32>) -> (tensor<2x4x12xf32>, tensor<8x12xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 12.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<2x4xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<2x4xf32>) -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4x12xf32>
  %res = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %attention : tensor<2x4x12xf32>, tensor<2x4x12xf32>) outs(%e : tensor<2x4x12xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x4x12xf32>
  %res_rows = tensor.collapse_shape %res [[0, 1], [2]] : tensor<2x4x12xf32> into tensor<8x12xf32>
  %sum = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%res : tensor<2x4x12xf32>) outs(%rf : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %mean = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%sum : tensor<2x4xf32>) outs(%re : tensor<2x4xf32>) {
  ^bb0(%s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %centered = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%res, %mean : tensor<2x4x12xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4x12xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<2x4x12xf32>
  %squares = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%centered : tensor<2x4x12xf32>) outs(%rf : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %rs = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%squares : tensor<2x4xf32>) outs(%re : tensor<2x4xf32>) {
  ^bb0(%q: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %norm = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%centered, %rs : tensor<2x4x12xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4x12xf32>) {
  ^bb0(%c: f32, %r: f32, %o: f32):
    %t = arith.mulf %c, %r : f32
    linalg.yield %t : f32
  } -> tensor<2x4x12xf32>
  %mlp_rows = tensor.collapse_shape %mlp [[0, 1], [2]] : tensor<2x4x12xf32> into tensor<8x12xf32>
  %e2 = tensor.empty() : tensor<8x12xf32>
  %later_rows = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%res_rows, %mlp_rows : tensor<8x12xf32>, tensor<8x12xf32>) outs(%e2 : tensor<8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8x12xf32>
  return %norm, %later_rows : tensor<2x4x12xf32>, tensor<8x12xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#swap = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
// Negative: another op reads the permuted add between the two reductions;
// the region sits at the LayerNorm's last op, so the add would come after
// its reader. It stays out; the LayerNorm still forms its region.
// CHECK-LABEL: func.func @permuted_producer_read_early_kept
// CHECK: %[[RES:.+]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<2x4x12xf32>, tensor<4x2x12xf32>)
// CHECK: %[[REGION:.+]] = flow.dispatch.region -> (tensor<2x4x12xf32>) {
// CHECK-NOT: tensor<4x2x12xf32>
// CHECK: flow.return
func.func @permuted_producer_read_early_kept(%x: tensor<2x4x12xf32>, %attention: tensor<4x2x12xf32>, %mlp: tensor<2x4x12xf32>) -> (tensor<2x4x12xf32>, tensor<8x12xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 12.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<2x4xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<2x4xf32>) -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4x12xf32>
  %res = linalg.generic {indexing_maps = [#id3, #swap, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %attention : tensor<2x4x12xf32>, tensor<4x2x12xf32>) outs(%e : tensor<2x4x12xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x4x12xf32>
  %sum = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%res : tensor<2x4x12xf32>) outs(%rf : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %mean = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%sum : tensor<2x4xf32>) outs(%re : tensor<2x4xf32>) {
  ^bb0(%s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  %centered = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%res, %mean : tensor<2x4x12xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4x12xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<2x4x12xf32>
  %later = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%res, %mlp : tensor<2x4x12xf32>, tensor<2x4x12xf32>) outs(%e : tensor<2x4x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x12xf32>
  %later_rows = tensor.collapse_shape %later [[0, 1], [2]] : tensor<2x4x12xf32> into tensor<8x12xf32>
  %squares = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%centered : tensor<2x4x12xf32>) outs(%rf : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %rs = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%squares : tensor<2x4xf32>) outs(%re : tensor<2x4xf32>) {
  ^bb0(%q: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    linalg.yield %r : f32
  } -> tensor<2x4xf32>
  %norm = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%centered, %rs : tensor<2x4x12xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4x12xf32>) {
  ^bb0(%c: f32, %r: f32, %o: f32):
    %t = arith.mulf %c, %r : f32
    linalg.yield %t : f32
  } -> tensor<2x4x12xf32>
  return %norm, %later_rows : tensor<2x4x12xf32>, tensor<8x12xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
// Negative: the LayerNorm's result is padded (smartmem-pad-window-attention's
// window grid). IREE fuses a pad into its producer only while forming that
// producer's dispatch: behind a region formed here it would be a copy
// dispatch, and inside one SPIR-V code generation fails. So the
// normalization is left to IREE.
// CHECK-LABEL: func.func @padded_layernorm_left_to_iree
// CHECK-NOT: flow.dispatch.region
// CHECK: tensor.pad
func.func @padded_layernorm_left_to_iree(%x: tensor<8x12xf32>, %g: tensor<12xf32>, %b: tensor<12xf32>) -> tensor<16x12xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 12.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<8xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %e = tensor.empty() : tensor<8x12xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %sum : tensor<8x12xf32>, tensor<8xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<8x12xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%centered, %squares, %g, %b : tensor<8x12xf32>, tensor<8xf32>, tensor<12xf32>, tensor<12xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%c: f32, %q: f32, %gg: f32, %bb: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    %t = arith.mulf %c, %r : f32
    %t2 = arith.mulf %t, %gg : f32
    %t3 = arith.addf %t2, %bb : f32
    linalg.yield %t3 : f32
  } -> tensor<8x12xf32>
  %p = tensor.pad %y low[0, 0] high[8, 0] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<8x12xf32> to tensor<16x12xf32>
  return %p : tensor<16x12xf32>
}

