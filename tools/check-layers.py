#!/usr/bin/env python3
"""Fails on an #include or a CMake link that goes up the layers of runtime/README.md.

The table "Layers" in runtime/README.md is the only statement of what may include what:
each row is a folder (a layer), what it owns, and the layers its code may include
directly; what those may include comes with them (the closure). Test code may also
include the test support named in the row "test code". The table "Known upward
includes" lists the exceptions, each with its reason; an exception that no longer
happens is an error too, so the list only shrinks.

Every `#include "..."` in runtime/, kernels/, converter/, tests/ and samples/ is resolved
the way the compiler does (the including file's folder, then the include roots runtime/,
the repository root, runtime/include) to a file, whose folder gives its layer. Every
target their CMakeLists.txt files define (add_library, add_executable, linnet_add_test,
linnet_add_fuzzer) belongs to its CMakeLists.txt's folder; each target it links
(target_link_libraries, the LIBS of linnet_add_test/linnet_add_fuzzer) that is defined in
those folders too must be in a layer it may include. A test target (linnet_add_test,
linnet_add_fuzzer, a name with "test", or defined under tests/) is test code.

  tools/check-layers.py [--root DIR]      exit 0: no upward include; 1: the list of them
"""

import re
import sys
from pathlib import Path

SCANNED = ("runtime", "kernels", "converter", "tests", "samples", "bench")
SOURCE_SUFFIXES = (".h", ".hpp", ".cpp", ".cc", ".c", ".inc")
INCLUDE_ROOTS = (".", "runtime/include")
# Headers generated at build time (not in the tree), and the layer that owns each.
GENERATED = {
    "runtime/bundle/bundle_generated.h": "runtime/bundle",   # flatc, runtime/bundle/bundle.fbs
    "runtime/ota/update_generated.h": "runtime/ota",         # flatc, runtime/ota/update.fbs
    "linnet/boards_generated.h": "boards",           # cmake/LinnetBoards.cmake, boards/*.board
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
TICKED = re.compile(r"`([^`]+)`")


class TableError(Exception):
    pass


def read_tables(readme):
    """(layers: {folder: [may include]}, test_extras: [layers], exceptions: {(file, include): reason})."""
    layers, test_extras, exceptions = {}, None, {}
    table = None
    for n, line in enumerate(readme.read_text().splitlines(), 1):
        if not line.startswith("|"):
            table = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        header = [c.lower() for c in cells]
        if header[:3] == ["folder", "owns", "may include"]:
            table = "layers"
            continue
        if header[:2] == ["file", "includes or links"]:
            table = "exceptions"
            continue
        if table is None or set(line) <= set("|-: "):
            continue
        if table == "layers":
            if len(cells) < 3:
                raise TableError(f"{readme}:{n}: a layer row needs 3 cells")
            allowed = TICKED.findall(cells[2])
            if cells[0] == "*test code*":
                test_extras = allowed
                continue
            folder = TICKED.findall(cells[0])
            if len(folder) != 1:
                raise TableError(f"{readme}:{n}: the first cell names one folder in backticks")
            layers[folder[0].rstrip("/")] = [a.rstrip("/") for a in allowed]
        else:
            ticked = TICKED.findall(" ".join(cells[:2]))
            if len(ticked) != 2:
                raise TableError(f"{readme}:{n}: an exception row names a file and an include (or a link,"
                                 " `target -> target`) in backticks")
            exceptions[(ticked[0], ticked[1])] = cells[2] if len(cells) > 2 else ""
    if not layers:
        raise TableError(f"{readme}: no table with the header | folder | owns | may include |")
    if test_extras is None:
        raise TableError(f"{readme}: no row *test code* in the layers table")
    for folder, allowed in list(layers.items()) + [("*test code*", test_extras)]:
        for a in allowed:
            if a not in layers:
                raise TableError(f"{readme}: {folder} may include {a}, which is not a row of the table")
    return layers, test_extras, exceptions


def closure(layers, start):
    """`start` and every layer reachable from it through "may include"."""
    seen, todo = set(), list(start)
    while todo:
        layer = todo.pop()
        if layer not in seen:
            seen.add(layer)
            todo.extend(layers[layer])
    return seen


def layer_of(path, layers):
    """The longest table folder that holds `path` (repository-relative), or None."""
    best = None
    for folder in layers:
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(best):
                best = folder
    return best


def is_test_code(path):
    p = Path(path)
    stem = p.stem
    return (path.startswith("tests/") or "testing" in p.parts[:-1] or stem.endswith("_test")
            or stem.startswith("test_") or stem.endswith("_fuzz"))


def resolve(root, source, name):
    """The repository-relative path the compiler would find for `#include "name"`, or None."""
    for base in [source.parent.relative_to(root).as_posix()] + list(INCLUDE_ROOTS):
        candidate = (root / base / name).resolve()
        if candidate.is_file():
            try:
                return candidate.relative_to(root).as_posix()
            except ValueError:
                return None
    return None


CMAKE_COMMAND = re.compile(r"\b(add_library|add_executable|linnet_add_test|linnet_add_fuzzer|target_link_libraries)"
                           r"\s*\(([^)]*)\)", re.S)
LINK_KEYWORDS = {"PUBLIC", "PRIVATE", "INTERFACE", "LINK_PUBLIC", "LINK_PRIVATE", "LINK_INTERFACE_LIBRARIES"}


def cmake_targets(root):
    """({target: (folder, CMakeLists path, is_test)}, [(CMakeLists path, line, target, linked)])."""
    targets, links = {}, []
    for top in SCANNED:
        for lists in sorted((root / top).rglob("CMakeLists.txt")):
            rel = lists.relative_to(root).as_posix()
            folder = lists.parent.relative_to(root).as_posix()
            text = "\n".join(line.split("#", 1)[0] for line in lists.read_text().splitlines())
            for m in CMAKE_COMMAND.finditer(text):
                command, args = m.group(1), m.group(2).split()
                if not args:
                    continue
                line = text.count("\n", 0, m.start()) + 1
                name = args[0]
                if command == "target_link_libraries":
                    linked = args[1:]
                elif command in ("linnet_add_test", "linnet_add_fuzzer"):
                    linked, in_libs = [], False
                    for a in args[1:]:
                        if a.isupper():
                            in_libs = a == "LIBS"
                        elif in_libs:
                            linked.append(a)
                else:
                    linked = []
                if command != "target_link_libraries":
                    test = (command in ("linnet_add_test", "linnet_add_fuzzer") or "test" in name
                            or folder == "tests" or folder.startswith("tests/"))
                    targets[name] = (folder, rel, test)
                links.extend((rel, line, name, l) for l in linked if l not in LINK_KEYWORDS)
    return targets, links


def check(root):
    layers, test_extras, exceptions = read_tables(root / "runtime" / "README.md")
    allowed_by_layer = {layer: closure(layers, [layer]) for layer in layers}
    test_allowed = closure(layers, test_extras)
    problems, used_exceptions, files, includes = [], set(), 0, 0
    for top in SCANNED:
        for source in sorted((root / top).rglob("*")):
            if not source.is_file() or source.suffix not in SOURCE_SUFFIXES:
                continue
            rel = source.relative_to(root).as_posix()
            if rel.startswith(("build/", ".buildroot/")) or "/corpus/" in rel:
                continue
            files += 1
            layer = layer_of(rel, layers)
            if layer is None:
                problems.append(f"{rel}: its folder is not in the layers table of runtime/README.md")
                continue
            allowed = allowed_by_layer[layer] | (test_allowed if is_test_code(rel) else set())
            for n, line in enumerate(source.read_text(errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                includes += 1
                name = m.group(1)
                target = resolve(root, source, name)
                target_layer = GENERATED.get(name) if target is None else layer_of(target, layers)
                if target_layer is None:
                    what = "no such file in the tree" if target is None else f"{target} is in no layer"
                    problems.append(f'{rel}:{n}: #include "{name}": {what}')
                    continue
                if target_layer in allowed:
                    continue
                if (rel, name) in exceptions:
                    used_exceptions.add((rel, name))
                    continue
                problems.append(f'{rel}:{n}: #include "{name}" goes up: {layer} may not include {target_layer} '
                                f"(it may include {', '.join(sorted(allowed_by_layer[layer] - {layer})) or 'nothing'})")
    targets, links = cmake_targets(root)
    for rel, line, name, linked in links:
        if name not in targets or linked not in targets:
            continue  # a dependency from outside the scanned folders (cmake/LinnetDeps.cmake, Debian's)
        folder, _, test = targets[name]
        layer, target_layer = layer_of(folder, layers), layer_of(targets[linked][0], layers)
        if layer is None or target_layer is None:
            problems.append(f"{rel}:{line}: {name} or {linked} is in a folder not in the layers table")
            continue
        allowed = allowed_by_layer[layer] | (test_allowed if test else set())
        if target_layer in allowed:
            continue
        key = (rel, f"{name} -> {linked}")
        if key in exceptions:
            used_exceptions.add(key)
            continue
        problems.append(f"{rel}:{line}: {name} links {linked}, which goes up: {layer} may not use {target_layer}")
    for rel, name in sorted(set(exceptions) - used_exceptions):
        problems.append(f'runtime/README.md: the known upward include {rel} -> "{name}" no longer happens; '
                        "remove its row")
    return problems, files, includes, len(used_exceptions), links


def main(argv):
    root = Path(__file__).resolve().parent.parent
    if len(argv) == 2 and argv[0] == "--root":
        root = Path(argv[1]).resolve()
    elif argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        problems, files, includes, excepted, links = check(root)
    except TableError as e:
        print(f"check-layers: {e}", file=sys.stderr)
        return 1
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"check-layers: {len(problems)} problem(s); the layers are the table in runtime/README.md",
              file=sys.stderr)
        return 1
    print(f"check-layers: {files} files, {includes} includes, {len(links)} links, none goes up "
          f"({excepted} known exception(s) listed in runtime/README.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
