// RUN: smartmem-opt --split-input-file --pass-pipeline='builtin.module(smartmem-fuse-pads-into-convolutions)' %s | FileCheck %s

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#ch = affine_map<(d0, d1, d2) -> (d2)>
#in = affine_map<(d0, d1, d2, d3, d4) -> (d0 + d3, d1 + d4, d2)>
#flt = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4, d2)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
// ConvNeXt-T's depthwise convolution after IREE's global optimization (a
// generic, its unit batch dim dropped): the residual add that feeds it is
// also returned, so IREE would copy the pad; the pad, the accumulator's
// fill, the convolution and its bias add form one dispatch region.
// CHECK-LABEL: func.func @fuse_pad_residual_input
// CHECK: %[[R:.+]] = linalg.generic
// CHECK: %[[REGION:.+]] = flow.dispatch.region -> (tensor<6x6x4xf32>) {
// CHECK-NEXT: %[[P:.+]] = tensor.pad %[[R]] low[1, 1, 0] high[1, 1, 0]
// CHECK: linalg.fill
// CHECK: %[[C:.+]] = linalg.generic {{.*}} ins(%[[P]], %arg2
// CHECK: %[[B:.+]] = linalg.generic {{.*}} ins(%[[C]], %arg3
// CHECK: flow.return %[[B]]
// CHECK: return %[[REGION]], %[[R]]
func.func @fuse_pad_residual_input(%x: tensor<6x6x4xf32>, %y: tensor<6x6x4xf32>, %w: tensor<3x3x4xf32>, %b: tensor<4xf32>) -> (tensor<6x6x4xf32>, tensor<6x6x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x6x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %y : tensor<6x6x4xf32>, tensor<6x6x4xf32>) outs(%e : tensor<6x6x4xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<6x6x4xf32>
  %p = tensor.pad %r low[1, 1, 0] high[1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index):
    tensor.yield %zero : f32
  } : tensor<6x6x4xf32> to tensor<8x8x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<6x6x4xf32>) -> tensor<6x6x4xf32>
  %c = linalg.generic {indexing_maps = [#in, #flt, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%p, %w : tensor<8x8x4xf32>, tensor<3x3x4xf32>) outs(%f : tensor<6x6x4xf32>) {
  ^bb0(%a: f32, %k: f32, %o: f32):
    %m = arith.mulf %a, %k : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<6x6x4xf32>
  %o = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%c, %b : tensor<6x6x4xf32>, tensor<4xf32>) outs(%e : tensor<6x6x4xf32>) {
  ^bb0(%a: f32, %c2: f32, %o2: f32):
    %s = arith.addf %a, %c2 : f32
    linalg.yield %s : f32
  } -> tensor<6x6x4xf32>
  return %o, %r : tensor<6x6x4xf32>, tensor<6x6x4xf32>
}

// -----

