// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-patchify-convs)' %s | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// A downsampling convolution (2x2, stride 2) read as NCHW by an elementwise
// op: patches x weights all the same (weights x patches gets IREE's
// subgroup-reduce kernel when OH*OW is small); the result is channels last,
// transposed back to NCHW for the reader. The input is viewed as 2x2
// windows and transposed to [OH, OW, C, kh, kw] (the chain the elimination
// passes place afterwards).
// CHECK-LABEL: func.func @downsample_read_nchw
// CHECK: %[[WIN:.+]] = tensor.expand_shape %arg0 {{\[}}[0], [1], [2, 3], [4, 5]] output_shape [1, 4, 3, 2, 3, 2] : tensor<1x4x6x6xf32> into tensor<1x4x3x2x3x2xf32>
// CHECK: %[[T:.+]] = linalg.transpose ins(%[[WIN]] : tensor<1x4x3x2x3x2xf32>) outs(%{{.+}} : tensor<1x3x3x4x2x2xf32>) permutation = [0, 2, 4, 1, 3, 5]
// CHECK: %[[LHS:.+]] = tensor.collapse_shape %[[T]] {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<1x3x3x4x2x2xf32> into tensor<9x16xf32>
// CHECK: %[[W:.+]] = tensor.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : tensor<8x4x2x2xf32> into tensor<8x16xf32>
// CHECK: %[[ACC:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<9x8xf32>)
// CHECK: %[[WT:.+]] = linalg.transpose ins(%[[W]] : tensor<8x16xf32>) outs(%{{.+}} : tensor<16x8xf32>) permutation = [1, 0]
// CHECK: %[[MM:.+]] = linalg.matmul ins(%[[LHS]], %[[WT]] : tensor<9x16xf32>, tensor<16x8xf32>) outs(%[[ACC]] : tensor<9x8xf32>)
// CHECK: %[[NHWC:.+]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1, 2], [3]] output_shape [1, 3, 3, 8] : tensor<9x8xf32> into tensor<1x3x3x8xf32>
// CHECK: %[[Y:.+]] = linalg.transpose ins(%[[NHWC]] : tensor<1x3x3x8xf32>) outs(%{{.+}} : tensor<1x8x3x3xf32>) permutation = [0, 3, 1, 2]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %arg2
func.func @downsample_read_nchw(%x: tensor<1x4x6x6xf32>, %w: tensor<8x4x2x2xf32>, %r: tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x2x2xf32>) outs(%f : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c, %r : tensor<1x8x3x3xf32>, tensor<1x8x3x3xf32>) outs(%e : tensor<1x8x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8x3x3xf32>
  return %y : tensor<1x8x3x3xf32>
}

// -----

// A patch embedding (4x4, stride 4) whose result is transposed to tokens x
// channels: patches x weights, so the matmul writes channels last and the
// NHWC -> NCHW transpose behind it meets the NCHW -> NHWC one of the model.
// CHECK-LABEL: func.func @patch_embedding_read_channels_last
// CHECK: %[[WIN:.+]] = tensor.expand_shape %arg0 {{\[}}[0], [1], [2, 3], [4, 5]] output_shape [1, 3, 2, 4, 2, 4]
// CHECK: %[[T:.+]] = linalg.transpose ins(%[[WIN]] : tensor<1x3x2x4x2x4xf32>) outs(%{{.+}} : tensor<1x2x2x3x4x4xf32>) permutation = [0, 2, 4, 1, 3, 5]
// CHECK: %[[LHS:.+]] = tensor.collapse_shape %[[T]] {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<1x2x2x3x4x4xf32> into tensor<4x48xf32>
// CHECK: %[[W:.+]] = tensor.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : tensor<8x3x4x4xf32> into tensor<8x48xf32>
// CHECK: %[[WT:.+]] = linalg.transpose ins(%[[W]] : tensor<8x48xf32>) outs(%{{.+}} : tensor<48x8xf32>) permutation = [1, 0]
// CHECK: %[[MM:.+]] = linalg.matmul ins(%[[LHS]], %[[WT]] : tensor<4x48xf32>, tensor<48x8xf32>)
// CHECK: %[[NHWC:.+]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1, 2], [3]] output_shape [1, 2, 2, 8]
// CHECK: linalg.transpose ins(%[[NHWC]] : tensor<1x2x2x8xf32>) outs(%{{.+}} : tensor<1x8x2x2xf32>) permutation = [0, 3, 1, 2]
func.func @patch_embedding_read_channels_last(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x4x4xf32>) -> tensor<1x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %ec = tensor.empty() : tensor<1x8x2x2xf32>
  %zeros = linalg.fill ins(%zero : f32) outs(%ec : tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<4> : vector<2xi64>} ins(%x, %w : tensor<1x3x8x8xf32>, tensor<8x3x4x4xf32>) outs(%zeros : tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  %flat = tensor.collapse_shape %c [[0], [1], [2, 3]] : tensor<1x8x2x2xf32> into tensor<1x8x4xf32>
  %e = tensor.empty() : tensor<1x4x8xf32>
  %t = linalg.transpose ins(%flat : tensor<1x8x4xf32>) outs(%e : tensor<1x4x8xf32>) permutation = [0, 2, 1]
  return %t : tensor<1x4x8xf32>
}

