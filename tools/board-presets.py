#!/usr/bin/env python3
"""Writes the board entries of CMakePresets.json from boards/*.board.

A board whose file names a `qemu_cpu` is a cross board (host.board is not): it gets a
configure preset `<name>` (cross build, inherits `aarch64`), `<name>-native` (built on the
board, inherits `base`), and a build and a test preset for each. Those configure presets
carry the description below; every other preset (host, host-asan, host-fuzz, the hidden
`base` and `aarch64`) is hand-written and kept as it is, with the build and test presets
that use it.

  tools/board-presets.py            rewrite CMakePresets.json
  tools/board-presets.py --check    exit 1 if it differs from what the board files give
                                    (tools/test.sh runs this: a new board file without
                                    a rerun of this script fails CI)
  --root DIR                        the repository to work on (default: this script's)
"""

import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GENERATED = "generated from boards/{name}.board by tools/board-presets.py"
LINE_WIDTH = 120


def read_board(path):
    """`key = value` lines, `#` comments: the same rules as cmake/LinnetBoards.cmake."""
    keys = {}
    for line in path.read_text().splitlines():
        if re.match(r"^\s*#", line) or "=" not in line:
            continue
        m = re.match(r"^\s*([a-z_]+)\s*=\s*(.*)$", line)
        if m:
            keys[m.group(1)] = m.group(2).strip()
    return keys


def cross_boards(repo):
    """(name, keys) of every board with a qemu_cpu, by name."""
    boards = []
    for path in sorted((repo / "boards").glob("*.board")):
        keys = read_board(path)
        if keys.get("qemu_cpu"):
            boards.append((path.stem, keys))
    return boards


def board_presets(boards):
    """The configure, build and test presets the board files define."""
    configure, build, test = [], [], []
    for native in (False, True):
        for name, keys in boards:
            title = keys.get("display_name") or name
            preset = name + "-native" if native else name
            configure.append({
                "name": preset,
                "inherits": "base" if native else "aarch64",
                "displayName": title + (", built on the board (trixie)" if native else ""),
                "description": GENERATED.format(name=name),
                "cacheVariables": {"LINNET_BOARD": name},
            })
            build.append({"name": preset, "configurePreset": preset})
            test.append({"name": preset, "configurePreset": preset, "output": {"outputOnFailure": True}})
    return configure, build, test


def is_generated(preset):
    return preset.get("description", "").startswith("generated from boards/")


def regenerate(doc, boards):
    """`doc` with its board presets replaced by those of `boards`."""
    handwritten = [p for p in doc.get("configurePresets", []) if not is_generated(p)]
    kept = {p["name"] for p in handwritten}
    configure, build, test = board_presets(boards)
    clash = kept & {p["name"] for p in configure}
    if clash:
        sys.exit(f"board-presets: hand-written preset(s) {' '.join(sorted(clash))} have a board preset's name; "
                 "remove them from CMakePresets.json")
    out = dict(doc)
    out["configurePresets"] = handwritten + configure
    for key, generated in (("buildPresets", build), ("testPresets", test)):
        out[key] = [p for p in doc.get(key, []) if p.get("configurePreset") in kept] + generated
    return out


def compact(value):
    return json.dumps(value, separators=(", ", ": "))


def format_object(obj, indent):
    """One line when it fits, else one key per line (long maps wrapped under their first key)."""
    pad = " " * indent
    line = pad + compact(obj)
    if len(line) <= LINE_WIDTH:
        return line
    rows = []
    for key, value in obj.items():
        head = f'{pad}  {compact(key)}: '
        if isinstance(value, dict) and len(head + compact(value)) > LINE_WIDTH:
            items = [f"{compact(k)}: {compact(v)}" for k, v in value.items()]
            lines, cur = [], head + "{" + items[0]
            for item in items[1:]:
                if len(cur + ", " + item) > LINE_WIDTH:
                    lines.append(cur + ",")
                    cur = " " * (len(head) + 1) + item
                else:
                    cur += ", " + item
            lines.append(cur + "}")
            rows.append("\n".join(lines))
        else:
            rows.append(head + compact(value))
    return pad + "{\n" + ",\n".join(rows) + "\n" + pad + "}"


def format_document(doc):
    rows = []
    for key, value in doc.items():
        if isinstance(value, list):
            body = ",\n".join(format_object(item, 4) for item in value)
            rows.append(f'  {compact(key)}: [\n{body}\n  ]')
        else:
            rows.append(f"  {compact(key)}: {compact(value)}")
    return "{\n" + ",\n".join(rows) + "\n}\n"


def main(argv):
    repo = REPO
    if len(argv) >= 2 and argv[0] == "--root":
        repo, argv = Path(argv[1]), argv[2:]
    if argv not in ([], ["--check"]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    presets = repo / "CMakePresets.json"
    doc = json.loads(presets.read_text())
    boards = cross_boards(repo)
    wanted = regenerate(doc, boards)
    if argv == ["--check"]:
        if doc == wanted:
            print("board-presets: CMakePresets.json matches boards/*.board")
            return 0
        names = lambda d: [p["name"] for k in ("configurePresets", "buildPresets", "testPresets") for p in d.get(k, [])]
        have, want = names(doc), names(wanted)
        print("board-presets: CMakePresets.json is stale against boards/*.board; run tools/board-presets.py",
              file=sys.stderr)
        missing = sorted(set(want) - set(have))
        extra = sorted(set(have) - set(want))
        if missing:
            print("  missing presets: " + " ".join(missing), file=sys.stderr)
        if extra:
            print("  presets without a board file: " + " ".join(extra), file=sys.stderr)
        if not missing and not extra:
            print("  the board presets' contents differ", file=sys.stderr)
        return 1
    presets.write_text(format_document(wanted))
    print(f"board-presets: wrote CMakePresets.json ({len(boards)} cross boards: {' '.join(n for n, _ in boards)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
