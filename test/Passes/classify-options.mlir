// Options of smartmem-classify: `report` prints the census only when asked;
// bad option values and unknown options are one-line errors.

// RUN: smartmem-opt %s --smartmem-classify 2>&1 | FileCheck %s --check-prefix=QUIET
// RUN: smartmem-opt %s --smartmem-classify='report=false' 2>&1 | FileCheck %s --check-prefix=QUIET
// RUN: smartmem-opt %s --smartmem-classify='report=1' -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: smartmem-opt %s --pass-pipeline='builtin.module(smartmem-classify{report=true},canonicalize)' -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: not smartmem-opt %s --smartmem-classify='report=maybe' 2>&1 | FileCheck %s --check-prefix=BAD-VALUE
// RUN: not smartmem-opt %s --smartmem-classify='verbose=true' 2>&1 | FileCheck %s --check-prefix=BAD-OPTION
// Running it twice changes nothing.
// RUN: smartmem-opt %s --smartmem-classify -o %t.once.mlir
// RUN: smartmem-opt %t.once.mlir --smartmem-classify -o %t.twice.mlir
// RUN: diff %t.once.mlir %t.twice.mlir

// QUIET-NOT: census
// QUIET: linalg.matmul {smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
// QUIET-NOT: census

// REPORT: smartmem-classify census: 2 ops tagged, 0 untagged
// REPORT-NEXT: smartmem-classify census: ILD&variable 1: linalg.matmul 1
// REPORT-NEXT: smartmem-classify census: ILD&fixed 1: tensor.collapse_shape 1
// REPORT-NEXT: smartmem-classify census: ILI&variable 0
// REPORT-NEXT: smartmem-classify census: ILI&fixed 0
// REPORT-NEXT: smartmem-classify census: untagged 0

// BAD-VALUE: error: invalid value 'maybe' for option 'report' of pass 'smartmem-classify'
// BAD-VALUE-NOT: Traceback
// BAD-OPTION: error: unknown option 'verbose' for pass 'smartmem-classify' (options: report)

func.func @model(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x16xf32>) -> tensor<64xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  %1 = tensor.collapse_shape %0 [[0, 1]] : tensor<4x16xf32> into tensor<64xf32>
  return %1 : tensor<64xf32>
}
