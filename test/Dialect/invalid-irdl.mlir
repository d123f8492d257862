// Invalid smartmem IR rejected by the IRDL definition in iree-opt, and (same
// file, PY lines) by smartmem-opt's Python verifier: Python rejects at least
// what IRDL rejects.

// RUN: iree-opt --irdl-file=%irdl --split-input-file --verify-diagnostics %s
// RUN: not smartmem-opt --split-input-file %s 2>&1 | FileCheck %s --check-prefix=PY

func.func @op_class_value(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'"ILX"' does not satisfy the constraint}}
  %0 = math.exp %arg0 {smartmem.op_class = #smartmem.op_class<"ILX", "fixed">} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: attribute 'smartmem.op_class': #smartmem.op_class dependence must be "ILD" or "ILI", got "ILX"

// -----

func.func @op_class_parameter_count(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected 2 type arguments, but had 1}}
  %0 = math.exp %arg0 {smartmem.op_class = #smartmem.op_class<"ILD">} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: attribute 'smartmem.op_class': #smartmem.op_class takes 2 parameters

// -----

func.func @layout_parameter_kind(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected base attribute 'builtin.dense_array' but got 'builtin.array'}}
  %0 = math.exp %arg0 {smartmem.layout = #smartmem.layout<[0], array<i64>>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: attribute 'smartmem.layout': #smartmem.layout permutation must be an array<i64: ...>, got [0]

// -----

func.func @texture_texel_kind(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected base attribute 'builtin.integer' but got 'builtin.string'}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64>, array<i64: 0>, "zero">} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: attribute 'smartmem.texture': #smartmem.texture texel dim must be an i64 integer, got "zero"

// -----

func.func @unknown_attribute(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected dynamic attribute}}
  %0 = math.exp %arg0 {smartmem.tile = #smartmem.tile<4>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: attribute 'smartmem.tile': unknown attribute '#smartmem.tile'

// -----

func.func @unknown_op(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unregistered operation 'smartmem.transpose' found in dialect ('smartmem') that does not allow unknown operations}}
  %0 = "smartmem.transpose"(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: unknown operation 'smartmem.transpose' in the smartmem dialect

// -----

func.func @convert_type_mismatch(%arg0: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{expected 'tensor<4xf32>' but got 'tensor<4xf16>'}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0>, array<i64>>, target = #smartmem.layout<array<i64: 0>, array<i64>>} : (tensor<4xf32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: 'smartmem.convert_layout' result type tensor<4xf16> differs from its operand type tensor<4xf32>

// -----

func.func @convert_not_tensor(%arg0: vector<4xf32>) -> vector<4xf32> {
  // expected-error @+1 {{expected base type 'builtin.tensor' but got 'builtin.vector'}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0>, array<i64>>, target = #smartmem.layout<array<i64: 0>, array<i64>>} : (vector<4xf32>) -> vector<4xf32>
  return %0 : vector<4xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: 'smartmem.convert_layout' operand must be a ranked tensor, got vector<4xf32>

// -----

func.func @convert_missing_source(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'smartmem.convert_layout' op attribute "source" is expected but not provided}}
  %0 = "smartmem.convert_layout"(%arg0) {target = #smartmem.layout<array<i64: 0>, array<i64>>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: 'smartmem.convert_layout' needs a 'source' #smartmem.layout attribute

// -----

func.func @convert_op_class_as_layout(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected base attribute 'smartmem.layout' but got 'smartmem.op_class'}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.op_class<"ILD", "fixed">, target = #smartmem.layout<array<i64: 0>, array<i64>>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: attribute 'source' must be a #smartmem.layout, got #smartmem.op_class<"ILD", "fixed">

// -----

func.func @convert_two_results(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{op expects exactly 1 results, but got 2}}
  %0:2 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0>, array<i64>>, target = #smartmem.layout<array<i64: 0>, array<i64>>} : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %0#0 : tensor<4xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: 'smartmem.convert_layout' takes 1 operand and 1 result, got 1 and 2

// -----

func.func @relayout_missing_layout(%arg0: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'smartmem.relayout' op attribute "layout" is expected but not provided}}
  %0 = "smartmem.relayout"(%arg0) : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: 'smartmem.relayout' needs a 'layout' #smartmem.layout attribute

// -----

func.func @relayout_texture_as_layout(%arg0: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{expected base attribute 'smartmem.layout' but got 'smartmem.texture'}}
  %0 = "smartmem.relayout"(%arg0) {layout = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: attribute 'layout' must be a #smartmem.layout, got #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>

// -----

func.func @relayout_not_tensor(%arg0: vector<6xf32>) -> tensor<6xf32> {
  // expected-error @+1 {{expected base type 'builtin.tensor' but got 'builtin.vector'}}
  %0 = "smartmem.relayout"(%arg0) {layout = #smartmem.layout<array<i64: 0>, array<i64>>} : (vector<6xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}
// PY: invalid-irdl.mlir:[[# @LINE - 3]]:{{[0-9]+}}: error: 'smartmem.relayout' operand must be a statically shaped ranked tensor, got vector<6xf32>
// PY-NOT: Traceback
