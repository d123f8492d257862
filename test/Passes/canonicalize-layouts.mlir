// RUN: smartmem-opt %s --split-input-file --smartmem-canonicalize-layouts | FileCheck %s
// The output is valid smartmem IR for IRDL too.
// RUN: smartmem-opt %s --split-input-file --smartmem-canonicalize-layouts | iree-opt --irdl-file=%irdl --split-input-file | FileCheck %s

// A conversion to the layout the tensor already has moves nothing.
// CHECK-LABEL: func.func @fold_identity_conversion
// CHECK-NOT: smartmem.convert_layout
// CHECK: return %arg0
func.func @fold_identity_conversion(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 1, 0>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Layouts compare by structure, not by spelling.
// CHECK-LABEL: func.func @fold_identity_conversion_spelled_differently
// CHECK-NOT: smartmem.convert_layout
// CHECK: return %arg0
func.func @fold_identity_conversion_spelled_differently(%arg0: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64:1,0>,array<i64:0,4>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64: 0, 4>>} : (tensor<8x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

// Two conversions in a row become one, from the first source to the last target.
// CHECK-LABEL: func.func @compose_conversion_chain
// CHECK: %[[C:.+]] = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64>>, target = #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>}
// CHECK-NOT: smartmem.convert_layout
// CHECK: return %[[C]]
func.func @compose_conversion_chain(%arg0: tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>} : (tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>
  %1 = "smartmem.convert_layout"(%0) {source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>, target = #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>} : (tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>
  return %1 : tensor<1x8x5x5xf32>
}

// -----

// A chain that returns to its first source cancels entirely, however long.
// CHECK-LABEL: func.func @compose_conversion_chain_cancels
// CHECK-NOT: smartmem.convert_layout
// CHECK: return %arg0
func.func @compose_conversion_chain_cancels(%arg0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = "smartmem.convert_layout"(%0) {source = #smartmem.layout<array<i64: 1, 0>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 2>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = "smartmem.convert_layout"(%1) {source = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 2>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}

// -----

// The first conversion has another user: it stays for it, the second is still composed.
// CHECK-LABEL: func.func @compose_conversion_chain_keeps_shared_first
// CHECK: %[[FIRST:.+]] = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>}
// CHECK: %[[SECOND:.+]] = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 0, 2>>}
// CHECK: %[[USE:.+]] = math.exp %[[FIRST]]
// CHECK: return %[[SECOND]], %[[USE]]
func.func @compose_conversion_chain_keeps_shared_first(%arg0: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = "smartmem.convert_layout"(%0) {source = #smartmem.layout<array<i64: 1, 0>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 0, 2>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = math.exp %0 : tensor<2x4xf32>
  return %1, %2 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// A conversion between distinct layouts moves data: it stays.
// CHECK-LABEL: func.func @no_fold_distinct_layouts
// CHECK: "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 4>>}
func.func @no_fold_distinct_layouts(%arg0: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 4>>} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// An op between two conversions (even elementwise) blocks composition:
// moving conversions across ops is layout propagation, not canonicalization.
// CHECK-LABEL: func.func @no_compose_separated_by_op
// CHECK: %[[A:.+]] = "smartmem.convert_layout"(%arg0)
// CHECK: %[[E:.+]] = math.exp %[[A]]
// CHECK: %[[B:.+]] = "smartmem.convert_layout"(%[[E]])
// CHECK: return %[[B]]
func.func @no_compose_separated_by_op(%arg0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = math.exp %0 : tensor<2x4xf32>
  %2 = "smartmem.convert_layout"(%1) {source = #smartmem.layout<array<i64: 1, 0>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}

// -----

// The pass touches nothing else: dead ops and foldable arithmetic stay.
// CHECK-LABEL: func.func @no_change_to_other_ops
// CHECK: arith.constant 1.0
// CHECK: arith.addf
// CHECK: math.exp
// CHECK: return %arg0
func.func @no_change_to_other_ops(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %c = arith.constant 1.0 : f32
  %d = arith.addf %c, %c : f32
  %dead = math.exp %arg0 : tensor<2xf32>
  return %arg0 : tensor<2xf32>
}

// -----

// A conversion nobody reads is erased (MLIR's canonicalize keeps it: unregistered ops may have effects).
// CHECK-LABEL: func.func @erase_dead_conversion
// CHECK-NOT: smartmem.convert_layout
// CHECK: return %arg0
func.func @erase_dead_conversion(%arg0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %arg0 : tensor<2x4xf32>
}

// -----

// Two identical conversions of one value in a block: the later reuses the earlier.
// CHECK-LABEL: func.func @merge_duplicate_conversion
// CHECK: %[[C:.+]] = "smartmem.convert_layout"(%arg0)
// CHECK-NOT: smartmem.convert_layout
// CHECK: return %[[C]], %[[C]]
func.func @merge_duplicate_conversion(%arg0: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Two chains from one conversion compose to the same conversion: it is built once.
// CHECK-LABEL: func.func @compose_reuses_earlier_conversion
// CHECK: %[[C:.+]] = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 2>>}
// CHECK-NOT: smartmem.convert_layout
// CHECK: return %[[C]], %[[C]]
func.func @compose_reuses_earlier_conversion(%arg0: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = "smartmem.convert_layout"(%0) {source = #smartmem.layout<array<i64: 1, 0>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 2>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = "smartmem.convert_layout"(%0) {source = #smartmem.layout<array<i64: 1, 0>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 2>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %1, %2 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Same value, different targets: two different conversions.
// CHECK-LABEL: func.func @no_merge_different_targets
// CHECK-COUNT-2: "smartmem.convert_layout"(%arg0)
func.func @no_merge_different_targets(%arg0: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 4>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// The earlier duplicate sits in another block (an scf.if branch): it does not dominate.
// CHECK-LABEL: func.func @no_merge_across_blocks
// CHECK: scf.if
// CHECK: "smartmem.convert_layout"(%arg0)
// CHECK: "smartmem.convert_layout"(%arg0)
// CHECK: return
func.func @no_merge_across_blocks(%arg0: tensor<2x4xf32>, %c: i1) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %r = scf.if %c -> (tensor<2x4xf32>) {
    %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
    scf.yield %0 : tensor<2x4xf32>
  } else {
    scf.yield %arg0 : tensor<2x4xf32>
  }
  %1 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %r, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// A chain crossing into a loop body composes there (the first operand dominates the loop).
// CHECK-LABEL: func.func @compose_conversion_chain_into_loop
// CHECK: scf.for
// CHECK: %[[C:.+]] = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 0, 2>>}
// CHECK: math.exp %[[C]]
// CHECK-NOT: smartmem.convert_layout
// CHECK: return
func.func @compose_conversion_chain_into_loop(%arg0: tensor<2x4xf32>, %n: index) -> tensor<2x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%t = %arg0) -> (tensor<2x4xf32>) {
    %1 = "smartmem.convert_layout"(%0) {source = #smartmem.layout<array<i64: 1, 0>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 0, 2>>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
    %2 = math.exp %1 : tensor<2x4xf32>
    scf.yield %2 : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}
