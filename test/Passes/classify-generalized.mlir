// smartmem-classify judges structured ops by their generic form, so rewriting
// every named linalg op of a real model (the tiny Swin of classify.mlir) as a
// linalg.generic leaves each class total unchanged: only the op names move.

// RUN: smartmem-opt %S/../Inputs/swin-tiny-input.mlir --pass-pipeline='builtin.module(util.func(linalg-generalize-named-ops),smartmem-classify{report=true})' -o /dev/null 2>&1 | FileCheck %s

// CHECK: smartmem-classify census: 423 ops tagged, 43 untagged
// CHECK-NEXT: smartmem-classify census: ILD&variable 66: linalg.generic 66
// CHECK-NEXT: smartmem-classify census: ILD&fixed 124: linalg.generic 27, tensor.collapse_shape 59, tensor.expand_shape 38
// CHECK-NEXT: smartmem-classify census: ILI&variable 214: linalg.generic 214
// CHECK-NEXT: smartmem-classify census: ILI&fixed 19: tensor.concat 5, tensor.extract_slice 14
// CHECK-NEXT: smartmem-classify census: untagged 43: tensor.empty 43