// The named channels-last form, fed by a function argument (nothing could
// write the padding for it): pad, fill and convolution form the region.
// CHECK-LABEL: func.func @fuse_pad_named_depthwise
// CHECK: flow.dispatch.region -> (tensor<1x6x6x4xf32>)
// CHECK: tensor.pad %arg0
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK: flow.return
func.func @fuse_pad_named_depthwise(%x: tensor<1x6x6x4xf32>, %w: tensor<3x3x4xf32>) -> tensor<1x6x6x4xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x6x6x4xf32> to tensor<1x8x8x4xf32>
  %e = tensor.empty() : tensor<1x6x6x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
  %c = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %w : tensor<1x8x8x4xf32>, tensor<3x3x4xf32>) outs(%f : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
  return %c : tensor<1x6x6x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#in = affine_map<(d0, d1, d2, d3, d4) -> (d0 + d3, d1 + d4, d2)>
#flt = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4, d2)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
// The pad's producer is an activation read by nothing else: IREE has it
// write into the padded buffer already (ResNet-50, MobileNetV2); left alone.
// CHECK-LABEL: func.func @no_fuse_producer_writes_padding
// CHECK-NOT: flow.dispatch.region
func.func @no_fuse_producer_writes_padding(%x: tensor<6x6x4xf32>, %w: tensor<3x3x4xf32>) -> tensor<6x6x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x6x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<6x6x4xf32>) outs(%e : tensor<6x6x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.maximumf %a, %zero : f32
    linalg.yield %s : f32
  } -> tensor<6x6x4xf32>
  %p = tensor.pad %r low[1, 1, 0] high[1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index):
    tensor.yield %zero : f32
  } : tensor<6x6x4xf32> to tensor<8x8x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<6x6x4xf32>) -> tensor<6x6x4xf32>
  %c = linalg.generic {indexing_maps = [#in, #flt, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%p, %w : tensor<8x8x4xf32>, tensor<3x3x4xf32>) outs(%f : tensor<6x6x4xf32>) {
  ^bb0(%a: f32, %k: f32, %o: f32):
    %m = arith.mulf %a, %k : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<6x6x4xf32>
  return %c : tensor<6x6x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#in = affine_map<(d0, d1, d2, d3, d4) -> (d0 + d3, d1 + d4, d2)>
#flt = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4, d2)>
#out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
// The convolution's result is read twice by a SiLU (MobileViT-S): IREE
// fuses it into the convolution's dispatch, a region would leave it out as
// a dispatch of its own; left alone.
// CHECK-LABEL: func.func @no_fuse_consumer_cut_off
// CHECK-NOT: flow.dispatch.region
func.func @no_fuse_consumer_cut_off(%x: tensor<6x6x4xf32>, %w: tensor<3x3x4xf32>) -> tensor<6x6x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x6x4xf32>
  %p = tensor.pad %x low[1, 1, 0] high[1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index):
    tensor.yield %zero : f32
  } : tensor<6x6x4xf32> to tensor<8x8x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<6x6x4xf32>) -> tensor<6x6x4xf32>
  %c = linalg.generic {indexing_maps = [#in, #flt, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%p, %w : tensor<8x8x4xf32>, tensor<3x3x4xf32>) outs(%f : tensor<6x6x4xf32>) {
  ^bb0(%a: f32, %k: f32, %o: f32):
    %m = arith.mulf %a, %k : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<6x6x4xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%c, %c : tensor<6x6x4xf32>, tensor<6x6x4xf32>) outs(%e : tensor<6x6x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %n = arith.negf %b : f32
    %ex = math.exp %n : f32
    %one = arith.constant 1.0 : f32
    %d = arith.addf %ex, %one : f32
    %q = arith.divf %a, %d : f32
    linalg.yield %q : f32
  } -> tensor<6x6x4xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%c : tensor<6x6x4xf32>) outs(%e : tensor<6x6x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<6x6x4xf32>
  return %s : tensor<6x6x4xf32>
}

// -----

#in = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1 + d4, d2 + d5)>
#flt = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d4, d5)>
#out = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2)>
// A channels-first window (the channel is not the input's innermost dim):
// not SmartMem's GPU path (smartmem-channels-last-convs); left alone.
// CHECK-LABEL: func.func @no_fuse_channels_first
// CHECK-NOT: flow.dispatch.region
func.func @no_fuse_channels_first(%x: tensor<4x2x6x6xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<4x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<4x2x6x6xf32> to tensor<4x2x8x8xf32>
  %e = tensor.empty() : tensor<4x6x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x6x6xf32>) -> tensor<4x6x6xf32>
  %c = linalg.generic {indexing_maps = [#in, #flt, #out], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%p, %w : tensor<4x2x8x8xf32>, tensor<4x2x3x3xf32>) outs(%f : tensor<4x6x6xf32>) {
  ^bb0(%a: f32, %k: f32, %o: f32):
    %m = arith.mulf %a, %k : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x6x6xf32>
  return %c : tensor<4x6x6xf32>
}
