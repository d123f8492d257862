// Invalid smartmem IR: the Python verifier (run by smartmem-opt after parsing)
// reports each problem at the op that carries it.

// RUN: smartmem-opt %s --split-input-file --verify-diagnostics

func.func @not_a_permutation(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{attribute 'target': [0, 0] is not a permutation of 0..1}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @blocking_does_not_divide(%arg0: tensor<1x6x5x5xf32>) -> tensor<1x6x5x5xf32> {
  // expected-error @+1 {{attribute 'target' on its operand tensor<1x6x5x5xf32>: blocking factor 4 does not divide dim 1 of size 6}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>} : (tensor<1x6x5x5xf32>) -> tensor<1x6x5x5xf32>
  return %0 : tensor<1x6x5x5xf32>
}

// -----

func.func @blocking_factor_one(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{blocking factor 1 of dim 0 must be at least 2}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0>, array<i64>>, target = #smartmem.layout<array<i64: 0>, array<i64: 0, 1>>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @blocked_dim_out_of_range(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{blocked dim 1 is out of range for rank 1}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0>, array<i64>>, target = #smartmem.layout<array<i64: 0>, array<i64: 1, 4>>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @blocking_not_a_pair(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{#smartmem.layout blocking must be empty or [dim, factor], got [0, 2, 2]}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0>, array<i64>>, target = #smartmem.layout<array<i64: 0>, array<i64: 0, 2, 2>>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @layout_rank_mismatch(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{attribute 'source' on its operand tensor<2x3xf32>: layout of rank 3 does not match the tensor's rank 2}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1, 2>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @layout_parameter_not_i64(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{#smartmem.layout permutation must be an array<i64: ...>, got array<i32: 1, 0>}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i32: 1, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @layout_parameter_count(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{#smartmem.layout takes 2 parameters (permutation, blocking), got 1}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @convert_type_mismatch(%arg0: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'smartmem.convert_layout' result type tensor<3x2xf32> differs from its operand type tensor<2x3xf32>}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @convert_missing_target(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'smartmem.convert_layout' needs a 'target' #smartmem.layout attribute}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @convert_texture_as_layout(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{attribute 'source' must be a #smartmem.layout, got #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @convert_two_operands(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'smartmem.convert_layout' takes 1 operand and 1 result, got 2 and 1}}
  %0 = "smartmem.convert_layout"(%arg0, %arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @convert_unranked(%arg0: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{'smartmem.convert_layout' operand must be a ranked tensor, got tensor<*xf32>}}
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0>, array<i64>>, target = #smartmem.layout<array<i64: 0>, array<i64>>} : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @chain_disagrees(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "smartmem.convert_layout"(%arg0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // expected-error @+1 {{source layout #smartmem.layout<array<i64: 0, 1>, array<i64>> differs from #smartmem.layout<array<i64: 1, 0>, array<i64>>, the target of the convert_layout producing its operand}}
  %1 = "smartmem.convert_layout"(%0) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

func.func @unknown_op(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{unknown operation 'smartmem.transpose' in the smartmem dialect}}
  %0 = "smartmem.transpose"(%arg0) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @unknown_attribute(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{attribute 'smartmem.tile': unknown attribute '#smartmem.tile'}}
  %0 = math.exp %arg0 {smartmem.tile = #smartmem.tile<4>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @smartmem_type(%arg0: tensor<2x3xf32>) {
  // expected-error @+1 {{the smartmem dialect defines no types, got !smartmem.image}}
  %0 = "test.make"(%arg0) : (tensor<2x3xf32>) -> !smartmem.image
  return
}

// -----

func.func @op_class_bad_dependence(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{#smartmem.op_class dependence must be "ILD" or "ILI", got "LD"}}
  %0 = math.exp %arg0 {smartmem.op_class = #smartmem.op_class<"LD", "variable">} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @op_class_bad_output(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{#smartmem.op_class output layout must be "variable" or "fixed", got 1 : i64}}
  %0 = math.exp %arg0 {smartmem.op_class = #smartmem.op_class<"ILI", 1>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @op_class_holds_layout(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{attribute 'smartmem.op_class' must be a #smartmem.op_class, got #smartmem.layout<array<i64: 1, 0>, array<i64>>}}
  %0 = math.exp %arg0 {smartmem.op_class = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @op_class_not_smartmem(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{attribute 'smartmem.op_class' must be a #smartmem.op_class, got "ILD"}}
  %0 = math.exp %arg0 {smartmem.op_class = "ILD"} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @layout_on_op_rank_mismatch(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{attribute 'smartmem.layout' on its result tensor<2x3xf32>: layout of rank 1 does not match the tensor's rank 2}}
  %0 = math.exp %arg0 {smartmem.layout = #smartmem.layout<array<i64: 0>, array<i64>>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// expected-error @+1 {{attribute 'smartmem.layout' on argument #1 tensor<6xf32>: blocking factor 4 does not divide dim 0 of size 6}}
func.func @layout_on_argument(%arg0: tensor<2x3xf32>, %arg1: tensor<6xf32> {smartmem.layout = #smartmem.layout<array<i64: 0>, array<i64: 0, 4>>}) {
  return
}

// -----

func.func @texture_dim_twice(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{dim 0 appears more than once in the texture's height/width}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 0, 1>, 1 : i64>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @texture_misses_dim(%arg0: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  // expected-error @+1 {{texture dims [0, 2] do not cover the tensor's dims 0..2 exactly once}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 2>, 2 : i64>} : tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

func.func @texel_dim_not_mapped(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{texel dim 2 is in neither the height nor the width dims}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 2 : i64>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @texel_dim_not_i64(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{#smartmem.texture texel dim must be an i64 integer, got 1 : i32}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i32>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// 64 x ceil(70000 / 4) texels: the width is beyond 16384.
func.func @texture_too_wide(%arg0: tensor<64x70000xf16>) -> tensor<64x70000xf16> {
  // expected-error @+1 {{image width 17500 exceeds the maximum image dimension 16384}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>} : tensor<64x70000xf16>
  return %0 : tensor<64x70000xf16>
}

// -----

func.func @relayout_element_count(%arg0: tensor<2x3x4xf32>) -> tensor<6x5xf32> {
  // expected-error @+1 {{'smartmem.relayout' result tensor<6x5xf32> has 30 elements, its operand tensor<2x3x4xf32> 24}}
  %0 = "smartmem.relayout"(%arg0) {layout = #smartmem.layout<array<i64: 1, 0, 2>, array<i64>>} : (tensor<2x3x4xf32>) -> tensor<6x5xf32>
  return %0 : tensor<6x5xf32>
}

// -----

func.func @relayout_element_type(%arg0: tensor<2x3xf32>) -> tensor<3x2xf16> {
  // expected-error @+1 {{'smartmem.relayout' result element type f16 differs from its operand's f32}}
  %0 = "smartmem.relayout"(%arg0) {layout = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3xf32>) -> tensor<3x2xf16>
  return %0 : tensor<3x2xf16>
}

// -----

func.func @relayout_layout_rank(%arg0: tensor<2x3x4xf32>) -> tensor<24xf32> {
  // expected-error @+1 {{attribute 'layout' on its operand tensor<2x3x4xf32>: layout of rank 2 does not match the tensor's rank 3}}
  %0 = "smartmem.relayout"(%arg0) {layout = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<2x3x4xf32>) -> tensor<24xf32>
  return %0 : tensor<24xf32>
}

// -----

func.func @relayout_blocking_does_not_divide(%arg0: tensor<6x5xf32>) -> tensor<30xf32> {
  // expected-error @+1 {{attribute 'layout' on its operand tensor<6x5xf32>: blocking factor 4 does not divide dim 0 of size 6}}
  %0 = "smartmem.relayout"(%arg0) {layout = #smartmem.layout<array<i64: 0, 1>, array<i64: 0, 4>>} : (tensor<6x5xf32>) -> tensor<30xf32>
  return %0 : tensor<30xf32>
}

// -----

func.func @relayout_dynamic(%arg0: tensor<?x4xf32>) -> tensor<4x?xf32> {
  // expected-error @+1 {{'smartmem.relayout' operand must be a statically shaped ranked tensor, got tensor<?x4xf32>}}
  %0 = "smartmem.relayout"(%arg0) {layout = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<?x4xf32>) -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}
