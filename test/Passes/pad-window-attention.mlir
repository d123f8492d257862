// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-pad-window-attention{multiple=4 min-rows=16},canonicalize,cse)' %s | FileCheck %s
// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-pad-window-attention{multiple=4},canonicalize,cse)' %s | FileCheck %s --check-prefix=ROWS

// A Swin-like window attention after IREE's global optimization: 2x2
// windows of 3x3 tokens, two heads. Q and V are head-split projections, K a
// plain matmul whose bias add writes K^T, the scores get an additive mask.
// The tokens are stored as a 4x4 grid: the activation is padded before its
// window collapse, the mask constant through its grid, the projections and
// attention run on 16 tokens, QK^T reads K [b, n, k] (no K^T written), the
// key projection writes the head split itself, the softmax masks the padded
// keys (row or column of the grid >= 3), and the output is sliced back
// before its window reverse.
// CHECK-LABEL: func.func @window_attention
// CHECK: %[[XP:.+]] = tensor.pad %arg0 low[0, 0, 0, 0, 0] high[0, 0, 1, 1, 0]
// CHECK: %[[X:.+]] = tensor.collapse_shape %[[XP]] {{\[}}[0, 1], [2, 3], [4]] : tensor<2x2x4x4x16xf32> into tensor<4x16x16xf32>
// CHECK: %[[Q:.+]] = linalg.generic {{.*}} ins(%[[X]], %arg1 : tensor<4x16x16xf32>, tensor<16x2x8xf32>) outs(%{{.+}} : tensor<2x4x16x8xf32>)
// CHECK: %[[WK:.+]] = tensor.expand_shape %arg2 {{\[}}[0], [1, 2]] output_shape [16, 2, 8]
// CHECK: %[[K:.+]] = linalg.generic {{.*}} ins(%[[X]], %[[WK]] : tensor<4x16x16xf32>, tensor<16x2x8xf32>) outs(%{{.+}} : tensor<2x4x16x8xf32>)
// CHECK: %[[KB:.+]] = linalg.generic {{.*}} ins(%[[K]], %arg4 : tensor<2x4x16x8xf32>, tensor<2x8xf32>) outs(%{{.+}} : tensor<2x4x16x8xf32>)
// CHECK: %[[KC:.+]] = tensor.collapse_shape %[[KB]] {{.*}} into tensor<8x16x8xf32>
// CHECK: %[[S:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %[[KC]] : tensor<8x16x8xf32>, tensor<8x16x8xf32>) outs(%{{.+}} : tensor<8x16x16xf32>)
// CHECK: %[[MASK6:.+]] = tensor.expand_shape %arg5 {{.*}} output_shape [2, 4, 3, 3, 3, 3]
// CHECK: %[[MASKP:.+]] = tensor.pad %[[MASK6]] low[0, 0, 0, 0, 0, 0] high[0, 0, 1, 1, 1, 1]
// CHECK: tensor.collapse_shape %[[MASKP]] {{.*}} into tensor<2x4x16x16xf32>
// CHECK: linalg.index 3
// CHECK: arith.divui
// CHECK: arith.remui
// CHECK: arith.select
// CHECK: %[[P:.+]] = linalg.softmax dimension(3) {{.*}} -> tensor<2x4x16x16xf32>
// CHECK: linalg.batch_matmul ins(%{{.+}}, %{{.+}} : tensor<8x16x16xf32>, tensor<8x16x8xf32>)
// CHECK: %[[Y:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<4x16x16xf32>)
// CHECK: %[[YG:.+]] = tensor.expand_shape %[[Y]] {{.*}} output_shape [4, 4, 4, 16]
// CHECK: %[[YS:.+]] = tensor.extract_slice %[[YG]][0, 0, 0, 0] [4, 3, 3, 16] [1, 1, 1, 1]
// CHECK: %[[R:.+]] = tensor.expand_shape %[[YS]] {{.*}} into tensor<2x2x3x3x16xf32>
// CHECK: return %[[R]]
// ROWS-LABEL: func.func @window_attention
// ROWS-NOT: tensor.pad
// ROWS: linalg.softmax dimension(3) {{.*}} -> tensor<2x4x9x9xf32>
func.func @window_attention(%x: tensor<2x2x3x3x16xf32>, %wq: tensor<16x2x8xf32>, %wk: tensor<16x16xf32>, %wv: tensor<16x2x8xf32>, %bias: tensor<2x8xf32>, %mask: tensor<2x4x9x9xf32>, %wo: tensor<2x8x16xf32>) -> tensor<2x2x3x3x16xf32> {
  %zero = arith.constant 0.0 : f32
  %xc = tensor.collapse_shape %x [[0, 1], [2, 3], [4]] : tensor<2x2x3x3x16xf32> into tensor<4x9x16xf32>
  %xr = tensor.collapse_shape %x [[0, 1, 2, 3], [4]] : tensor<2x2x3x3x16xf32> into tensor<36x16xf32>
  %p0 = tensor.empty() : tensor<2x4x9x8xf32>
  %pf = linalg.fill ins(%zero : f32) outs(%p0 : tensor<2x4x9x8xf32>) -> tensor<2x4x9x8xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wq : tensor<4x9x16xf32>, tensor<16x2x8xf32>) outs(%pf : tensor<2x4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x8xf32>
  %qb = linalg.generic {indexing_maps = [affine_map<(h, w, t, d) -> (h, w, t, d)>, affine_map<(h, w, t, d) -> (h, d)>, affine_map<(h, w, t, d) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q, %bias : tensor<2x4x9x8xf32>, tensor<2x8xf32>) outs(%p0 : tensor<2x4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x8xf32>
  %qc = tensor.collapse_shape %qb [[0, 1], [2], [3]] : tensor<2x4x9x8xf32> into tensor<8x9x8xf32>
  %k0 = tensor.empty() : tensor<36x16xf32>
  %kf = linalg.fill ins(%zero : f32) outs(%k0 : tensor<36x16xf32>) -> tensor<36x16xf32>
  %k = linalg.matmul ins(%xr, %wk : tensor<36x16xf32>, tensor<16x16xf32>) outs(%kf : tensor<36x16xf32>) -> tensor<36x16xf32>
  %ke = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [4, 9, 2, 8] : tensor<36x16xf32> into tensor<4x9x2x8xf32>
  %kt0 = tensor.empty() : tensor<2x4x8x9xf32>
  %kt = linalg.generic {indexing_maps = [affine_map<(h, w, d, t) -> (w, t, h, d)>, affine_map<(h, w, d, t) -> (h, d)>, affine_map<(h, w, d, t) -> (h, w, d, t)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ke, %bias : tensor<4x9x2x8xf32>, tensor<2x8xf32>) outs(%kt0 : tensor<2x4x8x9xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x8x9xf32>
  %ktc = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x4x8x9xf32> into tensor<8x8x9xf32>
  %v = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wv : tensor<4x9x16xf32>, tensor<16x2x8xf32>) outs(%pf : tensor<2x4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x8xf32>
  %vc = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x4x9x8xf32> into tensor<8x9x8xf32>
  %s0 = tensor.empty() : tensor<8x9x9xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<8x9x9xf32>) -> tensor<8x9x9xf32>
  %s = linalg.batch_matmul ins(%qc, %ktc : tensor<8x9x8xf32>, tensor<8x8x9xf32>) outs(%sf : tensor<8x9x9xf32>) -> tensor<8x9x9xf32>
  %se = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 4, 9, 9] : tensor<8x9x9xf32> into tensor<2x4x9x9xf32>
  %m0 = tensor.empty() : tensor<2x4x9x9xf32>
  %sm = linalg.generic {indexing_maps = [affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%se, %mask : tensor<2x4x9x9xf32>, tensor<2x4x9x9xf32>) outs(%m0 : tensor<2x4x9x9xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s1 = arith.addf %a, %b : f32
    linalg.yield %s1 : f32
  } -> tensor<2x4x9x9xf32>
  %p = linalg.softmax dimension(3) ins(%sm : tensor<2x4x9x9xf32>) outs(%m0 : tensor<2x4x9x9xf32>) -> tensor<2x4x9x9xf32>
  %pc = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x4x9x9xf32> into tensor<8x9x9xf32>
  %o0 = tensor.empty() : tensor<8x9x8xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<8x9x8xf32>) -> tensor<8x9x8xf32>
  %o = linalg.batch_matmul ins(%pc, %vc : tensor<8x9x9xf32>, tensor<8x9x8xf32>) outs(%of : tensor<8x9x8xf32>) -> tensor<8x9x8xf32>
  %oe = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [2, 4, 9, 8] : tensor<8x9x8xf32> into tensor<2x4x9x8xf32>
  %y0 = tensor.empty() : tensor<4x9x16xf32>
  %yf = linalg.fill ins(%zero : f32) outs(%y0 : tensor<4x9x16xf32>) -> tensor<4x9x16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(w, t, c, h, d) -> (h, w, t, d)>, affine_map<(w, t, c, h, d) -> (h, d, c)>, affine_map<(w, t, c, h, d) -> (w, t, c)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%oe, %wo : tensor<2x4x9x8xf32>, tensor<2x8x16xf32>) outs(%yf : tensor<4x9x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32):
    %m = arith.mulf %a, %b : f32
    %s2 = arith.addf %o1, %m : f32
    linalg.yield %s2 : f32
  } -> tensor<4x9x16xf32>
  %ye = tensor.expand_shape %y [[0, 1], [2, 3], [4]] output_shape [2, 2, 3, 3, 16] : tensor<4x9x16xf32> into tensor<2x2x3x3x16xf32>
  return %ye : tensor<2x2x3x3x16xf32>
}


