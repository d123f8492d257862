"""SmartMem passes. `registry.PASS_REGISTRY` lists them; each lives in its own module."""
