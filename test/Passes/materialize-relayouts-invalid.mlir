// After smartmem-materialize-relayouts no smartmem op may remain: the pass
// fails with a diagnostic at any op it cannot lower.

// RUN: smartmem-opt --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(smartmem-materialize-relayouts)' %s

func.func @no_materialize_blocked_layout(%x: tensor<1x8x5x5xf32>) -> tensor<200xf32> {
  // expected-error @+1 {{cannot materialize a relayout with a blocked layout #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>}}
  %r = "smartmem.relayout"(%x) {layout = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>} : (tensor<1x8x5x5xf32>) -> tensor<200xf32>
  return %r : tensor<200xf32>
}

// -----

func.func @no_materialize_convert_layout(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'smartmem.convert_layout' remains after smartmem-materialize-relayouts: it has no lowering to linalg/tensor IR}}
  %c = "smartmem.convert_layout"(%x) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 1, 0>, array<i64>>} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %c : tensor<4x8xf32>
}
