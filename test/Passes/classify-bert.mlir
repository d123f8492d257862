// The census of a second real model, a tiny BERT encoder
// (test/Inputs/make_classify_inputs.py) lowered by `iree-compile
// --compile-to=input`: its token-embedding lookup is a linalg.generic that
// reads with tensor.extract, the one gather (ILI & fixed) of the model.

// RUN: smartmem-opt %S/../Inputs/bert-tiny-input.mlir --smartmem-classify='report=true' -o %t.mlir 2>&1 | FileCheck %s --check-prefix=CENSUS
// RUN: FileCheck %s --input-file=%t.mlir

// CENSUS: smartmem-classify census: 182 ops tagged, 15 untagged
// CENSUS-NEXT: smartmem-classify census: ILD&variable 30: linalg.batch_matmul 7, linalg.generic 14, linalg.matmul 9
// CENSUS-NEXT: smartmem-classify census: ILD&fixed 48: linalg.transpose 8, tensor.collapse_shape 25, tensor.expand_shape 15
// CENSUS-NEXT: smartmem-classify census: ILI&variable 103: linalg.fill 9, linalg.generic 94
// CENSUS-NEXT: smartmem-classify census: ILI&fixed 1: linalg.generic 1
// CENSUS-NEXT: smartmem-classify census: untagged 15: tensor.empty 15

// The embedding gather: tagged ILI & fixed, its body untouched.
// CHECK: linalg.generic {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
// CHECK-NOT: smartmem.op_class
// CHECK: tensor.extract %{{.*}} : tensor<64x16xf32>
// CHECK: linalg.yield