// -----

// The same attention behind a cyclic shift: the window reverse is a gather
// (tensor.extract at computed indices). It reads the padded output in
// place, at the token's grid position (t / 3) * 4 + t % 3.
// CHECK-LABEL: func.func @window_attention_gather_exit
// CHECK: %[[Y:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<4x16x16xf32>)
// CHECK: linalg.generic
// CHECK: %[[ROW:.+]] = arith.divui %[[T:.+]], %[[C3:.+]] : index
// CHECK: %[[COL:.+]] = arith.remui %[[T]], %[[C3]] : index
// CHECK: %[[SCALED:.+]] = arith.muli %[[ROW]], %[[C4:.+]] : index
// CHECK: %[[GRID:.+]] = arith.addi %[[SCALED]], %[[COL]] : index
// CHECK: tensor.extract %[[Y]][%{{.+}}, %[[GRID]], %{{.+}}] : tensor<4x16x16xf32>
// CHECK-NOT: tensor.extract_slice
func.func @window_attention_gather_exit(%x: tensor<2x2x3x3x16xf32>, %wq: tensor<16x2x8xf32>, %wk: tensor<16x16xf32>, %wv: tensor<16x2x8xf32>, %bias: tensor<2x8xf32>, %mask: tensor<2x4x9x9xf32>, %wo: tensor<2x8x16xf32>) -> tensor<2x2x3x3x16xf32> {
  %zero = arith.constant 0.0 : f32
  %xc = tensor.collapse_shape %x [[0, 1], [2, 3], [4]] : tensor<2x2x3x3x16xf32> into tensor<4x9x16xf32>
  %xr = tensor.collapse_shape %x [[0, 1, 2, 3], [4]] : tensor<2x2x3x3x16xf32> into tensor<36x16xf32>
  %p0 = tensor.empty() : tensor<2x4x9x8xf32>
  %pf = linalg.fill ins(%zero : f32) outs(%p0 : tensor<2x4x9x8xf32>) -> tensor<2x4x9x8xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wq : tensor<4x9x16xf32>, tensor<16x2x8xf32>) outs(%pf : tensor<2x4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x8xf32>
  %qb = linalg.generic {indexing_maps = [affine_map<(h, w, t, d) -> (h, w, t, d)>, affine_map<(h, w, t, d) -> (h, d)>, affine_map<(h, w, t, d) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q, %bias : tensor<2x4x9x8xf32>, tensor<2x8xf32>) outs(%p0 : tensor<2x4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x8xf32>
  %qc = tensor.collapse_shape %qb [[0, 1], [2], [3]] : tensor<2x4x9x8xf32> into tensor<8x9x8xf32>
  %k0 = tensor.empty() : tensor<36x16xf32>
  %kf = linalg.fill ins(%zero : f32) outs(%k0 : tensor<36x16xf32>) -> tensor<36x16xf32>
  %k = linalg.matmul ins(%xr, %wk : tensor<36x16xf32>, tensor<16x16xf32>) outs(%kf : tensor<36x16xf32>) -> tensor<36x16xf32>
  %ke = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [4, 9, 2, 8] : tensor<36x16xf32> into tensor<4x9x2x8xf32>
  %kt0 = tensor.empty() : tensor<2x4x8x9xf32>
  %kt = linalg.generic {indexing_maps = [affine_map<(h, w, d, t) -> (w, t, h, d)>, affine_map<(h, w, d, t) -> (h, d)>, affine_map<(h, w, d, t) -> (h, w, d, t)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ke, %bias : tensor<4x9x2x8xf32>, tensor<2x8xf32>) outs(%kt0 : tensor<2x4x8x9xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x8x9xf32>
  %ktc = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x4x8x9xf32> into tensor<8x8x9xf32>
  %v = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wv : tensor<4x9x16xf32>, tensor<16x2x8xf32>) outs(%pf : tensor<2x4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x8xf32>
  %vc = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x4x9x8xf32> into tensor<8x9x8xf32>
  %s0 = tensor.empty() : tensor<8x9x9xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<8x9x9xf32>) -> tensor<8x9x9xf32>
  %s = linalg.batch_matmul ins(%qc, %ktc : tensor<8x9x8xf32>, tensor<8x8x9xf32>) outs(%sf : tensor<8x9x9xf32>) -> tensor<8x9x9xf32>
  %se = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 4, 9, 9] : tensor<8x9x9xf32> into tensor<2x4x9x9xf32>
  %m0 = tensor.empty() : tensor<2x4x9x9xf32>
  %sm = linalg.generic {indexing_maps = [affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%se, %mask : tensor<2x4x9x9xf32>, tensor<2x4x9x9xf32>) outs(%m0 : tensor<2x4x9x9xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s1 = arith.addf %a, %b : f32
    linalg.yield %s1 : f32
  } -> tensor<2x4x9x9xf32>
  %p = linalg.softmax dimension(3) ins(%sm : tensor<2x4x9x9xf32>) outs(%m0 : tensor<2x4x9x9xf32>) -> tensor<2x4x9x9xf32>
  %pc = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x4x9x9xf32> into tensor<8x9x9xf32>
  %o0 = tensor.empty() : tensor<8x9x8xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<8x9x8xf32>) -> tensor<8x9x8xf32>
  %o = linalg.batch_matmul ins(%pc, %vc : tensor<8x9x9xf32>, tensor<8x9x8xf32>) outs(%of : tensor<8x9x8xf32>) -> tensor<8x9x8xf32>
  %oe = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [2, 4, 9, 8] : tensor<8x9x8xf32> into tensor<2x4x9x8xf32>
  %y0 = tensor.empty() : tensor<4x9x16xf32>
  %yf = linalg.fill ins(%zero : f32) outs(%y0 : tensor<4x9x16xf32>) -> tensor<4x9x16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(w, t, c, h, d) -> (h, w, t, d)>, affine_map<(w, t, c, h, d) -> (h, d, c)>, affine_map<(w, t, c, h, d) -> (w, t, c)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%oe, %wo : tensor<2x4x9x8xf32>, tensor<2x8x16xf32>) outs(%yf : tensor<4x9x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32):
    %m = arith.mulf %a, %b : f32
    %s2 = arith.addf %o1, %m : f32
    linalg.yield %s2 : f32
  } -> tensor<4x9x16xf32>
  %r0 = tensor.empty() : tensor<2x2x3x3x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, i, j, c) -> (a, b, i, j, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} outs(%r0 : tensor<2x2x3x3x16xf32>) {
  ^bb0(%o2: f32):
    %ia = linalg.index 0 : index
    %ib = linalg.index 1 : index
    %ii = linalg.index 2 : index
    %ij = linalg.index 3 : index
    %ic = linalg.index 4 : index
    %c1 = arith.constant 1 : index
    %cs = arith.constant 3 : index
    %cww = arith.constant 2 : index
    %shifted = arith.addi %ij, %c1 : index
    %jj = arith.remui %shifted, %cs : index
    %wi = arith.muli %ia, %cww : index
    %w = arith.addi %wi, %ib : index
    %ti = arith.muli %ii, %cs : index
    %t = arith.addi %ti, %jj : index
    %e = tensor.extract %y[%w, %t, %ic] : tensor<4x9x16xf32>
    linalg.yield %e : f32
  } -> tensor<2x2x3x3x16xf32>
  return %r : tensor<2x2x3x3x16xf32>
}


