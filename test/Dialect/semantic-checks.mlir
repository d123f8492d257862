// IR that the IRDL definition accepts (IRDL checks parameter kinds only) but
// the Python verifier rejects: the semantic checks of dialect/verifier.py.

// RUN: iree-opt --irdl-file=%irdl --allow-unregistered-dialect --split-input-file %s -o /dev/null
// RUN: smartmem-opt %s --split-input-file --verify-diagnostics

func.func @permutation_repeats_a_dim(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{[1, 1] is not a permutation of 0..1}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 1>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @permutation_of_wrong_rank(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{layout of rank 1 does not match the tensor's rank 2}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @blocking_not_dividing(%arg0: tensor<2x10xf32>) -> tensor<2x10xf32> {
  // expected-error @+1 {{blocking factor 4 does not divide dim 1 of size 10}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 4>>} : (tensor<2x10xf32>) -> tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
}

// -----

func.func @blocking_element_type(%arg0: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{#smartmem.layout blocking must be an array<i64: ...>, got array<i8: 1, 4>}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i8: 1, 4>>} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @conversion_chain_disagrees(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // expected-error @+1 {{differs from #smartmem.layout<array<i64: 1, 0>, array<i64>>, the target of the convert_layout producing its operand}}
  %1 = "smartmem.convert_layout"(%0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

func.func @texture_leaves_a_dim_out(%arg0: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+1 {{texture dims [0, 1] do not cover the tensor's dims 0..2 exactly once}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>} : tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

func.func @texture_texel_dim_unmapped(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{texel dim 5 is in neither the height nor the width dims}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 5 : i64>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @texture_texel_dim_i32(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{texel dim must be an i64 integer, got 1 : i32}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i32>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @texture_image_too_tall(%arg0: tensor<16385x4xf16>) -> tensor<16385x4xf16> {
  // expected-error @+1 {{image height 16385 exceeds the maximum image dimension 16384}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>} : tensor<16385x4xf16>
  return %0 : tensor<16385x4xf16>
}

// -----

func.func @layout_on_a_scalar_result(%arg0: f32) -> f32 {
  // expected-error @+1 {{attribute 'smartmem.layout' describes its result, which is not a ranked tensor}}
  %0 = math.exp %arg0 {smartmem.layout = #smartmem.layout<array<i64>, array<i64>>} : f32
  return %0 : f32
}

// -----

func.func @layout_on_a_two_result_op(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{attribute 'smartmem.layout' describes the result of an op with one result, this op has 2}}
  %0:2 = "test.pair"(%arg0) {smartmem.layout = #smartmem.layout<array<i64: 0>, array<i64>>} : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %0#0 : tensor<4xf32>
}

// -----

// expected-error @+1 {{attribute 'smartmem.texture' on result #0 tensor<8x8xf32>: texture dims [0] do not cover the tensor's dims 0..1 exactly once}}
func.func @texture_on_function_result(%arg0: tensor<8x8xf32>) -> (tensor<8x8xf32> {smartmem.texture = #smartmem.texture<array<i64>, array<i64: 0>, 0 : i64>}) {
  return %arg0 : tensor<8x8xf32>
}
