// The census of the paper's Swin-T (the zoo's swin_t: embed 96, depths
// [2, 2, 6, 2], heads [3, 6, 12, 24], window 7, 224 px), lowered by
// `iree-compile --compile-to=input` (test/Inputs/make_classify_inputs.py;
// weights are splat placeholders). Every linalg/tensor op but tensor.empty
// is tagged; 437 of 1198 tagged ops only move data (the fixed classes).

// RUN: smartmem-opt %S/../Inputs/swin-t-input.mlir --smartmem-classify='report=true' -o %t.mlir 2>&1 | FileCheck %s --check-prefix=CENSUS
// RUN: FileCheck %s --input-file=%t.mlir

// CENSUS: smartmem-classify census: 1198 ops tagged, 86 untagged
// CENSUS-NEXT: smartmem-classify census: ILD&variable 184: linalg.batch_matmul 44, linalg.conv_2d_nchw_fchw 1, linalg.generic 82, linalg.matmul 56, linalg.pooling_ncw_sum 1
// CENSUS-NEXT: smartmem-classify census: ILD&fixed 356: linalg.transpose 75, tensor.collapse_shape 165, tensor.expand_shape 116
// CENSUS-NEXT: smartmem-classify census: ILI&variable 577: linalg.fill 44, linalg.generic 533
// CENSUS-NEXT: smartmem-classify census: ILI&fixed 81: tensor.concat 23, tensor.extract_slice 58
// CENSUS-NEXT: smartmem-classify census: untagged 86: tensor.empty 86

// The patch embedding, a window attention product, a window partition and a
// cyclic shift, in program order.
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "variable">
// CHECK: linalg.transpose {{.*}}smartmem.op_class = #smartmem.op_class<"ILD", "fixed">
// CHECK: linalg.batch_matmul {smartmem.op_class = #smartmem.op_class<"ILD", "variable">}
// CHECK: tensor.extract_slice {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
// CHECK: tensor.concat {{.*}}smartmem.op_class = #smartmem.op_class<"ILI", "fixed">
