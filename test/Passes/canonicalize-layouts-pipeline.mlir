// Why smartmem-canonicalize-layouts exists: MLIR's canonicalize and cse leave
// smartmem.convert_layout alone (an unregistered op may have side effects),
// dead, duplicated or not. In one pipeline with them, our pass cleans up and
// theirs still do their own work around it.

// RUN: smartmem-opt %s --pass-pipeline='builtin.module(canonicalize,cse)' | FileCheck %s --check-prefix=MLIR
// RUN: smartmem-opt %s --pass-pipeline='builtin.module(canonicalize,smartmem-canonicalize-layouts,cse)' | FileCheck %s --check-prefix=BOTH
// RUN: smartmem-opt %s --pass-pipeline='builtin.module(smartmem-canonicalize-layouts,smartmem-canonicalize-layouts)' -o %t.twice.mlir
// RUN: smartmem-opt %s --pass-pipeline='builtin.module(smartmem-canonicalize-layouts)' -o %t.once.mlir
// RUN: diff %t.once.mlir %t.twice.mlir
// RUN: smartmem-opt %s --smartmem-canonicalize-layouts --mlir-print-ir-after-all -o /dev/null 2>&1 | FileCheck %s --check-prefix=AFTER

// MLIR-LABEL: func.func @cleanup
// MLIR-COUNT-5: smartmem.convert_layout
// MLIR-NOT: arith.addf
// MLIR: return

// BOTH-LABEL: func.func @cleanup
// BOTH-NEXT: %[[C:.+]] = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 2>>}
// BOTH-NEXT: %[[E:.+]] = math.exp %[[C]]
// BOTH-NEXT: return %[[E]], %[[C]]

// AFTER: IR Dump After {{.*}}smartmem-canonicalize-layouts
// AFTER: func.func @cleanup

func.func @cleanup(%arg0: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %c = arith.constant 1.0 : f32
  %unused = arith.addf %c, %c : f32
  // Dead.
  %dead = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  // A chain, and a duplicate of its composition.
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = "smartmem.convert_layout"(%0) {source = #smartmem.layout<array<i64: 1, 0>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 2>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 2>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  // An identity.
  %3 = "smartmem.convert_layout"(%2) {source = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 2>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 2>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %4 = math.exp %1 : tensor<2x4xf32>
  return %4, %3 : tensor<2x4xf32>, tensor<2x4xf32>
}
