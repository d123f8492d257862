"""Entry points of SmartMem's executables."""
