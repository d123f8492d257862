// The peers' fixed image mappings (shared/docs/smartmem-method.md, section 4)
// written as #smartmem.texture on real activation shapes; SmartMem chooses one
// per tensor instead. Valid mappings round-trip through both tools; a mapping
// that overflows the image limit is rejected by the Python verifier only.

// RUN: iree-opt --irdl-file=%irdl --split-input-file %s | FileCheck %s
// RUN: smartmem-opt %s --split-input-file --verify-diagnostics

// MNN image2d (NC4HW4): width ceil(C/4) * W, height N * H. Swin-T's patch
// embedding output, NCHW 1x96x56x56: 56 x 1344 texels.
// CHECK-LABEL: func.func @mnn_nc4hw4
// CHECK: smartmem.texture = #smartmem.texture<array<i64: 0, 2>, array<i64: 1, 3>, 1 : i64>
func.func @mnn_nc4hw4(%arg0: tensor<1x96x56x56xf16>) -> tensor<1x96x56x56xf16> {
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0, 2>, array<i64: 1, 3>, 1 : i64>} : tensor<1x96x56x56xf16>
  return %0 : tensor<1x96x56x56xf16>
}

// -----

// TFLite GPU TEXTURE_2D (PHWC4): width W * B, height H * ceil(C/4), on NHWC.
// CHECK-LABEL: func.func @tflite_phwc4
// CHECK: smartmem.texture = #smartmem.texture<array<i64: 1, 3>, array<i64: 2, 0>, 3 : i64>
func.func @tflite_phwc4(%arg0: tensor<1x56x56x96xf16>) -> tensor<1x56x56x96xf16> {
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 1, 3>, array<i64: 2, 0>, 3 : i64>} : tensor<1x56x56x96xf16>
  return %0 : tensor<1x56x56x96xf16>
}

// -----

// TVM global.texture on NCHW4c: rows N * C * H, columns W, the trailing 4 in RGBA.
// CHECK-LABEL: func.func @tvm_nchw4c
// CHECK: smartmem.texture = #smartmem.texture<array<i64: 0, 1, 2>, array<i64: 3, 4>, 4 : i64>
func.func @tvm_nchw4c(%arg0: tensor<1x24x56x56x4xf16>) -> tensor<1x24x56x56x4xf16> {
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0, 1, 2>, array<i64: 3, 4>, 4 : i64>} : tensor<1x24x56x56x4xf16>
  return %0 : tensor<1x24x56x56x4xf16>
}

// -----

// SmartMem's own choice for a matmul operand [M, K] read along K: K split by
// 4 into RGBA, M along the height (a transformer's 3136 x 96 token matrix).
// CHECK-LABEL: func.func @reduction_dim_in_texels
// CHECK: smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>
func.func @reduction_dim_in_texels(%arg0: tensor<3136x96xf16>) -> tensor<3136x96xf16> {
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i64>} : tensor<3136x96xf16>
  return %0 : tensor<3136x96xf16>
}

// -----

// MNN's rule on a wide activation (1x3072x64x64): 768 * 64 = 49152 texels wide.
// CHECK-LABEL: func.func @mnn_overflows_on_wide_activations
func.func @mnn_overflows_on_wide_activations(%arg0: tensor<1x3072x64x64xf16>) -> tensor<1x3072x64x64xf16> {
  // expected-error @+1 {{image width 49152 exceeds the maximum image dimension 16384}}
  %0 = math.exp %arg0 {smartmem.texture = #smartmem.texture<array<i64: 0, 2>, array<i64: 1, 3>, 1 : i64>} : tensor<1x3072x64x64xf16>
  return %0 : tensor<1x3072x64x64xf16>
}
