// Every smartmem attribute and op round-trips through smartmem-opt (Python,
// opaque IR + the Python verifier) and through iree-opt with the IRDL
// definition, in both directions and in generic form.

// RUN: smartmem-opt %s --split-input-file | FileCheck %s
// RUN: smartmem-opt %s --split-input-file --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC
// RUN: smartmem-opt %s --split-input-file | smartmem-opt --split-input-file | FileCheck %s
// RUN: smartmem-opt %s --split-input-file | iree-opt --irdl-file=%irdl --split-input-file | FileCheck %s
// RUN: iree-opt --irdl-file=%irdl --split-input-file %s | smartmem-opt --split-input-file | FileCheck %s
// RUN: iree-opt --irdl-file=%irdl --split-input-file --mlir-print-op-generic %s | iree-opt --irdl-file=%irdl --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @convert_permutation
// CHECK: %[[R:.+]] = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64>>, target = #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>} : (tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>
// CHECK: return %[[R]]
// GENERIC-LABEL: sym_name = "convert_permutation"
// GENERIC: "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64>>, target = #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>}
func.func @convert_permutation(%arg0: tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64>>, target = #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>} : (tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>
  return %0 : tensor<1x8x5x5xf32>
}

// -----

// NC4HW4: channels blocked by 4, then back to NHWC.
// CHECK-LABEL: func.func @convert_blocked
// CHECK: %[[A:.+]] = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>}
// CHECK: "smartmem.convert_layout"(%[[A]]) {source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>, target = #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>}
// GENERIC-LABEL: sym_name = "convert_blocked"
// GENERIC-COUNT-2: "smartmem.convert_layout"
func.func @convert_blocked(%arg0: tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>} : (tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>
  %1 = "smartmem.convert_layout"(%0) {source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>, target = #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>} : (tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>
  return %1 : tensor<1x8x5x5xf32>
}

// -----

// Dynamic dims: blocking divisibility is a run-time fact, not checked.
// CHECK-LABEL: func.func @convert_dynamic
// CHECK: "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 1, 0>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 0, 4>>} : (tensor<?x3xf16>) -> tensor<?x3xf16>
func.func @convert_dynamic(%arg0: tensor<?x3xf16>) -> tensor<?x3xf16> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 1, 0>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 0, 4>>} : (tensor<?x3xf16>) -> tensor<?x3xf16>
  return %0 : tensor<?x3xf16>
}

// -----

