// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-gather-rows-before-normalization)' %s | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#inner3 = affine_map<(d0, d1, d2) -> (d2)>
// Swin's shifted block in small: a LayerNorm over 4 rows (a 2x2 map) of 8,
// then a gather that reads its rows rolled by one along the map's first axis
// (row ((i0 + 1) mod 2) * 2 + i1) and adds a bias. The gather moves in front
// of the LayerNorm: it reads the LayerNorm's input (rows in the order the
// digits of linalg.index 0 give), the LayerNorm runs on it, and the bias add
// follows as an elementwise op, expanded back to 2x2x8.
// CHECK-LABEL: func.func @layernorm_then_rolled_rows
// CHECK: %[[XG:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<4x8xf32>)
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: tensor.extract %arg0[
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}"reduction"]} ins(%[[XG]] : tensor<4x8xf32>)
// CHECK: %[[C:.+]] = linalg.generic {{.*}} ins(%[[XG]], %[[SUM]] :
// CHECK: %[[SQ:.+]] = linalg.generic {{.*}}"reduction"]} ins(%[[C]] :
// CHECK: %[[N:.+]] = linalg.generic {{.*}} ins(%[[C]], %[[SQ]] :
// CHECK: %[[T:.+]] = linalg.generic {{.*}} ins(%[[N]], %arg1 : tensor<4x8xf32>, tensor<8xf32>)
// CHECK-NOT: tensor.extract
// CHECK: arith.addf
// CHECK: %[[E:.+]] = tensor.expand_shape %[[T]] {{\[}}[0, 1], [2]] output_shape [2, 2, 8]
// CHECK: return %[[E]]
func.func @layernorm_then_rolled_rows(%x: tensor<4x8xf32>, %beta: tensor<8xf32>) -> tensor<2x2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 8.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %re = tensor.empty() : tensor<4xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<4xf32>) -> tensor<4xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x8xf32>) outs(%rf : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %sum : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<4x8xf32>) outs(%rf : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%centered, %squares : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%c: f32, %q: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    %t = arith.mulf %c, %r : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  %ge = tensor.empty() : tensor<2x2x8xf32>
  %g = linalg.generic {indexing_maps = [#inner3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%beta : tensor<8xf32>) outs(%ge : tensor<2x2x8xf32>) {
  ^bb0(%b: f32, %o: f32):
    %i0 = linalg.index 0 : index
    %i1 = linalg.index 1 : index
    %i2 = linalg.index 2 : index
    %shifted = arith.addi %i0, %c1 : index
    %rolled = arith.remui %shifted, %c2 : index
    %base = arith.muli %rolled, %c2 : index
    %r = arith.addi %base, %i1 : index
    %v = tensor.extract %y[%r, %i2] : tensor<4x8xf32>
    %w = arith.addf %v, %b : f32
    linalg.yield %w : f32
  } -> tensor<2x2x8xf32>
  return %g : tensor<2x2x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#inner3 = affine_map<(d0, d1, d2) -> (d2)>
// Negative: the LayerNorm's output is also returned. Its rows in the old
// order stay needed, so nothing moves.
// CHECK-LABEL: func.func @normalized_rows_also_returned_kept
// CHECK: tensor.extract %{{.+}}[%{{.+}}, %{{.+}}] : tensor<4x8xf32>
// CHECK-NOT: tensor.expand_shape
func.func @normalized_rows_also_returned_kept(%x: tensor<4x8xf32>, %beta: tensor<8xf32>) -> (tensor<2x2x8xf32>, tensor<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 8.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %re = tensor.empty() : tensor<4xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<4xf32>) -> tensor<4xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x8xf32>) outs(%rf : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %sum : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<4x8xf32>) outs(%rf : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%centered, %squares : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%c: f32, %q: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    %t = arith.mulf %c, %r : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  %ge = tensor.empty() : tensor<2x2x8xf32>
  %g = linalg.generic {indexing_maps = [#inner3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%beta : tensor<8xf32>) outs(%ge : tensor<2x2x8xf32>) {
  ^bb0(%b: f32, %o: f32):
    %i0 = linalg.index 0 : index
    %i1 = linalg.index 1 : index
    %i2 = linalg.index 2 : index
    %shifted = arith.addi %i0, %c1 : index
    %rolled = arith.remui %shifted, %c2 : index
    %base = arith.muli %rolled, %c2 : index
    %r = arith.addi %base, %i1 : index
    %v = tensor.extract %y[%r, %i2] : tensor<4x8xf32>
    %w = arith.addf %v, %b : f32
    linalg.yield %w : f32
  } -> tensor<2x2x8xf32>
  return %g, %y : tensor<2x2x8xf32>, tensor<4x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#inner3 = affine_map<(d0, d1, d2) -> (d2)>
// Negative: the gather reads the columns reversed. A LayerNorm commutes with
// reordering rows only: nothing moves.
// CHECK-LABEL: func.func @column_not_innermost_kept
// CHECK: arith.subi
// CHECK: tensor.extract %{{.+}}[%{{.+}}, %{{.+}}] : tensor<4x8xf32>
// CHECK-NOT: tensor.expand_shape
func.func @column_not_innermost_kept(%x: tensor<4x8xf32>, %beta: tensor<8xf32>) -> tensor<2x2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 8.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %re = tensor.empty() : tensor<4xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<4xf32>) -> tensor<4xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x8xf32>) outs(%rf : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %sum : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<4x8xf32>) outs(%rf : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%centered, %squares : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%c: f32, %q: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    %t = arith.mulf %c, %r : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  %ge = tensor.empty() : tensor<2x2x8xf32>
  %g = linalg.generic {indexing_maps = [#inner3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%beta : tensor<8xf32>) outs(%ge : tensor<2x2x8xf32>) {
  ^bb0(%b: f32, %o: f32):
    %i0 = linalg.index 0 : index
    %i1 = linalg.index 1 : index
    %i2 = linalg.index 2 : index
    %shifted = arith.addi %i0, %c1 : index
    %rolled = arith.remui %shifted, %c2 : index
    %base = arith.muli %rolled, %c2 : index
    %r = arith.addi %base, %i1 : index
    %c7 = arith.constant 7 : index
    %flipped = arith.subi %c7, %i2 : index
    %v = tensor.extract %y[%r, %flipped] : tensor<4x8xf32>
    %w = arith.addf %v, %b : f32
    linalg.yield %w : f32
  } -> tensor<2x2x8xf32>
  return %g : tensor<2x2x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#inner3 = affine_map<(d0, d1, d2) -> (d2)>
// Negative: what the gather does with the value it read also reads its
// column index. The elementwise op after the moved LayerNorm would have no
// loop index to read it from: nothing moves.
// CHECK-LABEL: func.func @tail_reads_column_kept
// CHECK: arith.index_cast
// CHECK-NOT: tensor.expand_shape
func.func @tail_reads_column_kept(%x: tensor<4x8xf32>, %beta: tensor<8xf32>) -> tensor<2x2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 8.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %re = tensor.empty() : tensor<4xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<4xf32>) -> tensor<4xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x8xf32>) outs(%rf : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %centered = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %sum : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  %squares = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%centered : tensor<4x8xf32>) outs(%rf : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %s = arith.addf %q, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%centered, %squares : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%c: f32, %q: f32, %o: f32):
    %v = arith.divf %q, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    %t = arith.mulf %c, %r : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  %ge = tensor.empty() : tensor<2x2x8xf32>
  %g = linalg.generic {indexing_maps = [#inner3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%beta : tensor<8xf32>) outs(%ge : tensor<2x2x8xf32>) {
  ^bb0(%b: f32, %o: f32):
    %i0 = linalg.index 0 : index
    %i1 = linalg.index 1 : index
    %i2 = linalg.index 2 : index
    %shifted = arith.addi %i0, %c1 : index
    %rolled = arith.remui %shifted, %c2 : index
    %base = arith.muli %rolled, %c2 : index
    %r = arith.addi %base, %i1 : index
    %v = tensor.extract %y[%r, %i2] : tensor<4x8xf32>
    %ci = arith.index_cast %i2 : index to i32
    %cf = arith.sitofp %ci : i32 to f32
    %vb = arith.addf %v, %b : f32
    %w = arith.addf %vb, %cf : f32
    linalg.yield %w : f32
  } -> tensor<2x2x8xf32>
  return %g : tensor<2x2x8xf32>
}
