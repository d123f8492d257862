// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-channels-last-convs)' %s | FileCheck %s
// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-channels-last-convs{everywhere=true})' %s | FileCheck %s --check-prefix=EVERY

// ConvNeXt's depthwise convolution: padded NCHW input, result permuted to
// channels last for the LayerNorm. The pad moves behind the input
// transpose (H and W amounts to NHWC positions), the filter is transposed
// to [kh, kw, C], and the result goes back to NCHW for the permute (which
// then cancels against it).
// CHECK-LABEL: func.func @depthwise_read_channels_last
// CHECK: %[[XT:.+]] = linalg.transpose ins(%arg0 : tensor<1x8x6x6xf32>) outs(%{{.+}} : tensor<1x6x6x8xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[P:.+]] = tensor.pad %[[XT]] low[0, 3, 3, 0] high[0, 3, 3, 0]
// CHECK: tensor<1x6x6x8xf32> to tensor<1x12x12x8xf32>
// CHECK: %[[WT:.+]] = linalg.transpose ins(%arg1 : tensor<8x7x7xf32>) outs(%{{.+}} : tensor<7x7x8xf32>) permutation = [1, 2, 0]
// CHECK: %[[ACC:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<1x6x6x8xf32>)
// CHECK: %[[Y:.+]] = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%[[P]], %[[WT]] : tensor<1x12x12x8xf32>, tensor<7x7x8xf32>) outs(%[[ACC]] : tensor<1x6x6x8xf32>)
// CHECK: %[[BACK:.+]] = linalg.transpose ins(%[[Y]] : tensor<1x6x6x8xf32>) outs(%{{.+}} : tensor<1x8x6x6xf32>) permutation = [0, 3, 1, 2]
// CHECK-NOT: nchw
// CHECK: linalg.transpose ins(%[[BACK]] : tensor<1x8x6x6xf32>) outs(%{{.+}} : tensor<1x6x6x8xf32>) permutation = [0, 2, 3, 1]
func.func @depthwise_read_channels_last(%x: tensor<1x8x6x6xf32>, %w: tensor<8x7x7xf32>) -> tensor<1x6x6x8xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 3, 3] high[0, 0, 3, 3] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x6x6xf32> to tensor<1x8x12x12xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %c = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%p, %w : tensor<1x8x12x12xf32>, tensor<8x7x7xf32>) outs(%f : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %et = tensor.empty() : tensor<1x6x6x8xf32>
  %t = linalg.transpose ins(%c : tensor<1x8x6x6xf32>) outs(%et : tensor<1x6x6x8xf32>) permutation = [0, 2, 3, 1]
  return %t : tensor<1x6x6x8xf32>
}

// -----

// SegFormer's Mix-FFN: tokens [B, N, C] transposed and reshaped to an image
// for a strided, dilation-free 3x3 depthwise convolution; the input side
// alone decides (the result is returned NCHW). The bias accumulator is
// rebuilt along the channels, now the last dim.
// CHECK-DAG: #[[LAST:.+]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func.func @depthwise_fed_by_tokens
// CHECK: %[[IMG:.+]] = tensor.expand_shape
// CHECK: %[[XT:.+]] = linalg.transpose ins(%[[IMG]] : tensor<1x8x4x4xf32>) outs(%{{.+}} : tensor<1x4x4x8xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[P:.+]] = tensor.pad %[[XT]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: %[[ACC:.+]] = linalg.generic {indexing_maps = [#[[LAST]], {{.+}}]{{.*}} ins(%arg2 : tensor<8xf32>) outs(%{{.+}} : tensor<1x2x2x8xf32>)
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%[[P]], %{{.+}} : tensor<1x6x6x8xf32>, tensor<3x3x8xf32>) outs(%[[ACC]] : tensor<1x2x2x8xf32>)
// CHECK: linalg.transpose {{.*}} permutation = [0, 3, 1, 2]
func.func @depthwise_fed_by_tokens(%tokens: tensor<1x16x8xf32>, %w: tensor<8x3x3xf32>, %bias: tensor<8xf32>) -> tensor<1x8x2x2xf32> {
  %zero = arith.constant 0.0 : f32
  %et = tensor.empty() : tensor<1x8x16xf32>
  %t = linalg.transpose ins(%tokens : tensor<1x16x8xf32>) outs(%et : tensor<1x8x16xf32>) permutation = [0, 2, 1]
  %img = tensor.expand_shape %t [[0], [1], [2, 3]] output_shape [1, 8, 4, 4] : tensor<1x8x16xf32> into tensor<1x8x4x4xf32>
  %p = tensor.pad %img low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x4x4xf32> to tensor<1x8x6x6xf32>
  %e = tensor.empty() : tensor<1x8x2x2xf32>
  %b = linalg.broadcast ins(%bias : tensor<8xf32>) outs(%e : tensor<1x8x2x2xf32>) dimensions = [0, 2, 3]
  %c = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%p, %w : tensor<1x8x6x6xf32>, tensor<8x3x3xf32>) outs(%b : tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  return %c : tensor<1x8x2x2xf32>
}

