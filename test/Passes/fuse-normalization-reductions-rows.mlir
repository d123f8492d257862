// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-fuse-normalization-reductions{row-multiple=32})' %s | FileCheck %s

// Rows must be a multiple of 32 floats here (row-multiple=32; the default
// takes the largest subgroup size of the module's GPU targets, at least 32).

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
// Negative: a LayerNorm over rows of 12 floats (as MobileViT-S's of 144
// and 240, whose fused dispatches NVIDIA's Vulkan driver fails to create).
// Nothing is grouped.
// CHECK-LABEL: func.func @rows_of_12_not_fused
// CHECK-NOT: flow.dispatch.region
func.func @rows_of_12_not_fused(%x: tensor<8x12xf32>, %g: tensor<12xf32>, %b: tensor<12xf32>) -> tensor<8x12xf32> {
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
// Negative: a LayerNorm on padded rows (as in fuse-normalization-
// reductions.mlir) whose rows are 12 floats: with several results lavapipe
// fails to vectorize the region. Nothing is grouped.
// CHECK-LABEL: func.func @sliced_rows_of_12_not_fused
// CHECK-NOT: flow.dispatch.region
func.func @sliced_rows_of_12_not_fused(%x: tensor<8x12xf32>) -> tensor<6x12xf32> {
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
  %cs = tensor.extract_slice %centered[0, 0] [6, 12] [1, 1] : tensor<8x12xf32> to tensor<6x12xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<8x12xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %rb = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]} ins(%squares : tensor<8xf32>) outs(%e : tensor<8x12xf32>) {
  ^bb0(%q: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    linalg.yield %r : f32
  } -> tensor<8x12xf32>
  %rs = tensor.extract_slice %rb[0, 0] [6, 12] [1, 1] : tensor<8x12xf32> to tensor<6x12xf32>
  %ye = tensor.empty() : tensor<6x12xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%cs, %rs : tensor<6x12xf32>, tensor<6x12xf32>) outs(%ye : tensor<6x12xf32>) {
  ^bb0(%c: f32, %r: f32, %o: f32):
    %t = arith.mulf %c, %r : f32
    linalg.yield %t : f32
  } -> tensor<6x12xf32>
  return %y : tensor<6x12xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
// The same LayerNorm over rows of 32 floats forms its region.
// CHECK-LABEL: func.func @rows_of_32_fused
// CHECK: flow.dispatch.region -> (tensor<8x32xf32>)
func.func @rows_of_32_fused(%x: tensor<8x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<8x32xf32> {
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
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<8x32xf32>) outs(%rf : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%centered, %squares, %g, %b : tensor<8x32xf32>, tensor<8xf32>, tensor<32xf32>, tensor<32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%c: f32, %q: f32, %gg: f32, %bb: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    %t = arith.mulf %c, %r : f32
    %t2 = arith.mulf %t, %gg : f32
    %t3 = arith.addf %t2, %bb : f32
    linalg.yield %t3 : f32
  } -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}
