"""The shape of the code, as docs/architecture.md draws it. import-linter checks the layers
(`lint-imports` in `make test`); these check what its contracts cannot say."""

import ast
import inspect
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["config", "accounts", "trials", "browse", "curation"]
MAX_MODULE_LINES = 500


def import_cycles(graph) -> list[list[str]]:
    """Strongly connected groups of modules that import each other, directly or not
    (Tarjan's algorithm; imports inside functions count too, so a delayed import does not
    hide a cycle)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(module):
        # Iterative depth-first search: a deep import chain must not hit the recursion limit.
        work = [(module, iter(sorted(graph.find_modules_directly_imported_by(module))))]
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def test_the_project_has_no_import_cycle(graph):
    assert import_cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c", "d"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    graph.add_import(importer="c", imported="d")
    assert import_cycles(graph) == [["a", "b", "c"]]


def python_files(*roots: str):
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_outside_the_migrations_is_over_500_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in python_files(*PACKAGES)
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_the_trial_admin_itself_stays_small():
    from curation.admin.trial import TrialAdmin

    lines, _ = inspect.getsourcelines(TrialAdmin)
    assert len(lines) < 150


def test_models_live_only_in_trials():
    from django.apps import apps

    assert {model._meta.app_label for model in apps.get_app_config("trials").get_models()} == {
        "trials"
    }
    assert list(apps.get_app_config("browse").get_models()) == []
    assert list(apps.get_app_config("curation").get_models()) == []


def test_no_test_module_imports_another():
    """Shared helpers live in tests/helpers.py (and fixtures in conftest.py files, which
    pytest loads itself): a test module importing another couples their fixtures and data."""
    offenders = []
    for path in python_files("tests"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                last = name.rsplit(".", 1)[-1]
                if name.startswith("tests.") and (last.startswith("test_") or last == "conftest"):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []
