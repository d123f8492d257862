"""Pass smartmem-hoist-constant-layouts: layout chains of constants run once, at load time."""

from __future__ import annotations

from iree.compiler import ir
from iree.compiler.dialects import util

from smartmem.passes.base import ModulePass, clone_renamed, defining_op, ops_where, user_ops
from smartmem.passes.layout_chain import collect_chain
from smartmem.passes.linalg_ops import is_elementwise

# Sources whose value is the same on every call: inline constants and
# immutable globals (the importer's externalized weights and masks).
_CONSTANT_READS = frozenset({"arith.constant", "util.global.load"})


class HoistConstantLayoutsPass(ModulePass):
    """Hoist transposes of constants into load-time globals.

    A layout chain whose source is an `arith.constant` computes the same
    tensor on every inference. IREE's const-expr hoisting would evaluate it
    once, but its transpose propagation runs first and, when the transpose
    has one reader, fuses it into that reader as a permuted read: the
    reader becomes an `elementwise_transpose` dispatch that IREE no longer
    fuses into the contraction in front of it. Seen on Swin-T's attention
    masks after smartmem-swap-batch-dims stored the scores head-major: the
    [window, head, 49, 49] mask constant is read as [head, window, 49, 49];
    stages 3 and 4 share one mask among several blocks, so IREE hoisted it
    there, and stages 1 and 2 (one shifted block each) kept a mask-add
    dispatch of their own. This pass moves the chain into a
    `util.initializer` that stores its result in a private immutable
    `util.global`; the reader loads the global. IREE's const-eval then
    evaluates the initializer at compile time (or, for parameters, at load).

    For example:

        %c = arith.constant dense<...> : tensor<64x3x49x49xf32>
        %t = linalg.transpose ins(%c ...) outs(...) permutation = [1, 0, 2, 3]
        %s = linalg.generic ... ins(%scores, %t ...)

    becomes

        util.global private @smartmem_constant_layout_0 : tensor<3x64x49x49xf32>
        util.initializer {
          %c = arith.constant dense<...> : tensor<64x3x49x49xf32>
          %t = linalg.transpose ins(%c ...) outs(...) permutation = [1, 0, 2, 3]
          util.global.store %t, @smartmem_constant_layout_0 : tensor<3x64x49x49xf32>
          util.return
        }
        ...
        %t = util.global.load @smartmem_constant_layout_0 : tensor<3x64x49x49xf32>
        %s = linalg.generic ... ins(%scores, %t ...)

    Refuses: chains without a transpose (reshapes of constants are free);
    chains read by anything but elementwise ops (a contraction reads a
    transposed weight through its maps at no cost; a hoisted copy would only
    add memory); mutable globals; constants or intermediate values with
    other readers (they would still be computed in the function); chains
    that read other values than their source and static `tensor.empty`
    inits.

    Options: none.
    """

    name = "smartmem-hoist-constant-layouts"

    def run_on_module(self, module: ir.Operation) -> None:
        transposes = ops_where(module, lambda op: op.name == "linalg.transpose")
        hoisted = 0
        with module.context:
            for transpose in transposes:
                chain = _constant_chain_ending_at(transpose)
                if chain is None:
                    continue
                if isinstance(chain, str):
                    self.no_match(transpose, chain)
                    continue
                _hoist(module, chain, f"smartmem_constant_layout_{hoisted}")
                hoisted += 1


def _constant_chain_ending_at(transpose: ir.Operation) -> list[ir.Operation] | str | None:
    """[constant, chain ops..., last op] for the transpose's chain, extended through reshapes after it."""
    source, chain = collect_chain(transpose.results[0])
    producer = defining_op(source)
    if producer is None or producer.name not in _CONSTANT_READS:
        return None
    if producer.name == "util.global.load" and not _immutable_global(producer):
        return "the source global is mutable"
    ops = [producer, *chain]
    # Reshapes after the transpose belong to the chain (the reader's type).
    last = ops[-1]
    while True:
        readers = user_ops(last.results[0])
        if len(readers) == 1 and readers[0].name in ("tensor.expand_shape", "tensor.collapse_shape"):
            last = readers[0]
            ops.append(last)
            continue
        break
    for op in ops[1:-1]:
        if len(user_ops(op.results[0])) != 1:
            return "an intermediate value of the chain has other readers"
    if len(user_ops(ops[0].results[0])) != 1:
        return "the constant has other readers"
    readers = user_ops(ops[-1].results[0])
    if not readers or not all(is_elementwise(r) for r in readers):
        # Contractions read a transposed weight through their maps for free;
        # a hoisted copy would only add load-time memory.
        return "not read by elementwise ops only"
    for op in ops:
        for operand in op.operands:
            producer = defining_op(operand)
            if producer is None:
                return "the chain reads a function argument"
            if producer in ops:
                continue
            if producer.name != "tensor.empty" or len(producer.operands) != 0:
                # Only static tensor.empty inits can move into the initializer with it.
                return "the chain reads a value other than its constant and static inits"
    return ops


def _immutable_global(load: ir.Operation) -> bool:
    name = ir.FlatSymbolRefAttr(load.attributes["global"]).value
    table_op = load.parent
    while table_op is not None and table_op.name != "builtin.module":
        table_op = table_op.parent
    if table_op is None:
        return False
    try:
        found = ir.SymbolTable(table_op)[name]
    except KeyError:
        return False
    return "is_mutable" not in found.attributes


def _hoist(module: ir.Operation, chain: list[ir.Operation], name: str) -> None:
    result = chain[-1].results[0]
    body = module.regions[0].blocks[0]
    location = chain[-1].location
    # Before the first function, after the globals the chain reads:
    # initializers run in module order.
    first_function = next(
        (op for op in body.operations if op.operation.name in ("util.func", "func.func")), None
    )
    point = ir.InsertionPoint(first_function) if first_function is not None else ir.InsertionPoint(body)
    with point, location:
        util.GlobalOp(name, ir.TypeAttr.get(result.type), sym_visibility="private")
        initializer = util.InitializerOp(ir.TypeAttr.get(ir.FunctionType.get([], [])))
    block = initializer.regions[0].blocks.append()
    # Ops used by the chain but defined outside it (tensor.empty inits) move too.
    moved: list[ir.Operation] = []
    for op in chain:
        for operand in op.operands:
            producer = defining_op(operand)
            if producer is not None and producer not in chain and producer not in moved:
                moved.append(producer)
    with ir.InsertionPoint(block), location:
        mapping: dict[ir.Value, ir.Value] = {}
        for op in [*moved, *chain]:
            clone_renamed(op, mapping)
        util.GlobalStoreOp(mapping[result], name)
        util.ReturnOp([])
    with ir.InsertionPoint(chain[-1]), location:
        loaded = util.GlobalLoadOp(result.type, name, is_immutable=True).result
    result.replace_all_uses_with(loaded)
    for op in reversed(chain):
        op.erase()
    for op in moved:
        if not user_ops(op.results[0]):
            op.erase()
