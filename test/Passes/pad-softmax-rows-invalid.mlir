// A row multiple below 2 is an error at the module, with a non-zero exit.

// RUN: not smartmem-opt --pass-pipeline='builtin.module(smartmem-pad-softmax-rows{multiple=1})' %s 2>&1 | FileCheck %s
// CHECK: error: 'smartmem-pad-softmax-rows': multiple must be 0 (from the target) or at least 2

func.func @softmax(%x: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %o = tensor.empty() : tensor<3x5xf32>
  %p = linalg.softmax dimension(1) ins(%x : tensor<3x5xf32>) outs(%o : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %p : tensor<3x5xf32>
}