// -----

// Head dims of 4: the key projection cannot write the head split itself
// (write_epilogue_layout refuses an innermost output of 4, off IREE's matmul
// pipeline), so the keys' bias add still permutes its result. The
// projection then gets a dispatch region of its own: left to IREE, the bias
// add would join its dispatch and give both the SubgroupReduce kernel.
// CHECK-LABEL: func.func @narrow_heads_own_dispatch
// CHECK: %[[K:.+]] = flow.dispatch.region -> (tensor<4x16x8xf32>) {
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<4x16x8xf32>)
// CHECK: flow.return
// CHECK: %[[KS:.+]] = tensor.expand_shape %[[K]] {{.*}} into tensor<4x16x2x4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[KS]], %arg4 : tensor<4x16x2x4xf32>, tensor<2x4xf32>) outs(%{{.+}} : tensor<2x4x16x4xf32>)
// CHECK: linalg.softmax dimension(3) {{.*}} -> tensor<2x4x16x16xf32>
func.func @narrow_heads_own_dispatch(%x: tensor<2x2x3x3x8xf32>, %wq: tensor<8x2x4xf32>, %wk: tensor<8x8xf32>, %wv: tensor<8x2x4xf32>, %bias: tensor<2x4xf32>, %mask: tensor<2x4x9x9xf32>, %wo: tensor<2x4x8xf32>) -> tensor<2x2x3x3x8xf32> {
  %zero = arith.constant 0.0 : f32
  %xc = tensor.collapse_shape %x [[0, 1], [2, 3], [4]] : tensor<2x2x3x3x8xf32> into tensor<4x9x8xf32>
  %xr = tensor.collapse_shape %x [[0, 1, 2, 3], [4]] : tensor<2x2x3x3x8xf32> into tensor<36x8xf32>
  %p0 = tensor.empty() : tensor<2x4x9x4xf32>
  %pf = linalg.fill ins(%zero : f32) outs(%p0 : tensor<2x4x9x4xf32>) -> tensor<2x4x9x4xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wq : tensor<4x9x8xf32>, tensor<8x2x4xf32>) outs(%pf : tensor<2x4x9x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x4xf32>
  %qb = linalg.generic {indexing_maps = [affine_map<(h, w, t, d) -> (h, w, t, d)>, affine_map<(h, w, t, d) -> (h, d)>, affine_map<(h, w, t, d) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q, %bias : tensor<2x4x9x4xf32>, tensor<2x4xf32>) outs(%p0 : tensor<2x4x9x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x4xf32>
  %qc = tensor.collapse_shape %qb [[0, 1], [2], [3]] : tensor<2x4x9x4xf32> into tensor<8x9x4xf32>
  %k0 = tensor.empty() : tensor<36x8xf32>
  %kf = linalg.fill ins(%zero : f32) outs(%k0 : tensor<36x8xf32>) -> tensor<36x8xf32>
  %k = linalg.matmul ins(%xr, %wk : tensor<36x8xf32>, tensor<8x8xf32>) outs(%kf : tensor<36x8xf32>) -> tensor<36x8xf32>
  %ke = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [4, 9, 2, 4] : tensor<36x8xf32> into tensor<4x9x2x4xf32>
  %kt0 = tensor.empty() : tensor<2x4x4x9xf32>
  %kt = linalg.generic {indexing_maps = [affine_map<(h, w, d, t) -> (w, t, h, d)>, affine_map<(h, w, d, t) -> (h, d)>, affine_map<(h, w, d, t) -> (h, w, d, t)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ke, %bias : tensor<4x9x2x4xf32>, tensor<2x4xf32>) outs(%kt0 : tensor<2x4x4x9xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x4x9xf32>
  %ktc = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x4x4x9xf32> into tensor<8x4x9xf32>
  %v = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wv : tensor<4x9x8xf32>, tensor<8x2x4xf32>) outs(%pf : tensor<2x4x9x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x4xf32>
  %vc = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x4x9x4xf32> into tensor<8x9x4xf32>
  %s0 = tensor.empty() : tensor<8x9x9xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<8x9x9xf32>) -> tensor<8x9x9xf32>
  %s = linalg.batch_matmul ins(%qc, %ktc : tensor<8x9x4xf32>, tensor<8x4x9xf32>) outs(%sf : tensor<8x9x9xf32>) -> tensor<8x9x9xf32>
  %se = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 4, 9, 9] : tensor<8x9x9xf32> into tensor<2x4x9x9xf32>
  %m0 = tensor.empty() : tensor<2x4x9x9xf32>
  %sm = linalg.generic {indexing_maps = [affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%se, %mask : tensor<2x4x9x9xf32>, tensor<2x4x9x9xf32>) outs(%m0 : tensor<2x4x9x9xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s1 = arith.addf %a, %b : f32
    linalg.yield %s1 : f32
  } -> tensor<2x4x9x9xf32>
  %p = linalg.softmax dimension(3) ins(%sm : tensor<2x4x9x9xf32>) outs(%m0 : tensor<2x4x9x9xf32>) -> tensor<2x4x9x9xf32>
  %pc = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x4x9x9xf32> into tensor<8x9x9xf32>
  %o0 = tensor.empty() : tensor<8x9x4xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<8x9x4xf32>) -> tensor<8x9x4xf32>
  %o = linalg.batch_matmul ins(%pc, %vc : tensor<8x9x9xf32>, tensor<8x9x4xf32>) outs(%of : tensor<8x9x4xf32>) -> tensor<8x9x4xf32>
  %oe = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [2, 4, 9, 4] : tensor<8x9x4xf32> into tensor<2x4x9x4xf32>
  %y0 = tensor.empty() : tensor<4x9x8xf32>
  %yf = linalg.fill ins(%zero : f32) outs(%y0 : tensor<4x9x8xf32>) -> tensor<4x9x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(w, t, c, h, d) -> (h, w, t, d)>, affine_map<(w, t, c, h, d) -> (h, d, c)>, affine_map<(w, t, c, h, d) -> (w, t, c)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%oe, %wo : tensor<2x4x9x4xf32>, tensor<2x4x8xf32>) outs(%yf : tensor<4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32):
    %m = arith.mulf %a, %b : f32
    %s2 = arith.addf %o1, %m : f32
    linalg.yield %s2 : f32
  } -> tensor<4x9x8xf32>
  %ye = tensor.expand_shape %y [[0, 1], [2, 3], [4]] output_shape [2, 2, 3, 3, 8] : tensor<4x9x8xf32> into tensor<2x2x3x3x8xf32>
  return %ye : tensor<2x2x3x3x8xf32>
}


