// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-hoist-constant-layouts)' %s | FileCheck %s

// Swin's attention mask stored head-major: the transpose of the imported
// [window, head, ...] global moves into an initializer; the add reads the
// hoisted global with an identity map.
// CHECK: util.global private @smartmem_constant_layout_0 : tensor<3x2x2xf32>
// CHECK: util.initializer {
// CHECK:   %[[MASK:.+]] = util.global.load @mask : tensor<2x3x2xf32>
// CHECK:   %[[T:.+]] = linalg.transpose ins(%[[MASK]]
// CHECK:   util.global.store %[[T]], @smartmem_constant_layout_0
// CHECK-LABEL: func.func @mask_add_head_major
// CHECK-NOT: linalg.transpose
// CHECK: %[[H:.+]] = util.global.load immutable @smartmem_constant_layout_0
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[H]] :
util.global private @mask = dense<[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]]]> : tensor<2x3x2xf32>
func.func @mask_add_head_major(%scores: tensor<3x2x2xf32>) -> tensor<3x2x2xf32> {
  %mask = util.global.load @mask : tensor<2x3x2xf32>
  %init = tensor.empty() : tensor<3x2x2xf32>
  %t = linalg.transpose ins(%mask : tensor<2x3x2xf32>) outs(%init : tensor<3x2x2xf32>) permutation = [1, 0, 2]
  %out = tensor.empty() : tensor<3x2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b, c)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%scores, %t : tensor<3x2x2xf32>, tensor<3x2x2xf32>) outs(%out : tensor<3x2x2xf32>) {
  ^bb0(%s: f32, %m: f32, %o: f32):
    %sum = arith.addf %s, %m : f32
    linalg.yield %sum : f32
  } -> tensor<3x2x2xf32>
  return %r : tensor<3x2x2xf32>
}

// -----

// Negative: a contraction reads a transposed weight through its maps for
// free; hoisting would only add a copy at load time.
// CHECK-LABEL: func.func @no_hoist_weight_of_matmul
// CHECK-NOT: util.initializer
// CHECK: linalg.transpose
// CHECK: linalg.matmul
util.global private @weight = dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
func.func @no_hoist_weight_of_matmul(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = util.global.load @weight : tensor<3x2xf32>
  %init = tensor.empty() : tensor<2x3xf32>
  %t = linalg.transpose ins(%w : tensor<3x2xf32>) outs(%init : tensor<2x3xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %out = tensor.empty() : tensor<4x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%out : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%x, %t : tensor<4x3xf32>, tensor<2x3xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Negative: a mutable global can change between calls.
// CHECK-LABEL: func.func @no_hoist_mutable_global
// CHECK-NOT: util.initializer
// CHECK: linalg.transpose
util.global private mutable @state = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
func.func @no_hoist_mutable_global(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %s = util.global.load @state : tensor<2x2xf32>
  %init = tensor.empty() : tensor<2x2xf32>
  %t = linalg.transpose ins(%s : tensor<2x2xf32>) outs(%init : tensor<2x2xf32>) permutation = [1, 0]
  %out = tensor.empty() : tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]} ins(%x, %t : tensor<2x2xf32>, tensor<2x2xf32>) outs(%out : tensor<2x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %sum = arith.addf %a, %b : f32
    linalg.yield %sum : f32
  } -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}

// -----

// Negative: the global is also read untransposed, so it stays loaded in the
// function anyway (the transpose's reader is left as it is).
// CHECK-LABEL: func.func @no_hoist_constant_with_other_reader
// CHECK-NOT: util.initializer
// CHECK: linalg.transpose
util.global private @shared = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
func.func @no_hoist_constant_with_other_reader(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %s = util.global.load @shared : tensor<2x2xf32>
  %init = tensor.empty() : tensor<2x2xf32>
  %t = linalg.transpose ins(%s : tensor<2x2xf32>) outs(%init : tensor<2x2xf32>) permutation = [1, 0]
  %out = tensor.empty() : tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]} ins(%x, %t : tensor<2x2xf32>, tensor<2x2xf32>) outs(%out : tensor<2x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %sum = arith.addf %a, %b : f32
    linalg.yield %sum : f32
  } -> tensor<2x2xf32>
  return %r, %s : tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// Negative: the transpose's init is a function argument, which does not
// exist in an initializer.
// CHECK-LABEL: func.func @no_hoist_init_from_argument
// CHECK-NOT: util.initializer
// CHECK: linalg.transpose
util.global private @table = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
func.func @no_hoist_init_from_argument(%x: tensor<2x2xf32>, %dest: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %s = util.global.load @table : tensor<2x2xf32>
  %t = linalg.transpose ins(%s : tensor<2x2xf32>) outs(%dest : tensor<2x2xf32>) permutation = [1, 0]
  %out = tensor.empty() : tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>], iterator_types = ["parallel", "parallel"]} ins(%x, %t : tensor<2x2xf32>, tensor<2x2xf32>) outs(%out : tensor<2x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %sum = arith.addf %a, %b : f32
    linalg.yield %sum : f32
  } -> tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}
