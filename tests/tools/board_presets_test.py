#!/usr/bin/env python3
"""A board is its file: tools/board-presets.py writes the board presets from boards/*.board
(keeping the hand-written host presets), and tools/test.sh takes its configurations from them."""

import json
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "board-presets.py"
NEW_BOARD = """# A board made up for this test.
display_name = Test Board (Cortex-X)
cpu = cortex-x
cflags = -mcpu=cortex-a76
qemu_cpu = max
threads = 8
serial_device = /dev/ttyS9
bandwidth_gbps = 1
bandwidth_source = none
"""


def run(root, *args):
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root), *args],
                          capture_output=True, text=True)


def presets(root):
    return json.loads((root / "CMakePresets.json").read_text())


def by_name(doc, key):
    return {p["name"]: p for p in doc[key]}


class BoardPresetsTest(unittest.TestCase):
    def setUp(self):
        self.root = Path(tempfile.mkdtemp())
        shutil.copy(REPO / "CMakePresets.json", self.root)
        shutil.copytree(REPO / "boards", self.root / "boards")
        self.before = presets(self.root)

    def tearDown(self):
        shutil.rmtree(self.root)

    def test_the_committed_presets_match_the_board_files(self):
        self.assertEqual(run(REPO, "--check").returncode, 0)

    def test_the_existing_boards_have_their_presets(self):
        configure = by_name(self.before, "configurePresets")
        self.assertEqual(configure["rpi5"]["inherits"], "aarch64")
        self.assertEqual(configure["rpi5"]["cacheVariables"], {"LINNET_BOARD": "rpi5"})
        self.assertEqual(configure["rpi4-native"]["inherits"], "base")
        self.assertEqual(configure["jetson-orin-native"]["cacheVariables"], {"LINNET_BOARD": "jetson-orin"})
        self.assertNotIn("host-native", configure)  # host.board has no qemu_cpu

    def test_a_new_board_file_is_stale_until_the_script_runs(self):
        (self.root / "boards" / "testb.board").write_text(NEW_BOARD)
        stale = run(self.root, "--check")
        self.assertEqual(stale.returncode, 1)
        self.assertIn("missing presets: testb testb-native", stale.stderr)

        self.assertEqual(run(self.root).returncode, 0)
        self.assertEqual(run(self.root, "--check").returncode, 0)
        after = presets(self.root)
        configure = by_name(after, "configurePresets")
        self.assertEqual(configure["testb"]["inherits"], "aarch64")
        self.assertEqual(configure["testb"]["displayName"], "Test Board (Cortex-X)")
        self.assertEqual(configure["testb"]["cacheVariables"], {"LINNET_BOARD": "testb"})
        self.assertEqual(configure["testb-native"]["inherits"], "base")
        for key in ("buildPresets", "testPresets"):
            self.assertEqual(by_name(after, key)["testb"]["configurePreset"], "testb")
            self.assertEqual(by_name(after, key)["testb-native"]["configurePreset"], "testb-native")

    def test_hand_written_presets_are_kept_as_they_are(self):
        (self.root / "boards" / "testb.board").write_text(NEW_BOARD)
        self.assertEqual(run(self.root).returncode, 0)
        after = presets(self.root)
        for key in ("configurePresets", "buildPresets", "testPresets"):
            for name in ("host", "host-asan"):
                self.assertEqual(by_name(after, key)[name], by_name(self.before, key)[name])
        for name in ("base", "aarch64", "host-fuzz"):
            self.assertEqual(by_name(after, "configurePresets")[name], by_name(self.before, "configurePresets")[name])

    def test_a_removed_board_leaves_stale_presets_until_the_script_runs(self):
        (self.root / "boards" / "rpi4.board").unlink()
        stale = run(self.root, "--check")
        self.assertEqual(stale.returncode, 1)
        self.assertIn("presets without a board file: rpi4 rpi4-native", stale.stderr)
        self.assertEqual(run(self.root).returncode, 0)
        names = [p["name"] for k in ("configurePresets", "buildPresets", "testPresets") for p in presets(self.root)[k]]
        self.assertNotIn("rpi4", names)
        self.assertNotIn("rpi4-native", names)
        self.assertIn("rpi5", names)

    def test_a_changed_board_file_is_stale(self):
        path = self.root / "boards" / "rpi5.board"
        path.write_text(path.read_text().replace("display_name = Raspberry Pi 5", "display_name = Pi Five"))
        stale = run(self.root, "--check")
        self.assertEqual(stale.returncode, 1)
        self.assertIn("contents differ", stale.stderr)

    def test_a_board_without_qemu_cpu_gets_no_presets(self):
        (self.root / "boards" / "bench.board").write_text(NEW_BOARD.replace("qemu_cpu = max\n", ""))
        self.assertEqual(run(self.root, "--check").returncode, 0)

    def test_a_hand_written_preset_with_a_board_name_is_refused(self):
        doc = presets(self.root)
        doc["configurePresets"].append({"name": "testb", "inherits": "base"})
        (self.root / "CMakePresets.json").write_text(json.dumps(doc))
        (self.root / "boards" / "testb.board").write_text(NEW_BOARD)
        refused = run(self.root)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("testb", refused.stderr)


class TestShConfigurationsTest(unittest.TestCase):
    """tools/test.sh --list (run on the host, no build environment needed)."""

    def setUp(self):
        self.root = Path(tempfile.mkdtemp())
        (self.root / "tools").mkdir()
        shutil.copy(REPO / "tools" / "test.sh", self.root / "tools")
        shutil.copytree(REPO / "boards", self.root / "boards")

    def tearDown(self):
        shutil.rmtree(self.root)

    def listed(self):
        out = subprocess.run(["bash", str(self.root / "tools" / "test.sh"), "--list"],
                             capture_output=True, text=True, check=True)
        return out.stdout.split()

    def test_the_configurations_are_the_host_ones_and_each_cross_board(self):
        self.assertEqual(self.listed(), ["host", "host-asan", "jetson-orin", "rpi4", "rpi5",
                                         "jetson-orin-native", "rpi4-native", "rpi5-native", "fuzz"])

    def test_a_new_board_file_is_a_configuration(self):
        (self.root / "boards" / "testb.board").write_text(NEW_BOARD)
        listed = self.listed()
        self.assertIn("testb", listed)
        self.assertIn("testb-native", listed)

    def test_a_board_without_qemu_cpu_is_not(self):
        (self.root / "boards" / "bench.board").write_text(NEW_BOARD.replace("qemu_cpu = max\n", ""))
        self.assertNotIn("bench", self.listed())


if __name__ == "__main__":
    unittest.main()
