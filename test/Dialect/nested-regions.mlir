// smartmem IR nested in regions (scf.for, scf.if, util.func) round-trips
// through both tools (errors at depth: nested-regions-invalid.mlir).

// RUN: smartmem-opt %s --split-input-file | iree-opt --irdl-file=%irdl --split-input-file | FileCheck %s
// RUN: iree-opt --irdl-file=%irdl --split-input-file %s | smartmem-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @in_loop
// CHECK: scf.for
// CHECK: "smartmem.convert_layout"(%{{.*}}) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>}
// CHECK: scf.yield
func.func @in_loop(%arg0: tensor<4x8xf32>, %n: index) -> tensor<4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%t = %arg0) -> (tensor<4x8xf32>) {
    %0 = "smartmem.convert_layout"(%t) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<4x8xf32>) -> tensor<4x8xf32>
    scf.yield %0 : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: util.func public @in_util_func_and_if
// CHECK: scf.if
// CHECK: "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 4>>}
// CHECK: } else {
util.func public @in_util_func_and_if(%arg0: tensor<4x8xf32>, %c: i1) -> tensor<4x8xf32> {
  %r = scf.if %c -> (tensor<4x8xf32>) {
    %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 4>>} : (tensor<4x8xf32>) -> tensor<4x8xf32>
    scf.yield %0 : tensor<4x8xf32>
  } else {
    scf.yield %arg0 : tensor<4x8xf32>
  }
  util.return %r : tensor<4x8xf32>
}

