"""The structure of the tlcourse package: its modules import each other one way only.

Data flows lesson → models → datasets → assets → registry (helpers such as files, errors, checksums, archives,
standins and checks below them);
no module imports one above it, so there is no import cycle. The imports are read from the source with ``ast``,
including the ones inside functions (a lazy import hides a cycle from Python, not from a reader).
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tlcourse"


def package_imports(sources: dict[str, str]) -> dict[str, set[str]]:
    """For each module (name → source; ``__init__`` for the package itself), the package's modules it imports."""
    modules = set(sources)
    graph = {}
    for module, source in sources.items():
        found = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom):
                absolute = node.level == 0 and (node.module or "").split(".")[0] == "tlcourse"
                if node.level == 0 and not absolute:
                    continue                                # numpy, keras, ...
                parts = (node.module or "").split(".")[1 if absolute else 0:]
                parts = [p for p in parts if p]
                if parts:                                   # from .assets import x, from tlcourse.x import y
                    found.add(parts[0])
                else:                                       # from . import assets, models
                    found |= {a.name for a in node.names if a.name in modules} or {"__init__"}
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == "tlcourse":              # import tlcourse, import tlcourse.assets
                        found.add(parts[1] if len(parts) > 1 else "__init__")
        graph[module] = (found & modules) - {module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph``: its strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def tlcourse_graph() -> dict[str, set[str]]:
    return package_imports({p.stem: p.read_text() for p in PACKAGE.glob("*.py")})


def test_the_detector_finds_the_cycles_it_must():
    """The knot this test was written for (datasets and models importing each other, one of the two imports inside
    a function), a longer cycle, and a module importing the package that imports it, are all found."""
    knot = {"__init__": "from . import datasets, models",
            "datasets": "from . import assets, models\nimport numpy as np",
            "models": "from . import assets\ndef f():\n    from . import datasets\n",
            "assets": "from .registry import ASSETS", "registry": "import dataclasses"}
    graph = package_imports(knot)
    assert graph == {"__init__": {"datasets", "models"}, "datasets": {"assets", "models"},
                     "models": {"assets", "datasets"}, "assets": {"registry"}, "registry": set()}
    assert cycles(graph) == [["datasets", "models"]]
    longer = {"a": "from .b import x", "b": "import tlcourse.c", "c": "from tlcourse import a", "d": "from . import a"}
    assert cycles(package_imports(longer)) == [["a", "b", "c"]]
    upwards = {"__init__": "from . import plots", "plots": "import tlcourse\n"}
    assert cycles(package_imports(upwards)) == [["__init__", "plots"]]
    knot["models"] = "from . import assets"                           # the knot untied: one way only
    assert cycles(package_imports(knot)) == []


def test_tlcourse_has_no_import_cycle():
    graph = tlcourse_graph()
    assert {"assets", "datasets", "models", "registry"} <= set(graph)   # the package was read
    assert cycles(graph) == [], ("tlcourse's modules import each other in a circle: make data flow one way "
                                 "(lesson → models → datasets → assets → registry), moving the shared function "
                                 "down to the lower module")


def test_lower_layers_import_nothing_above_them():
    graph = tlcourse_graph()
    assert graph["registry"] == set(), "registry.py is the table of files: it imports no other tlcourse module"
    assert graph["assets"] <= {"registry", "files", "errors", "checksums", "archives", "checks"}, (
        f"assets.py imports {sorted(graph['assets'])}")
    for helper in ("errors", "checksums", "archives", "files", "checks"):
        assert graph[helper] <= {"errors", "files"}, f"{helper}.py imports {sorted(graph[helper])}"
    assert graph["datasets"] <= {"assets", "registry", "files", "standins", "checks"}, (
        f"datasets.py imports {sorted(graph['datasets'])}: data comes from assets, never from models or the run")
    assert graph["models"] <= {"datasets", "assets", "registry", "files", "standins", "checks"}, (
        f"models.py imports {sorted(graph['models'])}")