// -----

// The ONNX importer's accumulator: a splat zero constant (the matmul gets a
// fill of the splat value).
// CHECK-LABEL: func.func @splat_constant_accumulator
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<9x8xf32>)
// CHECK: linalg.matmul
func.func @splat_constant_accumulator(%x: tensor<1x4x6x6xf32>, %w: tensor<8x4x2x2xf32>) -> tensor<1x8x3x3xf32> {
  %zeros = arith.constant dense<0.0> : tensor<1x8x3x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x2x2xf32>) outs(%zeros : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  return %c : tensor<1x8x3x3xf32>
}

// -----

// The importer without onnxsim accumulates into the bias broadcast along the
// channels: the matmul accumulates into the bias broadcast along its
// columns (patches x weights: features are the matmul's columns).
// CHECK-DAG: #[[COLS:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @bias_accumulator
// CHECK: %[[B:.+]] = linalg.generic {indexing_maps = [#[[COLS]], #[[ID2]]]{{.*}} ins(%arg2 : tensor<8xf32>) outs(%{{.+}} : tensor<9x8xf32>)
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<9x16xf32>, tensor<16x8xf32>) outs(%[[B]] : tensor<9x8xf32>)
func.func @bias_accumulator(%x: tensor<1x4x6x6xf32>, %w: tensor<8x4x2x2xf32>, %bias: tensor<8xf32>) -> tensor<1x8x3x3xf32> {
  %e = tensor.empty() : tensor<1x8x3x3xf32>
  %b = linalg.broadcast ins(%bias : tensor<8xf32>) outs(%e : tensor<1x8x3x3xf32>) dimensions = [0, 2, 3]
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x2x2xf32>) outs(%b : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  return %c : tensor<1x8x3x3xf32>
}

// -----

// Negative: a 1x1 convolution is a matmul in NCHW already (IREE rewrites it).
// CHECK-LABEL: func.func @pointwise_kept
// CHECK: linalg.conv_2d_nchw_fchw
func.func @pointwise_kept(%x: tensor<1x4x6x6xf32>, %w: tensor<8x4x1x1xf32>) -> tensor<1x8x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x1x1xf32>) outs(%f : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %c : tensor<1x8x6x6xf32>
}

// -----

// Negative: overlapping windows (3x3, stride 2: SegFormer's patch embedding)
// are not a layout of the input.
// CHECK-LABEL: func.func @overlapping_windows_kept
// CHECK: linalg.conv_2d_nchw_fchw
func.func @overlapping_windows_kept(%x: tensor<1x4x7x7xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%x, %w : tensor<1x4x7x7xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  return %c : tensor<1x8x3x3xf32>
}

// -----

// Negative: the kernel tiles only part of the input (7 columns, windows of
// 2: the last column is never read).
// CHECK-LABEL: func.func @untiled_input_kept
// CHECK: linalg.conv_2d_nchw_fchw
func.func @untiled_input_kept(%x: tensor<1x4x6x7xf32>, %w: tensor<8x4x2x2xf32>) -> tensor<1x8x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%x, %w : tensor<1x4x6x7xf32>, tensor<8x4x2x2xf32>) outs(%f : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  return %c : tensor<1x8x3x3xf32>
}

// -----

// Negative: dilated windows leave gaps.
// CHECK-LABEL: func.func @dilated_kept
// CHECK: linalg.conv_2d_nchw_fchw
func.func @dilated_kept(%x: tensor<1x4x6x6xf32>, %w: tensor<8x4x2x2xf32>) -> tensor<1x8x2x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x2x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<2> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x2x2xf32>) outs(%f : tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  return %c : tensor<1x8x2x2xf32>
}

// -----

// Negative: the convolution accumulates into a computed tensor.
// CHECK-LABEL: func.func @accumulating_kept
// CHECK: linalg.conv_2d_nchw_fchw
func.func @accumulating_kept(%x: tensor<1x4x6x6xf32>, %w: tensor<8x4x2x2xf32>, %acc: tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32> {
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x2x2xf32>) outs(%acc : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  return %c : tensor<1x8x3x3xf32>
}
