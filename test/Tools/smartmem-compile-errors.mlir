// smartmem-compile refuses bad targets and dynamic entry shapes with one
// diagnostic line and exit status 2 (lit's `not` accepts any failure; the
// pytest suite checks the status and that no outputs are left behind).

// RUN: not smartmem-compile %s -o %t.vmfb --target vulkan:hopper -q 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: unknown Vulkan target 'hopper' (known: adreno,
// TARGET-NOT: Traceback

// RUN: not smartmem-compile %s -o %t.vmfb --target metal -q 2>&1 | FileCheck %s --check-prefix=KIND
// KIND: error: unknown target 'metal' (use 'cpu' or 'vulkan:<target>'

// RUN: not smartmem-compile %s -o %t.vmfb --target cpu -q 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// DYNAMIC: smartmem-compile-errors.mlir:[[# @LINE + 1]]:1: error: argument 0 of 'main_graph' has a dynamic shape
func.func @main_graph(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = arith.addf %x, %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
