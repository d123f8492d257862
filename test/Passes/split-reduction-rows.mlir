// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-split-reduction-rows)' %s | FileCheck %s

#row = affine_map<(d0, d1) -> (d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#swap = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// A LayerNorm (as IREE's global optimization leaves it) whose normalization
// writes its 6 rows split 2x3 and permuted. The split moves above the
// broadcast, the rsqrt, the variance reduction, the square, the centering,
// the mean's broadcast and the mean; it stops at the LayerNorm's input (the
// residual add, read by the mean and the centering), which both read
// through the same split. All three row loops are then [2, 3].
// CHECK-LABEL: func.func @layer_norm_writing_a_layout
// CHECK: %[[X:.+]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<6x4xf32>, tensor<6x4xf32>) outs(%{{.+}} : tensor<6x4xf32>)
// CHECK: %[[XS1:.+]] = tensor.expand_shape %[[X]] {{\[}}[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[XS1]] : tensor<2x3x4xf32>) outs(%{{.+}} : tensor<2x3xf32>)
// CHECK: %[[MS:.+]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<2x3xf32>) outs(%{{.+}} : tensor<2x3x4xf32>)
// CHECK: %[[XS:.+]] = tensor.expand_shape %[[X]] {{\[}}[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
// CHECK: %[[C:.+]] = linalg.generic {{.*}} ins(%[[XS]], %[[MS]] : tensor<2x3x4xf32>, tensor<2x3x4xf32>) outs(%{{.+}} : tensor<2x3x4xf32>)
// CHECK: arith.subf
// CHECK: %[[SQ:.+]] = linalg.generic {{.*}} ins(%[[C]] : tensor<2x3x4xf32>) outs(%{{.+}} : tensor<2x3x4xf32>)
// CHECK: %[[VAR:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[SQ]] : tensor<2x3x4xf32>) outs(%{{.+}} : tensor<2x3xf32>)
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[VAR]] : tensor<2x3xf32>) outs(%{{.+}} : tensor<2x3xf32>)
// CHECK: math.rsqrt
// CHECK: %[[B:.+]] = linalg.generic {{.*}} ins(%[[R]] : tensor<2x3xf32>) outs(%{{.+}} : tensor<2x3x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[C]], %[[B]] : tensor<2x3x4xf32>, tensor<2x3x4xf32>) outs(%{{.+}} : tensor<3x2x4xf32>)
func.func @layer_norm_writing_a_layout(%residual: tensor<6x4xf32>, %update: tensor<6x4xf32>) -> tensor<3x2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 4.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e1 = tensor.empty() : tensor<6xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<6xf32>) -> tensor<6xf32>
  %e2 = tensor.empty() : tensor<6x4xf32>
  %x = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%residual, %update : tensor<6x4xf32>, tensor<6x4xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<6x4xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<6x4xf32>) outs(%z1 : tensor<6xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  %mean = linalg.generic {indexing_maps = [#row, #id2], iterator_types = ["parallel", "parallel"]} ins(%sum : tensor<6xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.divf %a, %n : f32
    linalg.yield %m : f32
  } -> tensor<6x4xf32>
  %centered = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x, %mean : tensor<6x4xf32>, tensor<6x4xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<6x4xf32>
  %sq = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%centered : tensor<6x4xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %p = arith.mulf %a, %a : f32
    linalg.yield %p : f32
  } -> tensor<6x4xf32>
  %var = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%sq : tensor<6x4xf32>) outs(%z1 : tensor<6xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  %rstd = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%var : tensor<6xf32>) outs(%e1 : tensor<6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.divf %a, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    linalg.yield %r : f32
  } -> tensor<6xf32>
  %rb = linalg.generic {indexing_maps = [#row, #id2], iterator_types = ["parallel", "parallel"]} ins(%rstd : tensor<6xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<6x4xf32>
  %cs = tensor.expand_shape %centered [[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
  %rs = tensor.expand_shape %rb [[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
  %e3 = tensor.empty() : tensor<3x2x4xf32>
  %y = linalg.generic {indexing_maps = [#id3, #id3, #swap], iterator_types = ["parallel", "parallel", "parallel"]} ins(%cs, %rs : tensor<2x3x4xf32>, tensor<2x3x4xf32>) outs(%e3 : tensor<3x2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<3x2x4xf32>
  return %y : tensor<3x2x4xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// Negative: a row split after a contraction (a matmul written as a
// generic) stays below it: split loops would take it off the matmul
// pipeline.
// CHECK-LABEL: func.func @contraction_kept
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} outs(%{{.+}} : tensor<6x4xf32>)
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
func.func @contraction_kept(%a: tensor<6x8xf32>, %b: tensor<8x4xf32>, %acc: tensor<6x4xf32>) -> tensor<2x3x4xf32> {
  %m = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<6x8xf32>, tensor<8x4xf32>) outs(%acc : tensor<6x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<6x4xf32>
  %s = tensor.expand_shape %m [[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
  return %s : tensor<2x3x4xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id1 = affine_map<(d0) -> (d0)>
// Negative: the reduction's result is also read unsplit (returned): the
// split stays where it is.
// CHECK-LABEL: func.func @unsplit_reader_kept
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<6xf32>)
// CHECK: tensor.expand_shape %[[SUM]] {{\[}}[0, 1]] output_shape [2, 3] : tensor<6xf32> into tensor<2x3xf32>
func.func @unsplit_reader_kept(%x: tensor<6x4xf32>) -> (tensor<2x3xf32>, tensor<6xf32>) {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<6xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<6xf32>) -> tensor<6xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<6x4xf32>) outs(%z1 : tensor<6xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  %s = tensor.expand_shape %sum [[0, 1]] output_shape [2, 3] : tensor<6xf32> into tensor<2x3xf32>
  return %s, %sum : tensor<2x3xf32>, tensor<6xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
// Negative: no reduction behind the split (an elementwise chain): IREE's
// own reshape propagation moves those.
// CHECK-LABEL: func.func @elementwise_only_kept
// CHECK: %[[E:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<6x4xf32>)
// CHECK: tensor.expand_shape %[[E]]
func.func @elementwise_only_kept(%x: tensor<6x4xf32>) -> tensor<2x3x4xf32> {
  %e2 = tensor.empty() : tensor<6x4xf32>
  %y = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<6x4xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %p = arith.mulf %a, %a : f32
    linalg.yield %p : f32
  } -> tensor<6x4xf32>
  %s = tensor.expand_shape %y [[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
  return %s : tensor<2x3x4xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// Negative: dynamic rows.
// CHECK-LABEL: func.func @dynamic_kept
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<?xf32>)
// CHECK: tensor.expand_shape
func.func @dynamic_kept(%x: tensor<?x4xf32>, %init: tensor<?xf32>, %k: index) -> tensor<2x?xf32> {
  %sum = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x4xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %s = tensor.expand_shape %sum [[0, 1]] output_shape [2, %k] : tensor<?xf32> into tensor<2x?xf32>
  return %s : tensor<2x?xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id1 = affine_map<(d0) -> (d0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#swap = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// Swin's residual add after a non-shifted window attention: it reads the
// attention's output through the window reverse (a permuted read), so it is
// a dispatch of its own; its rows are merged (collapse_shape) in front of the
// LayerNorm. The merge moves below the LayerNorm: the mean, the centering,
// the variance and the normalization loop over the split rows [2, 3] and
// read the add directly; the normalization's result is merged after it. The
// later residual add, which reads the sum but not the reductions, keeps
// reading the merge.
// CHECK-LABEL: func.func @merge_sinks_below_layer_norm
// CHECK: %[[X:.+]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<2x3x4xf32>, tensor<3x2x4xf32>) outs(%{{.+}} : tensor<2x3x4xf32>)
// CHECK: %[[XM:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[X]] : tensor<2x3x4xf32>) outs(%{{.+}} : tensor<2x3xf32>)
// CHECK: %[[MEAN:.+]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<2x3xf32>) outs(%{{.+}} : tensor<2x3x4xf32>)
// CHECK: %[[C:.+]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]] : tensor<2x3x4xf32>, tensor<2x3x4xf32>) outs(%{{.+}} : tensor<2x3x4xf32>)
// CHECK: %[[SQ:.+]] = linalg.generic {{.*}} ins(%[[C]] : tensor<2x3x4xf32>)
// CHECK: %[[VAR:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[SQ]] : tensor<2x3x4xf32>) outs(%{{.+}} : tensor<2x3xf32>)
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[VAR]] : tensor<2x3xf32>) outs(%{{.+}} : tensor<2x3xf32>)
// CHECK: %[[RB:.+]] = linalg.generic {{.*}} ins(%[[R]] : tensor<2x3xf32>) outs(%{{.+}} : tensor<2x3x4xf32>)
// CHECK: %[[Y:.+]] = linalg.generic {{.*}} ins(%[[C]], %[[RB]] : tensor<2x3x4xf32>, tensor<2x3x4xf32>) outs(%{{.+}} : tensor<2x3x4xf32>)
// CHECK: %[[YM:.+]] = tensor.collapse_shape %[[Y]] {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: %[[LATER:.+]] = linalg.generic {{.*}} ins(%[[XM]], %arg2 : tensor<6x4xf32>, tensor<6x4xf32>) outs(%{{.+}} : tensor<6x4xf32>)
// CHECK: return %[[YM]], %[[LATER]]
func.func @merge_sinks_below_layer_norm(%residual: tensor<2x3x4xf32>, %attention: tensor<3x2x4xf32>, %mlp: tensor<6x4xf32>) -> (tensor<6x4xf32>, tensor<6x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 4.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e1 = tensor.empty() : tensor<6xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<6xf32>) -> tensor<6xf32>
  %e2 = tensor.empty() : tensor<6x4xf32>
  %e3 = tensor.empty() : tensor<2x3x4xf32>
  %x3 = linalg.generic {indexing_maps = [#id3, #swap, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%residual, %attention : tensor<2x3x4xf32>, tensor<3x2x4xf32>) outs(%e3 : tensor<2x3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x3x4xf32>
  %x = tensor.collapse_shape %x3 [[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<6x4xf32>) outs(%z1 : tensor<6xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  %mean = linalg.generic {indexing_maps = [#row, #id2], iterator_types = ["parallel", "parallel"]} ins(%sum : tensor<6xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.divf %a, %n : f32
    linalg.yield %m : f32
  } -> tensor<6x4xf32>
  %centered = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x, %mean : tensor<6x4xf32>, tensor<6x4xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<6x4xf32>
  %sq = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%centered : tensor<6x4xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %p = arith.mulf %a, %a : f32
    linalg.yield %p : f32
  } -> tensor<6x4xf32>
  %var = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%sq : tensor<6x4xf32>) outs(%z1 : tensor<6xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  %rstd = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%var : tensor<6xf32>) outs(%e1 : tensor<6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.divf %a, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    linalg.yield %r : f32
  } -> tensor<6xf32>
  %rb = linalg.generic {indexing_maps = [#row, #id2], iterator_types = ["parallel", "parallel"]} ins(%rstd : tensor<6xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<6x4xf32>
  %y = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%centered, %rb : tensor<6x4xf32>, tensor<6x4xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<6x4xf32>
  %later = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x, %mlp : tensor<6x4xf32>, tensor<6x4xf32>) outs(%e2 : tensor<6x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<6x4xf32>
  return %y, %later : tensor<6x4xf32>, tensor<6x4xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// Negative: the merged rows come from an add without a permuted read. IREE
// fuses such an add into its producer's dispatch, so the LayerNorm keeps
// its merged rows.
// CHECK-LABEL: func.func @unpermuted_source_merge_kept
// CHECK: %[[XM:.+]] = tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[XM]] : tensor<6x4xf32>)
func.func @unpermuted_source_merge_kept(%residual: tensor<2x3x4xf32>, %update: tensor<2x3x4xf32>) -> tensor<6xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<6xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<6xf32>) -> tensor<6xf32>
  %e3 = tensor.empty() : tensor<2x3x4xf32>
  %x3 = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%residual, %update : tensor<2x3x4xf32>, tensor<2x3x4xf32>) outs(%e3 : tensor<2x3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x3x4xf32>
  %x = tensor.collapse_shape %x3 [[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<6x4xf32>) outs(%z1 : tensor<6xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  return %sum : tensor<6xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#swap = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
// Negative: the merge joins the reduced dims (Swin's patch merging in front
// of its LayerNorm): splitting a reduction loop is left alone.
// CHECK-LABEL: func.func @merged_reduced_dims_kept
// CHECK: %[[XM:.+]] = tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[XM]] : tensor<3x8xf32>)
func.func @merged_reduced_dims_kept(%residual: tensor<3x2x4xf32>, %update: tensor<2x3x4xf32>) -> tensor<3xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<3xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<3xf32>) -> tensor<3xf32>
  %e3 = tensor.empty() : tensor<3x2x4xf32>
  %x3 = linalg.generic {indexing_maps = [#id3, #swap, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%residual, %update : tensor<3x2x4xf32>, tensor<2x3x4xf32>) outs(%e3 : tensor<3x2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<3x2x4xf32>
  %x = tensor.collapse_shape %x3 [[0], [1, 2]] : tensor<3x2x4xf32> into tensor<3x8xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<3x8xf32>) outs(%z1 : tensor<3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  return %sum : tensor<3xf32>
}
