"""`xzcrawler report`: one self-contained HTML file, whatever the archive holds (the browser
test, tests/test_browser.py, checks the charts draw)."""

from __future__ import annotations

import re

from tests.conftest import cli
from xzcrawler.store import SqliteStore

SECTIONS = {"per-month", "views", "growth", "series", "runs", "sites", "reuse"}


def test_an_empty_archive_gives_a_report_with_every_section(tmp_path):
    SqliteStore(tmp_path / "empty.db").close()
    result = cli("report", str(tmp_path / "empty.db"), "--out", str(tmp_path / "r.html"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "r.html").read_text("utf-8")
    assert set(re.findall(r'<section id="([\w-]+)"', page)) == SECTIONS
    assert "0 articles, 0 stories, 0 site(s)" in page
    assert not re.search(r"<script[^>]+src=", page)
    # each empty chart says what it needs
    notes = dict(re.findall(r'<section id="([\w-]+)"[^>]*><h2>[^<]*</h2>\n<p class="note">([^<]+)</p>', page))
    assert set(notes) == {"views", "growth", "series", "runs", "reuse"}
    assert "observed at least twice" in notes["growth"] and "no crawl has run" in notes["runs"]


def test_a_fresh_crawl_says_why_its_growth_charts_are_empty(mirror_archive):
    """One crawl is one observation of each count: the growth charts are empty, and say why."""
    _, path = mirror_archive
    page = cli("report", str(path), "--out", "-").stdout
    notes = dict(re.findall(r'<section id="([\w-]+)"[^>]*><h2>[^<]*</h2>\n<p class="note">([^<]+)</p>', page))
    assert set(notes) >= {"growth", "series"} and "views" not in notes


def test_report_to_stdout_and_refusals(mirror_archive, tmp_path):
    _, path = mirror_archive
    out = cli("report", str(path), "--out", "-")
    assert out.returncode == 0 and out.stdout.lstrip().startswith("<!DOCTYPE html>")
    assert "300 articles" in out.stdout
    # each panel by the site's own name beside its host (plotly keeps text as \uXXXX escapes)
    assert re.search(r"\\u5f90\\u5dde\\u5382\\u623f\\u7f51 \(127\.0\.0\.1\)|徐州厂房网 \(127\.0\.0\.1\)", out.stdout)
    for target in (str(path), str(tmp_path)):  # the archive itself, a directory
        refused = cli("report", str(path), "--out", target)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
    missing = cli("report", str(tmp_path / "missing.db"), "--out", str(tmp_path / "r.html"))
    assert missing.returncode == 1 and "no archive at" in missing.stderr


def test_a_category_is_coloured_by_its_kind_the_city_cut_off():
    """The network names categories <city><kind> (徐州厂房出租, 上海厂房出租): one kind, one colour in
    every site's panel, so no site's panel is all 'other'. A lone category, names sharing
    nothing, and the empty category keep their names; no name is cut to nothing."""
    from xzcrawler.tools.report import category_kinds

    kinds = category_kinds(
        [
            ("a", "徐州产业信息"), ("a", "徐州厂房出租"), ("a", "徐州仓库出租"),
            ("b", "上海厂房出租"), ("b", "上海产业信息"), ("b", ""),
            ("c", "产业信息"),  # one category: nothing to compare it with
            ("d", "新闻"), ("d", "公告"),  # nothing shared
            ("e", "徐州"), ("e", "徐州厂房"),  # the shared part is a whole name: kept whole
        ]
    )  # fmt: skip
    assert kinds[("a", "徐州厂房出租")] == kinds[("b", "上海厂房出租")] == "厂房出租"
    assert kinds[("a", "徐州产业信息")] == kinds[("b", "上海产业信息")] == "产业信息"
    assert kinds[("b", "")] == "" and kinds[("c", "产业信息")] == "产业信息"
    assert kinds[("d", "新闻")] == "新闻" and kinds[("d", "公告")] == "公告"
    assert all(kind for (site, name), kind in kinds.items() if name)
    assert kinds[("e", "徐州")] == "州" and kinds[("e", "徐州厂房")] == "州厂房"


def test_on_the_network_every_site_panel_shows_its_kinds_in_colour(tmp_path):
    """12 sites of 5 categories each (60 names) are 5 kinds: each panel's bars are coloured, none
    'other', and the legend names the kinds once each."""
    from xzcrawler.tools.report import OTHER, _figures

    cities = ["徐州", "嘉兴", "嘉善", "湖州", "宣城", "东莞", "昆山", "苏州", "无锡", "上海", "浦东", "来安"]
    kinds = ["产业信息", "厂房出租", "仓库出租", "厂房出售", "土地出售"]
    sites = [f"127.0.0.{n}" for n in range(1, 13)]
    rows = [
        (site, "2026-10", city + kind, 10 + n + k)
        for n, (site, city) in enumerate(zip(sites, cities, strict=True))
        for k, kind in enumerate(kinds)
    ]
    data = {"sites": sites, "names": {}, "per_month": rows, "views": [], "growth": [], "series": {}, "runs": []}
    data["per_site"] = []
    panels = {key: fig for key, _, fig in _figures(data)}["per-month"]
    names = [trace.name for trace in panels.data]
    assert OTHER not in names
    assert sorted({trace.name for trace in panels.data if trace.showlegend}) == sorted(kinds)
    assert len(names) == 60


def test_the_reuse_matrix_is_the_families_shared_between_sites_both_ways():
    from xzcrawler.tools.report import _figures

    data = {"sites": [], "names": {"127.0.0.2": "嘉兴厂房网"}, "per_month": [], "views": [], "growth": []}
    data.update(series={}, runs=[], per_site=[], families=7)
    # as the canned query gives them: each pair of sites once (site_a <= site_b), a site with itself
    data["reuse"] = [
        ("127.0.0.1", "127.0.0.10", 5),
        ("127.0.0.1", "127.0.0.2", 3),
        ("127.0.0.2", "127.0.0.2", 2),
    ]
    notes: dict = {}
    (title, matrix) = [(title, fig) for key, title, fig in _figures(data, notes) if key == "reuse"][0]
    heat = matrix.data[0]
    # the sites in the order a person counts hosts, each by its name beside its host
    assert list(heat.x) == list(heat.y) == ["127.0.0.1", "嘉兴厂房网 (127.0.0.2)", "127.0.0.10"]
    assert [list(row) for row in heat.z] == [[0, 3, 5], [3, 2, 0], [5, 0, 0]]
    assert "7 families in all" in title and "reuse" not in notes


def test_the_report_of_an_archive_with_families_draws_the_reuse_matrix(mirror_archive):
    _, path = mirror_archive
    page = cli("report", str(path), "--out", "-").stdout
    notes = dict(re.findall(r'<section id="([\w-]+)"[^>]*><h2>[^<]*</h2>\n<p class="note">([^<]+)</p>', page))
    assert '<section id="reuse"' in page and "reuse" not in notes
    assert re.search(r"Reuse of text between sites: families with posts on both \([1-9]\d* families in all\)", page)
