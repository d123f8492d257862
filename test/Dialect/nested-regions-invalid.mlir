// The Python verifier walks every region: errors inside scf.if inside
// scf.for are reported at the nested op, and every one of them is reported.

// RUN: smartmem-opt %s --verify-diagnostics

// Errors two regions deep are reported at the nested op.
func.func @errors_deep_inside(%arg0: tensor<4x6xf32>, %n: index, %c: i1) -> tensor<4x6xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%t = %arg0) -> (tensor<4x6xf32>) {
    %s = scf.if %c -> (tensor<4x6xf32>) {
      // expected-error @+1 {{attribute 'target' on its operand tensor<4x6xf32>: blocking factor 4 does not divide dim 1 of size 6}}
      %0 = "smartmem.convert_layout"(%t) {source = #smartmem.layout<array<i64: 0, 1>, array<i64>>, target = #smartmem.layout<array<i64: 0, 1>, array<i64: 1, 4>>} : (tensor<4x6xf32>) -> tensor<4x6xf32>
      // expected-error @+1 {{#smartmem.op_class output layout must be "variable" or "fixed", got "any"}}
      %1 = math.exp %0 {smartmem.op_class = #smartmem.op_class<"ILI", "any">} : tensor<4x6xf32>
      scf.yield %1 : tensor<4x6xf32>
    } else {
      scf.yield %t : tensor<4x6xf32>
    }
    scf.yield %s : tensor<4x6xf32>
  }
  return %r : tensor<4x6xf32>
}
