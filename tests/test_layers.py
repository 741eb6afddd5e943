"""The dependency rule, checked on the imports: pages → components → data_access."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def files(*globs):
    return [p for g in globs for p in ROOT.glob(g)]


def test_pages_never_import_sqlalchemy():
    for page in files("app.py", "pages/*.py"):
        assert "sqlalchemy" not in imported_modules(page), page


def test_data_access_never_imports_streamlit_or_components():
    for module in files("data_access/*.py"):
        assert not {"streamlit", "components"} & imported_modules(module), module


def test_every_page_starts_with_the_shared_frame():
    for page in files("app.py", "pages/*.py"):
        body = [n for n in ast.parse(page.read_text(encoding="utf-8")).body
                if not isinstance(n, (ast.Import, ast.ImportFrom, ast.Expr))
                or (isinstance(n, ast.Expr) and not isinstance(n.value, ast.Constant))]
        first = ast.unparse(body[0])
        assert "frame.filters(" in first, f"{page.name}: first statement is {first!r}"


def test_every_navigation_entry_is_a_page_file():
    from components.frame import PAGES

    assert PAGES[0].script == "app.py"
    for page in PAGES:
        assert (ROOT / page.script).exists(), page.script
    listed = {p.script for p in PAGES}
    # the wall is opened as /wall or ?wall=1 on any page, never from the desk's navigation
    reached_otherwise = {"pages/5_wall.py"}
    assert {f"pages/{p.name}" for p in ROOT.glob("pages/*.py")} - reached_otherwise <= listed
