module {
  flow.executable private @ex_dispatch_0 {
    flow.executable.export public @ex_dispatch_0_slow_memcpy workgroups() -> (index, index, index) {
      %x, %y, %z = iree_tensor_ext.dispatch.workgroup_count_from_slice()
      flow.return %x, %y, %z : index, index, index
    }
    builtin.module {
      func.func @ex_dispatch_0_slow_memcpy(%arg0: !iree_tensor_ext.dispatch.tensor<readonly:tensor<4xf32>>, %arg1: !iree_tensor_ext.dispatch.tensor<writeonly:tensor<4xf32>>) {
        %0 = iree_tensor_ext.dispatch.tensor.load %arg0, offsets = [0], sizes = [4], strides = [1] : !iree_tensor_ext.dispatch.tensor<readonly:tensor<4xf32>> -> tensor<4xf32>
        iree_tensor_ext.dispatch.tensor.store %0, %arg1, offsets = [0], sizes = [4], strides = [1] : tensor<4xf32> -> !iree_tensor_ext.dispatch.tensor<writeonly:tensor<4xf32>>
        return
      }
    }
  }
  util.global private @padded : tensor<4xf32>
  util.initializer {
    %cst = arith.constant dense<1.0> : tensor<4xf32>
    %0 = flow.dispatch @ex_dispatch_0::@ex_dispatch_0_slow_memcpy(%cst) : (tensor<4xf32>) -> tensor<4xf32>
    util.global.store %0, @padded : tensor<4xf32>
    util.return
  }
  util.func public @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
    %0 = flow.dispatch @ex_dispatch_0::@ex_dispatch_0_slow_memcpy(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
    util.return %0 : tensor<4xf32>
  }
}
