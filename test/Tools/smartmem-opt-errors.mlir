// Bad input to smartmem-opt: one `file:line:col: error:` line, non-zero exit.

// RUN: not smartmem-opt %s --split-input-file 2>&1 | FileCheck %s --check-prefix=MALFORMED
// MALFORMED: smartmem-opt-errors.mlir:[[# @LINE + 4]]:{{[0-9]+}}: error: {{.*}}
// MALFORMED-NOT: Traceback

func.func @malformed(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %arg0, : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// RUN: not smartmem-opt %s --smartmem-no-such-pass 2>&1 | FileCheck %s --check-prefix=UNKNOWN-SMARTMEM
// UNKNOWN-SMARTMEM: error: unknown SmartMem pass 'smartmem-no-such-pass'

// RUN: not smartmem-opt %s --no-such-pass 2>&1 | FileCheck %s --check-prefix=UNKNOWN-MLIR
// UNKNOWN-MLIR: error: 'no-such-pass' does not refer to a registered pass or pass pipeline

// RUN: not smartmem-opt %s.does-not-exist 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: could not open input file '{{.*}}.does-not-exist': no such file

// RUN: not smartmem-opt %s --pass-pipeline='builtin.module(canonicalize' 2>&1 | FileCheck %s --check-prefix=PIPELINE
// PIPELINE: error: invalid pass pipeline

// RUN: not smartmem-opt %s --pass-pipeline='builtin.module(func.func(smartmem-classify))' 2>&1 | FileCheck %s --check-prefix=NESTED
// NESTED: error: SmartMem passes run on 'builtin.module'

// A failing run writes no output file.
// RUN: rm -f %t.out && not smartmem-opt %s -o %t.out 2>/dev/null; test ! -e %t.out
