"""SmartMem: layout-transformation elimination and layout selection on IREE.

The package maps the repository's top-level folders: ``python/`` is
``smartmem`` (driver, frontends, shared helpers), ``dialect/`` is
``smartmem.dialect``, ``passes/`` is ``smartmem.passes`` and ``tools/`` is
``smartmem.tools``.
"""

__version__ = "0.1.0"
