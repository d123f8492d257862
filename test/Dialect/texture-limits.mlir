// Image extents of #smartmem.texture against the maximum image dimension
// (16384): exact limits pass, one past fails; the texel dim counts
// ceil(size / 4) texels. IRDL knows nothing of extents and accepts all.

// RUN: iree-opt --irdl-file=%irdl --split-input-file %s -o /dev/null
// RUN: smartmem-opt %s --split-input-file --verify-diagnostics

// Height exactly 16384 (texel dim 1 of size 4 is a single texel wide).
func.func @height_at_limit(%arg0: tensor<16384x4xf16>) -> tensor<16384x4xf16> {
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>} : tensor<16384x4xf16>
  return %0 : tensor<16384x4xf16>
}

// -----

// Height folds two dims: 128 * 129 = 16512.
func.func @height_product_past_limit(%arg0: tensor<128x129x4xf16>) -> tensor<128x129x4xf16> {
  // expected-error @+1 {{image height 16512 exceeds the maximum image dimension 16384}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0, 1>, array<i64: 2>, 2 : i64>} : tensor<128x129x4xf16>
  return %0 : tensor<128x129x4xf16>
}

// -----

// 128 * 128 = 16384 rows.
func.func @height_product_at_limit(%arg0: tensor<128x128x4xf16>) -> tensor<128x128x4xf16> {
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0, 1>, array<i64: 2>, 2 : i64>} : tensor<128x128x4xf16>
  return %0 : tensor<128x128x4xf16>
}

// -----

// ceil(65533 / 4) = 16384 texels wide.
func.func @texel_width_rounds_up_to_limit(%arg0: tensor<2x65533xf16>) -> tensor<2x65533xf16> {
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>} : tensor<2x65533xf16>
  return %0 : tensor<2x65533xf16>
}

// -----

// ceil(65537 / 4) = 16385 texels wide.
func.func @texel_width_past_limit(%arg0: tensor<2x65537xf16>) -> tensor<2x65537xf16> {
  // expected-error @+1 {{image width 16385 exceeds the maximum image dimension 16384}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>} : tensor<2x65537xf16>
  return %0 : tensor<2x65537xf16>
}

// -----

// The same 65537 elements on the height axis, not as texels: 65537 rows.
func.func @non_texel_dim_is_not_divided(%arg0: tensor<65537x4xf16>) -> tensor<65537x4xf16> {
  // expected-error @+1 {{image height 65537 exceeds the maximum image dimension 16384}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>} : tensor<65537x4xf16>
  return %0 : tensor<65537x4xf16>
}

// -----

// A dynamic size leaves its axis unchecked; the other axis is still checked.
func.func @dynamic_height_is_not_checked(%arg0: tensor<?x16384xf16>) -> tensor<?x16384xf16> {
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 0 : i64>} : tensor<?x16384xf16>
  return %0 : tensor<?x16384xf16>
}

// -----

func.func @static_width_is_checked(%arg0: tensor<?x16385xf16>) -> tensor<?x16385xf16> {
  // expected-error @+1 {{image width 16385 exceeds the maximum image dimension 16384}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 0 : i64>} : tensor<?x16385xf16>
  return %0 : tensor<?x16385xf16>
}