// -----

// The mask is a global that an initializer sets (smartmem-hoist-constant-
// layouts' form): its grid padding goes into an initializer of its own, run
// once at load time; padded in the function it would be a copy dispatch
// every run.
// CHECK: util.global private @mask : tensor<2x4x9x9xf32>
// CHECK: util.global private @mask_window_grid_0 : tensor<2x4x16x16xf32>
// CHECK: util.initializer {
// CHECK: %[[SOURCE:.+]] = util.global.load immutable @mask : tensor<2x4x9x9xf32>
// CHECK: tensor.expand_shape %[[SOURCE]]
// CHECK: tensor.pad
// CHECK: util.global.store %{{.+}}, @mask_window_grid_0 : tensor<2x4x16x16xf32>
// CHECK-LABEL: func.func @mask_from_initialized_global
// CHECK: util.global.load immutable @mask_window_grid_0 : tensor<2x4x16x16xf32>
// CHECK: linalg.softmax dimension(3) {{.*}} -> tensor<2x4x16x16xf32>
util.global private @mask : tensor<2x4x9x9xf32>
util.initializer {
  %c = arith.constant dense<-1.0> : tensor<2x4x9x9xf32>
  util.global.store %c, @mask : tensor<2x4x9x9xf32>
  util.return
}
func.func @mask_from_initialized_global(%x: tensor<2x2x3x3x16xf32>, %wq: tensor<16x2x8xf32>, %wk: tensor<16x16xf32>, %wv: tensor<16x2x8xf32>, %bias: tensor<2x8xf32>, %wo: tensor<2x8x16xf32>) -> tensor<2x2x3x3x16xf32> {
  %zero = arith.constant 0.0 : f32
  %mask = util.global.load @mask : tensor<2x4x9x9xf32>
  %xc = tensor.collapse_shape %x [[0, 1], [2, 3], [4]] : tensor<2x2x3x3x16xf32> into tensor<4x9x16xf32>
  %xr = tensor.collapse_shape %x [[0, 1, 2, 3], [4]] : tensor<2x2x3x3x16xf32> into tensor<36x16xf32>
  %p0 = tensor.empty() : tensor<2x4x9x8xf32>
  %pf = linalg.fill ins(%zero : f32) outs(%p0 : tensor<2x4x9x8xf32>) -> tensor<2x4x9x8xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wq : tensor<4x9x16xf32>, tensor<16x2x8xf32>) outs(%pf : tensor<2x4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x8xf32>
  %qb = linalg.generic {indexing_maps = [affine_map<(h, w, t, d) -> (h, w, t, d)>, affine_map<(h, w, t, d) -> (h, d)>, affine_map<(h, w, t, d) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q, %bias : tensor<2x4x9x8xf32>, tensor<2x8xf32>) outs(%p0 : tensor<2x4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x8xf32>
  %qc = tensor.collapse_shape %qb [[0, 1], [2], [3]] : tensor<2x4x9x8xf32> into tensor<8x9x8xf32>
  %k0 = tensor.empty() : tensor<36x16xf32>
  %kf = linalg.fill ins(%zero : f32) outs(%k0 : tensor<36x16xf32>) -> tensor<36x16xf32>
  %k = linalg.matmul ins(%xr, %wk : tensor<36x16xf32>, tensor<16x16xf32>) outs(%kf : tensor<36x16xf32>) -> tensor<36x16xf32>
  %ke = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [4, 9, 2, 8] : tensor<36x16xf32> into tensor<4x9x2x8xf32>
  %kt0 = tensor.empty() : tensor<2x4x8x9xf32>
  %kt = linalg.generic {indexing_maps = [affine_map<(h, w, d, t) -> (w, t, h, d)>, affine_map<(h, w, d, t) -> (h, d)>, affine_map<(h, w, d, t) -> (h, w, d, t)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ke, %bias : tensor<4x9x2x8xf32>, tensor<2x8xf32>) outs(%kt0 : tensor<2x4x8x9xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x8x9xf32>
  %ktc = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x4x8x9xf32> into tensor<8x8x9xf32>
  %v = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wv : tensor<4x9x16xf32>, tensor<16x2x8xf32>) outs(%pf : tensor<2x4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x9x8xf32>
  %vc = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x4x9x8xf32> into tensor<8x9x8xf32>
  %s0 = tensor.empty() : tensor<8x9x9xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<8x9x9xf32>) -> tensor<8x9x9xf32>
  %s = linalg.batch_matmul ins(%qc, %ktc : tensor<8x9x8xf32>, tensor<8x8x9xf32>) outs(%sf : tensor<8x9x9xf32>) -> tensor<8x9x9xf32>
  %se = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 4, 9, 9] : tensor<8x9x9xf32> into tensor<2x4x9x9xf32>
  %m0 = tensor.empty() : tensor<2x4x9x9xf32>
  %sm = linalg.generic {indexing_maps = [affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%se, %mask : tensor<2x4x9x9xf32>, tensor<2x4x9x9xf32>) outs(%m0 : tensor<2x4x9x9xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s1 = arith.addf %a, %b : f32
    linalg.yield %s1 : f32
  } -> tensor<2x4x9x9xf32>
  %p = linalg.softmax dimension(3) ins(%sm : tensor<2x4x9x9xf32>) outs(%m0 : tensor<2x4x9x9xf32>) -> tensor<2x4x9x9xf32>
  %pc = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x4x9x9xf32> into tensor<8x9x9xf32>
  %o0 = tensor.empty() : tensor<8x9x8xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<8x9x8xf32>) -> tensor<8x9x8xf32>
  %o = linalg.batch_matmul ins(%pc, %vc : tensor<8x9x9xf32>, tensor<8x9x8xf32>) outs(%of : tensor<8x9x8xf32>) -> tensor<8x9x8xf32>
  %oe = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [2, 4, 9, 8] : tensor<8x9x8xf32> into tensor<2x4x9x8xf32>
  %y0 = tensor.empty() : tensor<4x9x16xf32>
  %yf = linalg.fill ins(%zero : f32) outs(%y0 : tensor<4x9x16xf32>) -> tensor<4x9x16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(w, t, c, h, d) -> (h, w, t, d)>, affine_map<(w, t, c, h, d) -> (h, d, c)>, affine_map<(w, t, c, h, d) -> (w, t, c)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%oe, %wo : tensor<2x4x9x8xf32>, tensor<2x8x16xf32>) outs(%yf : tensor<4x9x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32):
    %m = arith.mulf %a, %b : f32
    %s2 = arith.addf %o1, %m : f32
    linalg.yield %s2 : f32
  } -> tensor<4x9x16xf32>
  %ye = tensor.expand_shape %y [[0, 1], [2, 3], [4]] output_shape [2, 2, 3, 3, 16] : tensor<4x9x16xf32> into tensor<2x2x3x3x16xf32>
  return %ye : tensor<2x2x3x3x16xf32>
}


