"""The `smartmem` dialect: IRDL definition (smartmem.irdl.mlir) and its Python API."""
