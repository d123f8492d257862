// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-fuse-normalization-reductions{workgroup-memory=1024})' %s | FileCheck %s --check-prefix=CHECK-SMALL
// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-fuse-normalization-reductions{workgroup-memory=100000})' %s | FileCheck %s --check-prefix=CHECK-LONG

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
// Negative: the same LayerNorm on a target with 1 KiB of workgroup memory
// (run with workgroup-memory=1024). IREE's code for the fused dispatch keeps
// up to 32 rows of 12 floats there (1536 bytes): nothing is grouped.
// CHECK-SMALL-LABEL: func.func @layernorm_small_workgroup_memory
// CHECK-SMALL-NOT: flow.dispatch.region
// CHECK-LONG-LABEL: func.func @layernorm_small_workgroup_memory
// CHECK-LONG: flow.dispatch.region
func.func @layernorm_small_workgroup_memory(%x: tensor<8x12xf32>, %g: tensor<12xf32>, %b: tensor<12xf32>) -> tensor<8x12xf32> {
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
#col = affine_map<(d0, d1) -> (d1)>
// Rows of 1536 floats (Swin's last patch merging). IREE keeps at most 24576
// elements of rows in workgroup memory, here 16 rows (98304 bytes): the
// group forms with 100000 bytes, not with 1024.
// CHECK-SMALL-LABEL: func.func @layernorm_long_rows
// CHECK-SMALL-NOT: flow.dispatch.region
// CHECK-LONG-LABEL: func.func @layernorm_long_rows
// CHECK-LONG: flow.dispatch.region -> (tensor<2x1536xf32>)
func.func @layernorm_long_rows(%x: tensor<2x1536xf32>, %g: tensor<1536xf32>, %b: tensor<1536xf32>) -> tensor<2x1536xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 1536.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %re = tensor.empty() : tensor<2xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<2xf32>) -> tensor<2xf32>
  %e = tensor.empty() : tensor<2x1536xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<2x1536xf32>) outs(%rf : tensor<2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<2xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %sum : tensor<2x1536xf32>, tensor<2xf32>) outs(%e : tensor<2x1536xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<2x1536xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<2x1536xf32>) outs(%rf : tensor<2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<2xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%centered, %squares, %g, %b : tensor<2x1536xf32>, tensor<2xf32>, tensor<1536xf32>, tensor<1536xf32>) outs(%e : tensor<2x1536xf32>) {
  ^bb0(%c: f32, %q: f32, %gg: f32, %bb: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    %t = arith.mulf %c, %r : f32
    %t2 = arith.mulf %t, %gg : f32
    %t3 = arith.addf %t2, %bb : f32
    linalg.yield %t3 : f32
  } -> tensor<2x1536xf32>
  return %y : tensor<2x1536xf32>
}