// -----

// A stride-1 full convolution (MobileViT's 3x3 local representation) whose
// result is flattened to tokens: NHWC with an HWCF filter, no pad.
// CHECK-LABEL: func.func @conv_read_as_tokens
// CHECK: %[[XT:.+]] = linalg.transpose ins(%arg0 : tensor<1x4x5x5xf32>) outs(%{{.+}} : tensor<1x5x5x4xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[WT:.+]] = linalg.transpose ins(%arg1 : tensor<8x4x3x3xf32>) outs(%{{.+}} : tensor<3x3x4x8xf32>) permutation = [2, 3, 1, 0]
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%[[XT]], %[[WT]] : tensor<1x5x5x4xf32>, tensor<3x3x4x8xf32>) outs(%{{.+}} : tensor<1x3x3x8xf32>)
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @conv_read_as_tokens(%x: tensor<1x4x5x5xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x9x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<1x4x5x5xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %flat = tensor.collapse_shape %c [[0], [1], [2, 3]] : tensor<1x8x3x3xf32> into tensor<1x8x9xf32>
  %et = tensor.empty() : tensor<1x9x8xf32>
  %t = linalg.transpose ins(%flat : tensor<1x8x9xf32>) outs(%et : tensor<1x9x8xf32>) permutation = [0, 2, 1]
  return %t : tensor<1x9x8xf32>
}

// -----

// Negative: a strided full convolution (SegFormer's overlapping patch
// embedding) stays NCHW even when read as tokens: measured slower
// channels last.
// CHECK-LABEL: func.func @strided_full_conv_kept
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-NOT: nhwc
// With everywhere=true it goes channels last: its output width (3) is not
// a multiple of 8.
// EVERY-LABEL: func.func @strided_full_conv_kept
// EVERY: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
func.func @strided_full_conv_kept(%x: tensor<1x4x7x7xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x9x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%x, %w : tensor<1x4x7x7xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %flat = tensor.collapse_shape %c [[0], [1], [2, 3]] : tensor<1x8x3x3xf32> into tensor<1x8x9xf32>
  %et = tensor.empty() : tensor<1x9x8xf32>
  %t = linalg.transpose ins(%flat : tensor<1x8x9xf32>) outs(%et : tensor<1x9x8xf32>) permutation = [0, 2, 1]
  return %t : tensor<1x9x8xf32>
}

// -----

// Negative: channels first on both sides (MobileNetV2's depthwise
// convolution between NCHW 1x1 convolutions): the transposes would stay.
// CHECK-LABEL: func.func @channels_first_neighbours_kept
// CHECK: linalg.depthwise_conv_2d_nchw_chw
// CHECK-NOT: nhwc
// With everywhere=true the whole CNN goes channels last, this one too.
// EVERY-LABEL: func.func @channels_first_neighbours_kept
// EVERY: linalg.depthwise_conv_2d_nhwc_hwc
func.func @channels_first_neighbours_kept(%x: tensor<1x8x6x6xf32>, %w: tensor<8x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<1x8x6x6xf32>, tensor<8x3x3xf32>) outs(%f : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c : tensor<1x8x4x4xf32>
}

// -----

// Negative: a transpose that keeps the channels outer (it swaps H and W)
// does not make the data channels last.
// CHECK-LABEL: func.func @spatial_transpose_kept
// CHECK: linalg.depthwise_conv_2d_nchw_chw
func.func @spatial_transpose_kept(%x: tensor<1x8x6x6xf32>, %w: tensor<8x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %es = tensor.empty() : tensor<1x8x6x6xf32>
  %s = linalg.transpose ins(%x : tensor<1x8x6x6xf32>) outs(%es : tensor<1x8x6x6xf32>) permutation = [0, 1, 3, 2]
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%s, %w : tensor<1x8x6x6xf32>, tensor<8x3x3xf32>) outs(%f : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c : tensor<1x8x4x4xf32>
}

