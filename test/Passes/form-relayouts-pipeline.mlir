// The explicit intermediate form: SmartMem's input-phase pipeline cut after
// write-through shows the chains it keeps as smartmem.relayout ops (the
// decisions: what was folded or written through has no relayout left);
// the full pipeline materializes them and leaves no smartmem op.

// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-form-relayouts,smartmem-fold-layout-chains{elementwise=false},smartmem-write-through-layout-chains)' %s | FileCheck %s --check-prefix=INTER
// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-split-producer-by-slices,smartmem-fold-rolls,smartmem-concat-slices-to-transpose,smartmem-form-relayouts,smartmem-fold-layout-chains{elementwise=false},smartmem-write-through-layout-chains,smartmem-fold-layout-chains,smartmem-materialize-relayouts,canonicalize,cse)' %s | FileCheck %s --check-prefix=FINAL

// Window partition in front of the QKV projection: folding it would take
// the projection off IREE's matmul pipeline and its source is a function
// argument (nothing to write through), so the chain stays: one relayout in
// the intermediate form, one transpose in the final IR.
// INTER-LABEL: func.func @window_partition_kept
// INTER: %[[R:.+]] = "smartmem.relayout"(%{{.+}}) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>} : (tensor<2x2x2x2x4xf32>) -> tensor<16x4xf32>
// INTER: linalg.matmul ins(%[[R]],
// FINAL-LABEL: func.func @window_partition_kept
// FINAL-NOT: smartmem.
// FINAL: %[[T:.+]] = linalg.transpose ins(%{{.+}} : tensor<2x2x2x2x4xf32>) {{.*}} permutation = [0, 2, 1, 3, 4]
// FINAL: %[[C:.+]] = tensor.collapse_shape %[[T]] {{\[}}[0, 1, 2, 3], [4]]
// FINAL: linalg.matmul ins(%[[C]],
// FINAL-NOT: smartmem.
func.func @window_partition_kept(%x: tensor<1x16x4xf32>, %w: tensor<4x8xf32>) -> tensor<16x8xf32> {
  %e = tensor.expand_shape %x [[0], [1, 2, 3, 4], [5]] output_shape [1, 2, 2, 2, 2, 4] : tensor<1x16x4xf32> into tensor<1x2x2x2x2x4xf32>
  %i = tensor.empty() : tensor<1x2x2x2x2x4xf32>
  %t = linalg.transpose ins(%e : tensor<1x2x2x2x2x4xf32>) outs(%i : tensor<1x2x2x2x2x4xf32>) permutation = [0, 1, 3, 2, 4, 5]
  %c = tensor.collapse_shape %t [[0, 1, 2, 3, 4], [5]] : tensor<1x2x2x2x2x4xf32> into tensor<16x4xf32>
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %m = linalg.matmul ins(%c, %w : tensor<16x4xf32>, tensor<4x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  return %m : tensor<16x8xf32>
}

// -----

// Head split read by the score batch_matmul: the relayout is folded into
// it (it reads the projection's output through a free reshape).
// INTER-LABEL: func.func @head_split_folded
// INTER-NOT: smartmem.relayout
// INTER: linalg.generic
// INTER-SAME: ins(%{{.+}}, %arg1 : tensor<8x3x4xf32>, tensor<3x4x8xf32>)
// FINAL-LABEL: func.func @head_split_folded
// FINAL-NOT: linalg.transpose
// FINAL-NOT: smartmem.
func.func @head_split_folded(%q: tensor<8x12xf32>, %k: tensor<3x4x8xf32>) -> tensor<3x8x8xf32> {
  %e = tensor.expand_shape %q [[0], [1, 2]] output_shape [8, 3, 4] : tensor<8x12xf32> into tensor<8x3x4xf32>
  %i = tensor.empty() : tensor<3x8x4xf32>
  %t = linalg.transpose ins(%e : tensor<8x3x4xf32>) outs(%i : tensor<3x8x4xf32>) permutation = [1, 0, 2]
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<3x8x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<3x8x8xf32>) -> tensor<3x8x8xf32>
  %m = linalg.batch_matmul ins(%t, %k : tensor<3x8x4xf32>, tensor<3x4x8xf32>) outs(%acc : tensor<3x8x8xf32>) -> tensor<3x8x8xf32>
  return %m : tensor<3x8x8xf32>
}

// -----

// Window reverse after the output projection and its bias add: written
// through by the bias add, no relayout left.
// INTER-LABEL: func.func @window_reverse_written_through
// INTER-NOT: smartmem.relayout
// INTER: linalg.matmul
// INTER: linalg.generic
// INTER-SAME: outs(%{{.+}} : tensor<2x2x2x2x8xf32>)
// FINAL-LABEL: func.func @window_reverse_written_through
// FINAL-NOT: linalg.transpose
// FINAL-NOT: smartmem.
func.func @window_reverse_written_through(%x: tensor<16x4xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %a = tensor.empty() : tensor<16x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%a : tensor<16x8xf32>) -> tensor<16x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x4xf32>, tensor<4x8xf32>) outs(%acc : tensor<16x8xf32>) -> tensor<16x8xf32>
  %o = tensor.empty() : tensor<16x8xf32>
  %biased = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<16x8xf32>, tensor<8xf32>) outs(%o : tensor<16x8xf32>) {
  ^bb0(%p: f32, %q: f32, %out: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  %e = tensor.expand_shape %biased [[0, 1, 2, 3], [4]] output_shape [2, 2, 2, 2, 8] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
  %i = tensor.empty() : tensor<2x2x2x2x8xf32>
  %t = linalg.transpose ins(%e : tensor<2x2x2x2x8xf32>) outs(%i : tensor<2x2x2x2x8xf32>) permutation = [0, 2, 1, 3, 4]
  %c = tensor.collapse_shape %t [[0, 1, 2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<16x8xf32>
  return %c : tensor<16x8xf32>
}
