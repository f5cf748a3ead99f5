"""The layers hold: the pure core imports neither Scrapy nor the store, the store no Scrapy, the
spider not the store, and nothing the crawler runs imports the mirror (a tool)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "xzcrawler"
ADAPTERS = (
    "xzcrawler.spiders",
    "xzcrawler.pipelines",
    "xzcrawler.extensions",
    "xzcrawler.middlewares",
    "xzcrawler.commands",
    "xzcrawler.settings",
)
SCRAPY = ("scrapy", "twisted", "itemadapter")
STORAGE = ("xzcrawler.store", "sqlite3", "sqlite_utils")
TOOLS = ("xzcrawler.mirror", "xzcrawler.cli", "xzcrawler.tools")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions count too)."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def files(*packages: str) -> list[Path]:
    out = []
    for name in packages:
        target = PACKAGE.parent / name.replace(".", "/")
        out += sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
    return out


def offending(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in imports(path) if any(m == f or m.startswith(f + ".") for f in forbidden))


@pytest.mark.parametrize("path", files("xzcrawler.core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_is_pure(path):
    assert offending(path, (*SCRAPY, *STORAGE, *ADAPTERS, *TOOLS)) == []


@pytest.mark.parametrize("path", files("xzcrawler.store"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_store_knows_no_scrapy(path):
    assert offending(path, (*SCRAPY, *ADAPTERS, *TOOLS)) == []


@pytest.mark.parametrize("path", files("xzcrawler.warc"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_warc_library_knows_no_scrapy_and_no_crawl(path):
    assert offending(path, (*SCRAPY, *ADAPTERS, *TOOLS, "sqlite3", "sqlite_utils")) == []


@pytest.mark.parametrize("path", files("xzcrawler.spiders"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_spider_does_not_touch_the_store(path):
    assert offending(path, STORAGE) == []


@pytest.mark.parametrize("path", files(*ADAPTERS), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_crawler_never_imports_the_tools(path):
    assert offending(path, TOOLS) == []


def test_the_check_sees_imports():
    """The checker itself: it finds relative and lazy imports (so the tests above can fail)."""
    assert "xzcrawler.store" in imports(PACKAGE / "extensions.py")
    assert "xzcrawler.settings" in imports(PACKAGE / "extensions.py")  # imported inside config()
    assert "xzcrawler.core.normalize" in imports(PACKAGE / "core" / "clock.py")


# Datasette's connection hook is Datasette's room: it registers the search functions on a
# connection Datasette opened (the SQL it serves is Datasette's and the canned queries').
SQL_ROOMS = ("xzcrawler/store/", "xzcrawler/datasette/")


def sql_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("execute", "executemany", "executescript", "create_view", "upsert_all"):
                found.append(f"{node.func.attr} at line {node.lineno}")
    return found


@pytest.mark.parametrize(
    "path",
    [p for p in files("xzcrawler") if not str(p.relative_to(ROOT)).startswith(SQL_ROOMS)],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_sql_outside_the_store(path):
    assert sql_calls(path) == []
    assert offending(path, ("sqlite3", "sqlite_utils")) == []