// -----

// Negative: one window of 9 tokens has 9 rows in its linear layers, below
// min-rows (16): IREE's kernels for few rows beat its matmul kernel on
// padded ones (smartmem-pad-contraction-rows' measurements), so the
// attention stays as it is.
// CHECK-LABEL: func.func @one_window_stays
// CHECK-NOT: tensor.pad
// CHECK: linalg.softmax dimension(3) {{.*}} -> tensor<2x1x9x9xf32>
func.func @one_window_stays(%x: tensor<1x1x3x3x16xf32>, %wq: tensor<16x2x8xf32>, %wk: tensor<16x16xf32>, %wv: tensor<16x2x8xf32>, %bias: tensor<2x8xf32>, %mask: tensor<2x1x9x9xf32>, %wo: tensor<2x8x16xf32>) -> tensor<1x1x3x3x16xf32> {
  %zero = arith.constant 0.0 : f32
  %xc = tensor.collapse_shape %x [[0, 1], [2, 3], [4]] : tensor<1x1x3x3x16xf32> into tensor<1x9x16xf32>
  %xr = tensor.collapse_shape %x [[0, 1, 2, 3], [4]] : tensor<1x1x3x3x16xf32> into tensor<9x16xf32>
  %p0 = tensor.empty() : tensor<2x1x9x8xf32>
  %pf = linalg.fill ins(%zero : f32) outs(%p0 : tensor<2x1x9x8xf32>) -> tensor<2x1x9x8xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wq : tensor<1x9x16xf32>, tensor<16x2x8xf32>) outs(%pf : tensor<2x1x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x1x9x8xf32>
  %qb = linalg.generic {indexing_maps = [affine_map<(h, w, t, d) -> (h, w, t, d)>, affine_map<(h, w, t, d) -> (h, d)>, affine_map<(h, w, t, d) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q, %bias : tensor<2x1x9x8xf32>, tensor<2x8xf32>) outs(%p0 : tensor<2x1x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x1x9x8xf32>
  %qc = tensor.collapse_shape %qb [[0, 1], [2], [3]] : tensor<2x1x9x8xf32> into tensor<2x9x8xf32>
  %k0 = tensor.empty() : tensor<9x16xf32>
  %kf = linalg.fill ins(%zero : f32) outs(%k0 : tensor<9x16xf32>) -> tensor<9x16xf32>
  %k = linalg.matmul ins(%xr, %wk : tensor<9x16xf32>, tensor<16x16xf32>) outs(%kf : tensor<9x16xf32>) -> tensor<9x16xf32>
  %ke = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [1, 9, 2, 8] : tensor<9x16xf32> into tensor<1x9x2x8xf32>
  %kt0 = tensor.empty() : tensor<2x1x8x9xf32>
  %kt = linalg.generic {indexing_maps = [affine_map<(h, w, d, t) -> (w, t, h, d)>, affine_map<(h, w, d, t) -> (h, d)>, affine_map<(h, w, d, t) -> (h, w, d, t)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ke, %bias : tensor<1x9x2x8xf32>, tensor<2x8xf32>) outs(%kt0 : tensor<2x1x8x9xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x1x8x9xf32>
  %ktc = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x1x8x9xf32> into tensor<2x8x9xf32>
  %v = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wv : tensor<1x9x16xf32>, tensor<16x2x8xf32>) outs(%pf : tensor<2x1x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x1x9x8xf32>
  %vc = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x1x9x8xf32> into tensor<2x9x8xf32>
  %s0 = tensor.empty() : tensor<2x9x9xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<2x9x9xf32>) -> tensor<2x9x9xf32>
  %s = linalg.batch_matmul ins(%qc, %ktc : tensor<2x9x8xf32>, tensor<2x8x9xf32>) outs(%sf : tensor<2x9x9xf32>) -> tensor<2x9x9xf32>
  %se = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 1, 9, 9] : tensor<2x9x9xf32> into tensor<2x1x9x9xf32>
  %m0 = tensor.empty() : tensor<2x1x9x9xf32>
  %sm = linalg.generic {indexing_maps = [affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%se, %mask : tensor<2x1x9x9xf32>, tensor<2x1x9x9xf32>) outs(%m0 : tensor<2x1x9x9xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s1 = arith.addf %a, %b : f32
    linalg.yield %s1 : f32
  } -> tensor<2x1x9x9xf32>
  %p = linalg.softmax dimension(3) ins(%sm : tensor<2x1x9x9xf32>) outs(%m0 : tensor<2x1x9x9xf32>) -> tensor<2x1x9x9xf32>
  %pc = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x1x9x9xf32> into tensor<2x9x9xf32>
  %o0 = tensor.empty() : tensor<2x9x8xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<2x9x8xf32>) -> tensor<2x9x8xf32>
  %o = linalg.batch_matmul ins(%pc, %vc : tensor<2x9x9xf32>, tensor<2x9x8xf32>) outs(%of : tensor<2x9x8xf32>) -> tensor<2x9x8xf32>
  %oe = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [2, 1, 9, 8] : tensor<2x9x8xf32> into tensor<2x1x9x8xf32>
  %y0 = tensor.empty() : tensor<1x9x16xf32>
  %yf = linalg.fill ins(%zero : f32) outs(%y0 : tensor<1x9x16xf32>) -> tensor<1x9x16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(w, t, c, h, d) -> (h, w, t, d)>, affine_map<(w, t, c, h, d) -> (h, d, c)>, affine_map<(w, t, c, h, d) -> (w, t, c)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%oe, %wo : tensor<2x1x9x8xf32>, tensor<2x8x16xf32>) outs(%yf : tensor<1x9x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32):
    %m = arith.mulf %a, %b : f32
    %s2 = arith.addf %o1, %m : f32
    linalg.yield %s2 : f32
  } -> tensor<1x9x16xf32>
  %ye = tensor.expand_shape %y [[0, 1], [2, 3], [4]] output_shape [1, 1, 3, 3, 16] : tensor<1x9x16xf32> into tensor<1x1x3x3x16xf32>
  return %ye : tensor<1x1x3x3x16xf32>
}