// Layouts and textures attached to function arguments, results and ops.
// CHECK-LABEL: func.func @attached
// CHECK-SAME: %arg0: tensor<1x8x5x6xf32> {smartmem.layout = #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>, smartmem.texture = #smartmem.texture<array<i64: 0, 2>, array<i64: 1, 3>, 1 : i64>}
// CHECK-SAME: -> (tensor<1x8x5x6xf32> {smartmem.texture = #smartmem.texture<array<i64: 0, 1, 2>, array<i64: 3>, 3 : i64>})
// CHECK: math.exp %arg0 {smartmem.layout = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>, smartmem.op_class = #smartmem.op_class<"ILI", "variable">}
func.func @attached(%arg0: tensor<1x8x5x6xf32> {smartmem.layout = #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>, smartmem.texture = #smartmem.texture<array<i64: 0, 2>, array<i64: 1, 3>, 1 : i64>}) -> (tensor<1x8x5x6xf32> {smartmem.texture = #smartmem.texture<array<i64: 0, 1, 2>, array<i64: 3>, 3 : i64>}) {
  %0 = math.exp %arg0 {smartmem.layout = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>, smartmem.op_class = #smartmem.op_class<"ILI", "variable">} : tensor<1x8x5x6xf32>
  return %0 : tensor<1x8x5x6xf32>
}

// -----

// The four operator classes.
// CHECK-LABEL: func.func @op_classes
// CHECK: linalg.matmul {smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
// CHECK: tensor.collapse_shape {{.*}} {smartmem.op_class = #smartmem.op_class<"ILD", "fixed">}
// CHECK: linalg.fill {smartmem.op_class = #smartmem.op_class<"ILI", "variable">}
// CHECK: tensor.extract_slice {{.*}} {smartmem.op_class = #smartmem.op_class<"ILI", "fixed">}
func.func @op_classes(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<2x16xf32> {
  %0 = linalg.matmul {smartmem.op_class = #smartmem.op_class<"ILD", "variable">} ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  %1 = tensor.collapse_shape %0 [[0, 1]] {smartmem.op_class = #smartmem.op_class<"ILD", "fixed">} : tensor<4x16xf32> into tensor<64xf32>
  %cst = arith.constant 1.0 : f32
  %2 = linalg.fill {smartmem.op_class = #smartmem.op_class<"ILI", "variable">} ins(%cst : f32) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  %3 = tensor.extract_slice %2[0, 0] [2, 16] [1, 1] {smartmem.op_class = #smartmem.op_class<"ILI", "fixed">} : tensor<4x16xf32> to tensor<2x16xf32>
  return %3 : tensor<2x16xf32>
}

// -----

// Attributes nested in arrays and dictionaries are smartmem attributes too.
// CHECK-LABEL: func.func @nested
// CHECK-SAME: smartmem.candidates = [#smartmem.layout<array<i64: 1, 0>, array<i64>>, {best = #smartmem.texture<array<i64: 1>, array<i64: 0>, 0 : i64>}]
// CHECK: "smartmem.convert_layout"(%arg0) {note = "rank 0", source = #smartmem.layout<array<i64>, array<i64>>, target = #smartmem.layout<array<i64>, array<i64>>} : (tensor<f32>) -> tensor<f32>
func.func @nested(%arg0: tensor<f32>) -> tensor<f32> attributes {smartmem.candidates = [#smartmem.layout<array<i64: 1, 0>, array<i64>>, {best = #smartmem.texture<array<i64: 1>, array<i64: 0>, 0 : i64>}]} {
  %0 = "smartmem.convert_layout"(%arg0) {note = "rank 0", source = #smartmem.layout<array<i64>, array<i64>>, target = #smartmem.layout<array<i64>, array<i64>>} : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// A layout chain as one relayout (Swin window partition, 2x2 windows of 2x2):
// the shape changes, the element type and count stay.
// CHECK-LABEL: func.func @relayout_window_partition
// CHECK: %[[F:.+]] = tensor.expand_shape %arg0
// CHECK: %[[R:.+]] = "smartmem.relayout"(%[[F]]) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>} : (tensor<2x2x2x2x8xf32>) -> tensor<4x4x8xf32>
// CHECK: return %[[R]]
// GENERIC-LABEL: sym_name = "relayout_window_partition"
// GENERIC: "smartmem.relayout"(%{{.+}}) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>} : (tensor<2x2x2x2x8xf32>) -> tensor<4x4x8xf32>
func.func @relayout_window_partition(%arg0: tensor<16x8xf32>) -> tensor<4x4x8xf32> {
  %f = tensor.expand_shape %arg0 [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %0 = "smartmem.relayout"(%f) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>} : (tensor<2x2x2x2x8xf32>) -> tensor<4x4x8xf32>
  return %0 : tensor<4x4x8xf32>
}

// -----

// A relayout's layout may block a dim (NC4HW4 storage read as a flat tensor).
// CHECK-LABEL: func.func @relayout_blocked
// CHECK: "smartmem.relayout"(%arg0) {layout = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>} : (tensor<1x8x5x5xf16>) -> tensor<200xf16>
func.func @relayout_blocked(%arg0: tensor<1x8x5x5xf16>) -> tensor<200xf16> {
  %0 = "smartmem.relayout"(%arg0) {layout = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>} : (tensor<1x8x5x5xf16>) -> tensor<200xf16>
  return %0 : tensor<200xf16>
}
