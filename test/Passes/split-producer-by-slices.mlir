// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-split-producer-by-slices)' %s | FileCheck %s

// A fused QKV projection with its bias, then Split, each part read by a
// contraction: each of Q, K, V gets its own matmul and bias add over sliced
// weights; no slice of the result is left.
// CHECK-LABEL: func.func @qkv_split
// CHECK-COUNT-3: linalg.matmul ins(%arg0, %{{.+}} : tensor<4x8xf32>, tensor<8x8xf32>)
// CHECK-NOT: tensor<1x4x24xf32>
func.func @qkv_split(%x: tensor<4x8xf32>, %w: tensor<8x24xf32>, %b: tensor<24xf32>, %u: tensor<8x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<4x24xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<4x24xf32>) -> tensor<4x24xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x24xf32>) outs(%acc : tensor<4x24xf32>) -> tensor<4x24xf32>
  %o = tensor.empty() : tensor<4x24xf32>
  %biased = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<4x24xf32>, tensor<24xf32>) outs(%o : tensor<4x24xf32>) {
  ^bb0(%p: f32, %q: f32, %out: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<4x24xf32>
  %e = tensor.expand_shape %biased [[0, 1], [2]] output_shape [1, 4, 24] : tensor<4x24xf32> into tensor<1x4x24xf32>
  %q = tensor.extract_slice %e[0, 0, 0] [1, 4, 8] [1, 1, 1] : tensor<1x4x24xf32> to tensor<1x4x8xf32>
  %k = tensor.extract_slice %e[0, 0, 8] [1, 4, 8] [1, 1, 1] : tensor<1x4x24xf32> to tensor<1x4x8xf32>
  %v = tensor.extract_slice %e[0, 0, 16] [1, 4, 8] [1, 1, 1] : tensor<1x4x24xf32> to tensor<1x4x8xf32>
  %q2 = tensor.collapse_shape %q [[0, 1], [2]] : tensor<1x4x8xf32> into tensor<4x8xf32>
  %k2 = tensor.collapse_shape %k [[0, 1], [2]] : tensor<1x4x8xf32> into tensor<4x8xf32>
  %v2 = tensor.collapse_shape %v [[0, 1], [2]] : tensor<1x4x8xf32> into tensor<4x8xf32>
  %r = tensor.empty() : tensor<4x2xf32>
  %racc = linalg.fill ins(%zero : f32) outs(%r : tensor<4x2xf32>) -> tensor<4x2xf32>
  %rq = linalg.matmul ins(%q2, %u : tensor<4x8xf32>, tensor<8x2xf32>) outs(%racc : tensor<4x2xf32>) -> tensor<4x2xf32>
  %rk = linalg.matmul ins(%k2, %u : tensor<4x8xf32>, tensor<8x2xf32>) outs(%racc : tensor<4x2xf32>) -> tensor<4x2xf32>
  %rv = linalg.matmul ins(%v2, %u : tensor<4x8xf32>, tensor<8x2xf32>) outs(%racc : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %rq, %rk, %rv : tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// The same split read elementwise (as LLaMA's rotary embedding reads Q and
// K): the copies fuse better there than three projections; left alone.
// CHECK-LABEL: func.func @no_split_read_elementwise
// CHECK: linalg.matmul ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x24xf32>)
// CHECK: tensor.extract_slice
func.func @no_split_read_elementwise(%x: tensor<4x8xf32>, %w: tensor<8x24xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<4x24xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<4x24xf32>) -> tensor<4x24xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x24xf32>) outs(%acc : tensor<4x24xf32>) -> tensor<4x24xf32>
  %q = tensor.extract_slice %mm[0, 0] [4, 8] [1, 1] : tensor<4x24xf32> to tensor<4x8xf32>
  %k = tensor.extract_slice %mm[0, 8] [4, 8] [1, 1] : tensor<4x24xf32> to tensor<4x8xf32>
  %o = tensor.empty() : tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%q, %k : tensor<4x8xf32>, tensor<4x8xf32>) outs(%o : tensor<4x8xf32>) {
  ^bb0(%p: f32, %r: f32, %out: f32):
    %t = arith.mulf %p, %r : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

// Slices that read the whole result save nothing: left alone.
// CHECK-LABEL: func.func @no_split_whole_slice
// CHECK: linalg.matmul ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x6xf32>)
func.func @no_split_whole_slice(%x: tensor<4x8xf32>, %w: tensor<8x6xf32>) -> tensor<4x6xf32> {
  %zero = arith.constant 0.0 : f32
  %y = tensor.empty() : tensor<4x6xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%y : tensor<4x6xf32>) -> tensor<4x6xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x6xf32>) outs(%acc : tensor<4x6xf32>) -> tensor<4x6xf32>
  %s = tensor.extract_slice %mm[0, 0] [4, 6] [1, 1] : tensor<4x6xf32> to tensor<4x6xf32>
  return %s : tensor<4x6xf32>
}

// -----

// The result is also returned whole: splitting would compute it twice.
// CHECK-LABEL: func.func @no_split_other_user
// CHECK: linalg.matmul ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x24xf32>)
func.func @no_split_other_user(%x: tensor<4x8xf32>, %w: tensor<8x24xf32>) -> (tensor<4x8xf32>, tensor<4x24xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<4x24xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<4x24xf32>) -> tensor<4x24xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x24xf32>) outs(%acc : tensor<4x24xf32>) -> tensor<4x24xf32>
  %q = tensor.extract_slice %mm[0, 0] [4, 8] [1, 1] : tensor<4x24xf32> to tensor<4x8xf32>
  return %q, %mm : tensor<4x8xf32>, tensor<4x24xf32>
}

// -----

// Slices that form a roll feed a concat: left to smartmem-fold-rolls.
// CHECK-LABEL: func.func @no_split_roll
// CHECK: linalg.generic
// CHECK: tensor.concat
func.func @no_split_roll(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %o = tensor.empty() : tensor<8x4xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<8x4xf32>) outs(%o : tensor<8x4xf32>) {
  ^bb0(%a: f32, %out: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<8x4xf32>
  %a = tensor.extract_slice %p[4, 0] [4, 4] [1, 1] : tensor<8x4xf32> to tensor<4x4xf32>
  %b = tensor.extract_slice %p[0, 0] [4, 4] [1, 1] : tensor<8x4xf32> to tensor<4x4xf32>
  %r = tensor.concat dim(0) %a, %b : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}