// -----

// Negative: 16 tokens (a 4x4 window) are a multiple of 4 already.
// CHECK-LABEL: func.func @aligned_tokens_stay
// CHECK-NOT: tensor.pad
// CHECK: linalg.softmax dimension(3) {{.*}} -> tensor<2x4x16x16xf32>
func.func @aligned_tokens_stay(%x: tensor<2x2x4x4x16xf32>, %wq: tensor<16x2x8xf32>, %wk: tensor<16x16xf32>, %wv: tensor<16x2x8xf32>, %bias: tensor<2x8xf32>, %mask: tensor<2x4x16x16xf32>, %wo: tensor<2x8x16xf32>) -> tensor<2x2x4x4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %xc = tensor.collapse_shape %x [[0, 1], [2, 3], [4]] : tensor<2x2x4x4x16xf32> into tensor<4x16x16xf32>
  %xr = tensor.collapse_shape %x [[0, 1, 2, 3], [4]] : tensor<2x2x4x4x16xf32> into tensor<64x16xf32>
  %p0 = tensor.empty() : tensor<2x4x16x8xf32>
  %pf = linalg.fill ins(%zero : f32) outs(%p0 : tensor<2x4x16x8xf32>) -> tensor<2x4x16x8xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wq : tensor<4x16x16xf32>, tensor<16x2x8xf32>) outs(%pf : tensor<2x4x16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x16x8xf32>
  %qb = linalg.generic {indexing_maps = [affine_map<(h, w, t, d) -> (h, w, t, d)>, affine_map<(h, w, t, d) -> (h, d)>, affine_map<(h, w, t, d) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q, %bias : tensor<2x4x16x8xf32>, tensor<2x8xf32>) outs(%p0 : tensor<2x4x16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x16x8xf32>
  %qc = tensor.collapse_shape %qb [[0, 1], [2], [3]] : tensor<2x4x16x8xf32> into tensor<8x16x8xf32>
  %k0 = tensor.empty() : tensor<64x16xf32>
  %kf = linalg.fill ins(%zero : f32) outs(%k0 : tensor<64x16xf32>) -> tensor<64x16xf32>
  %k = linalg.matmul ins(%xr, %wk : tensor<64x16xf32>, tensor<16x16xf32>) outs(%kf : tensor<64x16xf32>) -> tensor<64x16xf32>
  %ke = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [4, 16, 2, 8] : tensor<64x16xf32> into tensor<4x16x2x8xf32>
  %kt0 = tensor.empty() : tensor<2x4x8x16xf32>
  %kt = linalg.generic {indexing_maps = [affine_map<(h, w, d, t) -> (w, t, h, d)>, affine_map<(h, w, d, t) -> (h, d)>, affine_map<(h, w, d, t) -> (h, w, d, t)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ke, %bias : tensor<4x16x2x8xf32>, tensor<2x8xf32>) outs(%kt0 : tensor<2x4x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x8x16xf32>
  %ktc = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x4x8x16xf32> into tensor<8x8x16xf32>
  %v = linalg.generic {indexing_maps = [affine_map<(h, w, t, d, c) -> (w, t, c)>, affine_map<(h, w, t, d, c) -> (c, h, d)>, affine_map<(h, w, t, d, c) -> (h, w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%xc, %wv : tensor<4x16x16xf32>, tensor<16x2x8xf32>) outs(%pf : tensor<2x4x16x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x16x8xf32>
  %vc = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x4x16x8xf32> into tensor<8x16x8xf32>
  %s0 = tensor.empty() : tensor<8x16x16xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<8x16x16xf32>) -> tensor<8x16x16xf32>
  %s = linalg.batch_matmul ins(%qc, %ktc : tensor<8x16x8xf32>, tensor<8x8x16xf32>) outs(%sf : tensor<8x16x16xf32>) -> tensor<8x16x16xf32>
  %se = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 4, 16, 16] : tensor<8x16x16xf32> into tensor<2x4x16x16xf32>
  %m0 = tensor.empty() : tensor<2x4x16x16xf32>
  %sm = linalg.generic {indexing_maps = [affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>, affine_map<(h, w, i, j) -> (h, w, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%se, %mask : tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) outs(%m0 : tensor<2x4x16x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s1 = arith.addf %a, %b : f32
    linalg.yield %s1 : f32
  } -> tensor<2x4x16x16xf32>
  %p = linalg.softmax dimension(3) ins(%sm : tensor<2x4x16x16xf32>) outs(%m0 : tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %pc = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x4x16x16xf32> into tensor<8x16x16xf32>
  %o0 = tensor.empty() : tensor<8x16x8xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<8x16x8xf32>) -> tensor<8x16x8xf32>
  %o = linalg.batch_matmul ins(%pc, %vc : tensor<8x16x16xf32>, tensor<8x16x8xf32>) outs(%of : tensor<8x16x8xf32>) -> tensor<8x16x8xf32>
  %oe = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [2, 4, 16, 8] : tensor<8x16x8xf32> into tensor<2x4x16x8xf32>
  %y0 = tensor.empty() : tensor<4x16x16xf32>
  %yf = linalg.fill ins(%zero : f32) outs(%y0 : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(w, t, c, h, d) -> (h, w, t, d)>, affine_map<(w, t, c, h, d) -> (h, d, c)>, affine_map<(w, t, c, h, d) -> (w, t, c)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%oe, %wo : tensor<2x4x16x8xf32>, tensor<2x8x16xf32>) outs(%yf : tensor<4x16x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32):
    %m = arith.mulf %a, %b : f32
    %s2 = arith.addf %o1, %m : f32
    linalg.yield %s2 : f32
  } -> tensor<4x16x16xf32>
  %ye = tensor.expand_shape %y [[0, 1], [2, 3], [4]] output_shape [2, 2, 4, 4, 16] : tensor<4x16x16xf32> into tensor<2x2x4x4x16xf32>
  return %ye : tensor<2x2x4x4x16xf32>
}


// -----

// Negative: 6 tokens are no square window; the pass only knows square
// grids (Swin's windows).
// CHECK-LABEL: func.func @non_square_tokens_stay
// CHECK-NOT: tensor.pad
// CHECK: linalg.softmax dimension(2) {{.*}} -> tensor<8x6x6xf32>
func.func @non_square_tokens_stay(%q: tensor<8x6x8xf32>, %kt: tensor<8x8x6xf32>, %v: tensor<8x6x8xf32>) -> tensor<8x6x8xf32> {
  %zero = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<8x6x6xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<8x6x8xf32>, tensor<8x8x6xf32>) outs(%sf : tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<8x6x6xf32>) outs(%s0 : tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %o0 = tensor.empty() : tensor<8x6x8xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<8x6x8xf32>) -> tensor<8x6x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<8x6x6xf32>, tensor<8x6x8xf32>) outs(%of : tensor<8x6x8xf32>) -> tensor<8x6x8xf32>
  return %o : tensor<8x6x8xf32>
}

// -----

// Negative: the values are also summed over their tokens (a pooled
// output). That reduction would add the padded rows, so the attention
// stays on 9 tokens.
// CHECK-LABEL: func.func @token_sum_stays
// CHECK-NOT: tensor.pad
// CHECK: linalg.softmax dimension(2) {{.*}} -> tensor<4x9x9xf32>
func.func @token_sum_stays(%x: tensor<4x9x16xf32>, %wq: tensor<16x8xf32>, %wv: tensor<16x8xf32>, %kt: tensor<4x8x9xf32>) -> (tensor<4x9x8xf32>, tensor<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %p0 = tensor.empty() : tensor<4x9x8xf32>
  %pf = linalg.fill ins(%zero : f32) outs(%p0 : tensor<4x9x8xf32>) -> tensor<4x9x8xf32>
  %q = linalg.generic {indexing_maps = [affine_map<(w, t, d, c) -> (w, t, c)>, affine_map<(w, t, d, c) -> (c, d)>, affine_map<(w, t, d, c) -> (w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %wq : tensor<4x9x16xf32>, tensor<16x8xf32>) outs(%pf : tensor<4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %sum1 = arith.addf %o, %m : f32
    linalg.yield %sum1 : f32
  } -> tensor<4x9x8xf32>
  %v = linalg.generic {indexing_maps = [affine_map<(w, t, d, c) -> (w, t, c)>, affine_map<(w, t, d, c) -> (c, d)>, affine_map<(w, t, d, c) -> (w, t, d)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %wv : tensor<4x9x16xf32>, tensor<16x8xf32>) outs(%pf : tensor<4x9x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %sum1 = arith.addf %o, %m : f32
    linalg.yield %sum1 : f32
  } -> tensor<4x9x8xf32>
  %s0 = tensor.empty() : tensor<4x9x9xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<4x9x9xf32>) -> tensor<4x9x9xf32>
  %scores = linalg.batch_matmul ins(%q, %kt : tensor<4x9x8xf32>, tensor<4x8x9xf32>) outs(%sf : tensor<4x9x9xf32>) -> tensor<4x9x9xf32>
  %p = linalg.softmax dimension(2) ins(%scores : tensor<4x9x9xf32>) outs(%s0 : tensor<4x9x9xf32>) -> tensor<4x9x9xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x9x9xf32>, tensor<4x9x8xf32>) outs(%pf : tensor<4x9x8xf32>) -> tensor<4x9x8xf32>
  %n0 = tensor.empty() : tensor<4x8xf32>
  %nf = linalg.fill ins(%zero : f32) outs(%n0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(w, d, t) -> (w, t, d)>, affine_map<(w, d, t) -> (w, d)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%v : tensor<4x9x8xf32>) outs(%nf : tensor<4x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sum2 = arith.addf %acc, %a : f32
    linalg.yield %sum2 : f32
  } -> tensor<4x8xf32>
  return %o, %sum : tensor<4x9x8xf32>, tensor<4x8xf32>
}
