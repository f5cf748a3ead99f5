"""`xzcrawler parse` as a user (and the held-out check) runs it."""

from __future__ import annotations

import json

from .conftest import FIXTURES, cli

REFERENCE = FIXTURES / "article" / "reference-2176"


def test_reference_page_gives_expected_json():
    result = cli(
        "parse",
        str(REFERENCE / "page.html"),
        "--url",
        "http://xuzhou.021cf.cn/index.php/post/2176.html",
        "--fetched-at",
        "2025-11-27T10:00:00+08:00",
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    expected = json.loads((REFERENCE / "expected.json").read_text("utf-8"))
    assert out["kind"] == "article"
    for name, value in expected.items():
        assert out[name] == value, name
    # every schema field is printed, even those the reference does not list
    for name in ("published_at", "promo_text", "content_hash", "fetched_at", "images"):
        assert name in out
    assert out["fetched_at"] == "2025-11-27T02:00:00Z"
    assert out["promo_text"].startswith("葛毅明微信号") and "版权声明" in out["promo_text"]


def test_listing_page_prints_listing_shape():
    page = FIXTURES / "listing" / "category-3" / "page.html"
    result = cli("parse", str(page), "--url", "http://xuzhou.021cf.cn/index.php/category-3.html")
    out = json.loads(result.stdout)
    assert set(out) == {"kind", "articles", "next_page", "last_page"}
    assert set(out["articles"][0]) == {
        "url",
        "title",
        "excerpt",
        "published_date",
        "published_at",
        "published_precision",
        "published_earliest",
        "published_latest",
        "published_text",
        "views",
        "views_rounded",
    }


def test_unreadable_file_is_a_one_line_error(tmp_path):
    result = cli("parse", str(tmp_path / "missing.html"), "--url", "http://xuzhou.021cf.cn/")
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_empty_and_garbage_files_are_other(tmp_path):
    for name, body in (("empty.html", b""), ("garbage.bin", bytes(range(256)) * 4)):
        path = tmp_path / name
        path.write_bytes(body)
        result = cli("parse", str(path), "--url", "http://xuzhou.021cf.cn/index.php/post/1.html")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["kind"] == "other"
