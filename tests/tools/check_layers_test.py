#!/usr/bin/env python3
"""tools/check-layers.py: an #include or a CMake link up the layers of runtime/README.md fails."""

import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "check-layers.py"
README = """# runtime/

| folder | owns | may include |
|---|---|---|
| `runtime/core` | errors | - |
| `runtime/bundle` | the loader | `runtime/core` |
| `kernels` | kernels | `runtime/bundle` |
| `runtime/model` | the executor | `kernels` |
| `converter/lib` | the converter | `kernels` |
| *test code* | tests | `converter/lib` |

| file | includes or links | why, and what removes it |
|---|---|---|
"""


class CheckLayersTest(unittest.TestCase):
    def setUp(self):
        self.root = Path(tempfile.mkdtemp())
        self.readme = README
        self.write("runtime/core/result.h", "#pragma once\n")
        self.write("runtime/bundle/bundle.h", '#pragma once\n#include "runtime/core/result.h"\n')
        self.write("kernels/linear.h", '#pragma once\n#include "runtime/bundle/bundle.h"\n')
        self.write("runtime/model/executor.h", '#pragma once\n#include "kernels/linear.h"\n#include "runtime/core/result.h"\n')
        self.write("converter/lib/convert.h", '#pragma once\n#include "kernels/linear.h"\n')
        self.write("runtime/bundle/CMakeLists.txt", "add_library(linnet_bundle STATIC bundle.cpp)\n"
                   "target_link_libraries(linnet_bundle PUBLIC linnet_core PRIVATE linnet_warnings)\n")
        self.write("runtime/core/CMakeLists.txt", "add_library(linnet_core STATIC result.cpp)\n")
        self.write("runtime/model/CMakeLists.txt", "add_library(linnet_model STATIC executor.cpp)\n"
                   "target_link_libraries(linnet_model PUBLIC linnet_bundle)\n")

    def tearDown(self):
        shutil.rmtree(self.root)

    def write(self, rel, text):
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def run_check(self):
        self.write("runtime/README.md", self.readme)
        return subprocess.run([sys.executable, str(SCRIPT), "--root", str(self.root)], capture_output=True, text=True)

    def test_the_repository_passes(self):
        result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_includes_down_the_layers_pass(self):
        result = self.run_check()
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_an_upward_include_fails_with_file_and_line(self):
        self.write("runtime/bundle/report.h", '#pragma once\n#include "runtime/core/result.h"\n#include "runtime/model/executor.h"\n')
        result = self.run_check()
        self.assertEqual(result.returncode, 1)
        self.assertIn('runtime/bundle/report.h:3: #include "runtime/model/executor.h" goes up: runtime/bundle may not '
                      "include runtime/model", result.stderr)

    def test_an_include_of_a_layer_not_listed_fails_even_below(self):
        # kernels may include bundle, and bundle core: core comes with bundle; model never.
        self.write("kernels/ok.h", '#include "runtime/core/result.h"\n')
        self.assertEqual(self.run_check().returncode, 0)
        self.write("converter/lib/bad.h", '#include "runtime/model/executor.h"\n')
        self.assertEqual(self.run_check().returncode, 1)

    def test_test_code_may_include_the_test_support(self):
        self.write("runtime/bundle/bundle_test.cpp", '#include "converter/lib/convert.h"\n')
        self.write("runtime/bundle/testing/tiny.h", '#include "converter/lib/convert.h"\n')
        self.assertEqual(self.run_check().returncode, 0)
        self.write("runtime/bundle/bundle_tool.cpp", '#include "converter/lib/convert.h"\n')
        self.assertEqual(self.run_check().returncode, 1)

    def test_a_listed_exception_passes_and_a_stale_one_fails(self):
        self.write("runtime/bundle/report.h", '#include "runtime/model/executor.h"\n')
        self.readme = README + "| `runtime/bundle/report.h` | `runtime/model/executor.h` | moves up |\n"
        self.assertEqual(self.run_check().returncode, 0)
        (self.root / "runtime/bundle/report.h").unlink()
        result = self.run_check()
        self.assertEqual(result.returncode, 1)
        self.assertIn("no longer happens", result.stderr)

    def test_an_upward_cmake_link_fails(self):
        self.write("runtime/bundle/CMakeLists.txt", "add_library(linnet_bundle STATIC bundle.cpp)\n"
                   "add_library(linnet_bundle_report STATIC report.cpp)\n"
                   "target_link_libraries(linnet_bundle_report PUBLIC linnet_bundle\n  linnet_model PRIVATE linnet_warnings)\n")
        result = self.run_check()
        self.assertEqual(result.returncode, 1)
        self.assertIn("runtime/bundle/CMakeLists.txt:3: linnet_bundle_report links linnet_model, which goes up",
                      result.stderr)

    def test_a_test_target_may_link_the_test_support(self):
        self.write("converter/lib/CMakeLists.txt", "add_library(linnet_convert_lib STATIC convert.cpp)\n")
        self.write("runtime/bundle/CMakeLists.txt", "add_library(linnet_bundle STATIC bundle.cpp)\n"
                   "linnet_add_test(bundle_test SOURCES bundle_test.cpp LIBS linnet_bundle linnet_convert_lib LABELS unit)\n")
        self.assertEqual(self.run_check().returncode, 0)

    def test_a_folder_without_a_row_fails(self):
        self.write("runtime/newpart/thing.h", '#pragma once\n')
        result = self.run_check()
        self.assertEqual(result.returncode, 1)
        self.assertIn("runtime/newpart/thing.h: its folder is not in the layers table", result.stderr)

    def test_an_include_that_resolves_nowhere_fails(self):
        self.write("runtime/model/x.cpp", '#include "runtime/model/nowhere.h"\n')
        result = self.run_check()
        self.assertEqual(result.returncode, 1)
        self.assertIn("no such file in the tree", result.stderr)


if __name__ == "__main__":
    unittest.main()
