"""The package's layout: imports point one way (no cycle) and no module reaches into
another's private names (README, "Architecture")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tpop_kb"

#: Private names still imported across modules, each with why; the list may only shrink.
ALLOWED_PRIVATE: set[tuple[str, str, str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Lines under ``if TYPE_CHECKING:`` (imports for annotations only: never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(name: str, path: Path, modules: dict[str, Path]):
    """(imported module, imported name or None, line) for every import that runs,
    module level or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in modules:  # `from . import knowledge`
                    yield f"{source}.{alias.name}", None, node.lineno
                else:
                    yield source, alias.name, node.lineno


def test_no_import_cycle():
    modules = _modules()
    graph = {
        name: sorted({m for m, _, _ in _imports(name, path, modules)
                      if m in modules and m != name and not name.startswith(m + ".")
                      and m != "tpop_kb"})
        for name, path in modules.items()
    }
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            cycle = stack[stack.index(node):] + [node]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for other in graph[node]:
            visit(other, [*stack, node])
        done.add(node)

    for name in graph:
        visit(name, [])


def test_no_private_name_is_imported_across_modules():
    modules = _modules()
    found = set()
    for name, path in modules.items():
        for source, imported, line in _imports(name, path, modules):
            if imported and imported.startswith("_") and not imported.startswith("__"):
                found.add((name, source, imported, line))
            elif imported is None and any(p.startswith("_") and not p.startswith("__")
                                          for p in source.split(".")[1:]
                                          if not source.startswith("tpop_kb")):
                found.add((name, source, "", line))  # e.g. `import re._parser`
    unexpected = sorted(f"{m}:{line} imports {s}.{i}" for m, s, i, line in found
                        if (m, s, i) not in ALLOWED_PRIVATE)
    assert not unexpected, unexpected


def test_private_attributes_of_other_modules_are_not_used():
    """``orders._one_chunk(...)`` through a module imported whole counts too."""
    modules = _modules()
    offences = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.asname or alias.name.split(".")[0]
                    for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {alias.asname or alias.name for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) for alias in node.names
                     if f"{node.module}.{alias.name}" in modules or node.module is None}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in imported and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                offences.append(f"{name}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not offences, offences


README = PACKAGE.parent / "README.md"


def _layers() -> list[tuple[str, set[str]]]:
    """The README's architecture block, top layer first: (layer, modules)."""
    text = README.read_text(encoding="utf-8")
    block = text[text.index("## Architecture"):]
    block = block[block.index("```") + 3:]
    block = block[block.index("\n") + 1: block.index("```")]
    modules = _modules()
    layers = []
    for line in block.splitlines():
        words = re.sub(r"\([^)]*\)", " ", line).split()
        if not words:
            continue
        names = set()
        for word in words[1:]:
            if word == "apps/*":
                names |= {m for m in modules if m.startswith("tpop_kb.apps")}
            elif f"tpop_kb.{word}" in modules:
                names.add(f"tpop_kb.{word}")
            else:
                raise AssertionError(f"README architecture names {word!r}: no such module")
        layers.append((words[0], names))
    return layers


def test_readme_layers_list_every_module_once():
    listed = [m for _, names in _layers() for m in names]
    assert len(listed) == len(set(listed)), "a module is in two layers"
    missing = set(_modules()) - set(listed) - {"tpop_kb"}  # the public API re-exports
    assert not missing, f"modules missing from the README's layers: {sorted(missing)}"


def test_imports_point_down_the_readme_layers():
    modules = _modules()
    level = {m: depth for depth, (_, names) in enumerate(_layers()) for m in names}
    upward = []
    for name, path in modules.items():
        if name == "tpop_kb":
            continue
        for source, _, line in _imports(name, path, modules):
            if source in level and level[source] < level[name]:
                upward.append(f"{name}:{line} imports {source} (a layer above)")
    assert not upward, upward
