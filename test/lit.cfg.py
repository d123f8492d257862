"""lit configuration for SmartMem's FileCheck tests (`lit test`)."""

import os
import shutil
import sys

import lit.formats

config.name = "SmartMem"
# lit's internal shell provides `not` and pipes on every machine.
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = getattr(config, "smartmem_obj_root", None) or os.path.join(
    config.test_source_root, "Output"
)
# Inputs shared by several tests, not tests themselves.
config.excludes = ["Inputs", "python", "Output"]

# Tools come from the environment lit runs in (the project's .venv).
tool_dir = os.path.dirname(sys.executable)
config.environment["PATH"] = os.pathsep.join([tool_dir, config.environment.get("PATH", os.environ.get("PATH", ""))])
repo_root = os.path.dirname(config.test_source_root)
config.substitutions.append(("%irdl", os.path.join(repo_root, "dialect", "smartmem.irdl.mlir")))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%repo", repo_root))

for tool in ("smartmem-opt", "iree-opt", "iree-compile", "filecheck"):
    if shutil.which(tool, path=config.environment["PATH"]) is None:
        lit_config.fatal(f"'{tool}' not found next to {sys.executable}; run `pip install -e '.[test]'` in .venv")
# Python's FileCheck port stands in for LLVM's FileCheck.
config.substitutions.append(("FileCheck", "filecheck"))