// -----

// A ResNet-like chain between NCHW operators, with everywhere=true: the
// max pooling (its -inf pad moved behind the transpose), the 1x1
// convolution and the 3x3 one at width 6 run channels last; the 3x3
// convolution at width 8 stays NCHW (IREE's NCHW kernel tiles widths that
// are multiples of 8 well). Without the option all of them stay.
// CHECK-LABEL: func.func @cnn_everywhere
// CHECK-NOT: nhwc
// EVERY-LABEL: func.func @cnn_everywhere
// EVERY: %[[PT:.+]] = tensor.pad %{{.+}} low[0, 1, 1, 0] high[0, 1, 1, 0]
// EVERY: linalg.pooling_nhwc_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%[[PT]], %{{.+}} : tensor<1x18x18x4xf32>, tensor<3x3xf32>) outs(%{{.+}} : tensor<1x8x8x4xf32>)
// EVERY: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.+}}, %{{.+}} : tensor<1x8x8x4xf32>, tensor<1x1x4x8xf32>)
// EVERY: linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.+}}, %{{.+}} : tensor<1x8x10x10xf32>, tensor<8x8x3x3xf32>)
// EVERY: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.+}}, %{{.+}} : tensor<1x8x8x8xf32>, tensor<3x3x8x8xf32>) outs(%{{.+}} : tensor<1x6x6x8xf32>)
func.func @cnn_everywhere(%x: tensor<1x4x16x16xf32>, %w1: tensor<8x4x1x1xf32>, %w2: tensor<8x8x3x3xf32>, %w3: tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant -3.40282347E+38 : f32
  %px = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %ninf : f32
  } : tensor<1x4x16x16xf32> to tensor<1x4x18x18xf32>
  %win = tensor.empty() : tensor<3x3xf32>
  %ep = tensor.empty() : tensor<1x4x8x8xf32>
  %fp = linalg.fill ins(%ninf : f32) outs(%ep : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %pool = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%px, %win : tensor<1x4x18x18xf32>, tensor<3x3xf32>) outs(%fp : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %e1 = tensor.empty() : tensor<1x8x8x8xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%pool, %w1 : tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>) outs(%f1 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %p1 = tensor.pad %c1 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x8x8xf32> to tensor<1x8x10x10xf32>
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%p1, %w2 : tensor<1x8x10x10xf32>, tensor<8x8x3x3xf32>) outs(%f1 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %e3 = tensor.empty() : tensor<1x8x6x6xf32>
  %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %c3 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%c2, %w3 : tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) outs(%f3 : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %c3 : tensor<1x8x6x6xf32>
}

// -----

// Negative: a pad along the channels is not a spatial pad; it would have to
// be moved too.
// CHECK-LABEL: func.func @channel_pad_kept
// CHECK: linalg.depthwise_conv_2d_nchw_chw
func.func @channel_pad_kept(%tokens: tensor<1x36x6xf32>, %w: tensor<8x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %et = tensor.empty() : tensor<1x6x36xf32>
  %t = linalg.transpose ins(%tokens : tensor<1x36x6xf32>) outs(%et : tensor<1x6x36xf32>) permutation = [0, 2, 1]
  %img = tensor.expand_shape %t [[0], [1], [2, 3]] output_shape [1, 6, 6, 6] : tensor<1x6x36xf32> into tensor<1x6x6x6xf32>
  %p = tensor.pad %img low[0, 1, 0, 0] high[0, 1, 0, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x6x6x6xf32> to tensor<1x8x6x6xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%p, %w : tensor<1x8x6x6xf32>, tensor<8x3x3xf32>) outs(%f : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %c : tensor<1x8x4x4xf32>
}

// -----

// Negative: dynamic batch.
// CHECK-LABEL: func.func @dynamic_kept
// CHECK: linalg.depthwise_conv_2d_nchw_chw
func.func @dynamic_kept(%x: tensor<?x8x6x6xf32>, %w: tensor<8x3x3xf32>, %init: tensor<?x8x4x4xf32>, %et: tensor<?x4x4x8xf32>) -> tensor<?x4x4x8xf32> {
  %c = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<?x8x6x6xf32>, tensor<8x3x3xf32>) outs(%init : tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %t = linalg.transpose ins(%c : tensor<?x8x4x4xf32>) outs(%et : tensor<?x4x4x8xf32>) permutation = [0, 2, 3, 1]
  return %t : tensor<?x4x4x8xf32>
}
