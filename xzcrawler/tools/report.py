"""``xzcrawler report [ARCHIVE] --out report.html``: one self-contained HTML file of charts
(plotly, its script inlined: nothing is fetched when the file is opened).

- articles per month per category (a panel per site when the archive holds several, in the order
  a person counts hosts), coloured by the category's kind (``category_kinds``: 徐州厂房出租 and
  上海厂房出租 are both 厂房出租), the 11 largest kinds each in its own colour, the rest "other
  categories";
- the distribution of view counts;
- the fastest-growing articles (from counts shown whole only) and the view series of the top
  ones, on a log scale;
- crawl runs over time: pages fetched, new articles, failures, and each run's verdict;
- per site: articles, stories, cross-posted stories, and stories it posted first;
- the reuse of text between sites: a matrix of the families (of posts made from one text,
  core/families.py) with posts on both sites, the canned query reuse_between_sites.

The SQL of the growth chart is the canned query Datasette shows (xzcrawler/datasette/metadata.json):
one definition of "fastest growing" for both.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
from pathlib import Path

from ..core.normalize import natural_key
from ..store import SqliteStore

REQUIRES = "plotly (pip install 'xzcrawler[report]')"
TOP_CATEGORIES = 11  # categories with a colour of their own; the rest are OTHER
OTHER = "other categories"
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a",
)  # fmt: skip


# what the growth charts need (the canned query fastest_growing_views): an article's count seen
# twice at least 6 hours apart, so a fresh archive (one crawl, one observation each) has none
GROWTH_NEEDS = (
    "Empty: growth needs an article's view count observed at least twice, 6 hours or more apart "
    "(a refresh run after the first crawl, e.g. the next day's cron run); this archive has none yet."
)


def category_kinds(pairs) -> dict:
    """(site, category) -> the category's kind: its name without the prefix all of that site's
    category names share. The network names a site's categories by its city and a kind (the real
    pages: 徐州产业信息, 徐州厂房出租, 徐州仓库出租, 徐州厂房出售, 徐州土地出售; 上海厂房出租 on the
    Shanghai site), so one kind is one colour in every site's panel. A site with a single
    category, or names that share nothing, keeps its names whole; no name is cut to nothing."""
    by_site: dict = {}
    for site, category in pairs:
        by_site.setdefault(site, set()).add(category)
    kinds = {}
    for site, categories in by_site.items():
        named = sorted(c for c in categories if c)
        prefix = os.path.commonprefix(named) if len(named) > 1 else ""
        prefix = prefix[: min((len(c) for c in named), default=1) - 1] if prefix else ""
        for category in categories:
            kinds[(site, category)] = category[len(prefix) :] if category else category
    return kinds


def _canned(name: str) -> str:
    from ..datasette import metadata

    return metadata()["databases"]["xzcrawler"]["queries"][name]["sql"]


def _figures(data: dict, notes: dict[str, str] | None = None) -> list[tuple[str, str, object]]:
    """The report's charts of ``data`` (SqliteStore.report_data); ``notes`` gets, by chart, what an
    empty chart needs to show anything."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figures: list[tuple[str, str, object]] = []
    notes = {} if notes is None else notes
    sites = sorted(data["sites"], key=natural_key)  # panels in the order a person counts hosts
    # each site by its own name beside its host: 徐州厂房网 (xuzhou.021cf.cn)
    names = data["names"]

    def label(site: str) -> str:
        return f"{names[site]} ({site})" if site in names else site

    # articles per month per category, a panel per site: the network has 60+ categories, each a
    # city's name before one of a few kinds, so a colour is a kind (the same in every panel, one
    # legend entry each): the TOP_CATEGORIES largest kinds keep their own, the rest are "other"
    kinds = category_kinds((site, category) for site, _, category, _ in data["per_month"])
    rows = [(site, month, kinds[(site, category)], count) for site, month, category, count in data["per_month"]]
    sizes: dict = {}
    for _, _, category, count in rows:
        sizes[category] = sizes.get(category, 0) + count
    kept = sorted(sizes, key=lambda c: (-sizes[c], str(c)))[:TOP_CATEGORIES]
    palette = PALETTE
    colour = {c: palette[k % len(palette)] for k, c in enumerate(kept)}
    panels = make_subplots(
        rows=len(sites) or 1,
        cols=1,
        shared_xaxes=True,
        subplot_titles=[label(site) for site in sites] or ["(no articles)"],
        vertical_spacing=0.03,
    )
    shown: set = set()
    for index, site in enumerate(sites, start=1):
        groups: dict = {}
        for s, month, category, count in rows:
            if s == site:
                key = category if category in colour else OTHER
                groups.setdefault(key, {}).setdefault(month, 0)
                groups[key][month] += count
        # the site's own names of the kind, for the hover (徐州厂房出租, where the legend says 厂房出租)
        whole: dict = {}
        for (s, category), kind in kinds.items():
            if s == site:
                whole.setdefault(kind if kind in colour else OTHER, []).append(category or "(none)")
        for category in [*(c for c in kept if c in groups), *([OTHER] if OTHER in groups else [])]:
            points = sorted(groups[category].items())
            panels.add_trace(
                go.Bar(
                    x=[m for m, _ in points],
                    y=[n for _, n in points],
                    name=category or "(none)",
                    hovertext=["、".join(sorted(whole[category]))] * len(points),
                    legendgroup=str(category),
                    showlegend=category not in shown,
                    marker={"color": colour.get(category, "#b0b0b0")},
                ),
                row=index,
                col=1,
            )
            shown.add(category)
    # the legend just under the last panel's axis (plotly's default for a horizontal legend is a
    # tenth of the figure's height below it: 300 px of nothing under twelve panels)
    height = max(380, 260 * len(sites))
    panels.update_layout(
        barmode="stack", height=height, legend={"orientation": "h", "yanchor": "top", "y": -50 / height}
    )
    figures.append(("per-month", "Articles per month per category", panels))

    # views: how they are spread
    views = data["views"]
    histogram = go.Figure(go.Histogram(x=[math.log10(v + 1) for v in views], nbinsx=40))
    histogram.update_layout(xaxis_title="log10(views + 1): 2 = 100, 4 = 10,000", yaxis_title="articles", height=380)
    figures.append(("views", f"Views: distribution over {len(views)} articles", histogram))
    if not views:
        notes["views"] = "Empty: no page or listing has shown a view count of any article yet."

    # the fastest-growing articles, and the view series of the top ones
    growth = data["growth"]
    top = growth[:20]
    bars = go.Figure(go.Bar(x=[row[8] for row in top][::-1], y=[row[0] for row in top][::-1], orientation="h"))
    bars.update_layout(xaxis_title="views gained per day", height=max(380, 24 * len(top) + 120), margin={"l": 320})
    figures.append(("growth", "Fastest-growing articles (views per day over the observed span)", bars))
    if not growth:
        notes["growth"] = notes["series"] = GROWTH_NEEDS
    series = go.Figure()
    for title, url, *_ in growth[:8]:
        points = data["series"][url]
        series.add_trace(
            go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers", name=title)
        )
    # log scale: one article at 2.3 million flattened every other line
    series.update_layout(yaxis_title="views (log scale)", yaxis_type="log", height=420, legend={"orientation": "h"})
    figures.append(("series", "View series of the fastest-growing articles", series))

    # crawl runs over time
    runs = data["runs"]
    health = make_subplots(rows=2, cols=1, shared_xaxes=True, subplot_titles=["pages and new articles", "failures"])
    # one legend entry per site (pages, new articles and failures share its colour), sites in the
    # order a person counts them
    for k, site in enumerate(sorted({run[1] for run in runs}, key=natural_key)):
        tint = PALETTE[k % len(PALETTE)]
        mine = [run for run in runs if run[1] == site]
        stats = [json.loads(run[5] or "{}") for run in mine]
        when = [run[2] for run in mine]
        ok = ["#2ca02c" if run[4] == 0 else "#d62728" for run in mine]
        verdicts = [run[3] for run in mine]
        health.add_trace(
            go.Scatter(
                x=when,
                y=[s.get("response_received_count", 0) for s in stats],
                mode="lines+markers",
                marker={"color": ok, "size": 9},
                line={"color": tint},
                name=label(site),
                legendgroup=site,
                text=verdicts,
            ),
            row=1,
            col=1,
        )
        health.add_trace(
            go.Bar(
                x=when,
                y=[s.get("xz/articles_new", 0) for s in stats],
                name=f"{label(site)} new",
                opacity=0.6,
                legendgroup=site,
                showlegend=False,
                marker={"color": tint},
            ),
            row=1,
            col=1,
        )
        health.add_trace(
            go.Bar(
                x=when,
                y=[s.get("xz/failed_urls", 0) for s in stats],
                name=f"{label(site)} failures",
                text=verdicts,
                legendgroup=site,
                showlegend=False,
                marker={"color": tint},
            ),
            row=2,
            col=1,
        )
    health.update_layout(height=560, legend={"orientation": "h"}, barmode="group")
    figures.append(("runs", f"Crawl runs over time ({len(runs)} runs; red markers: unhealthy)", health))
    if not runs:
        notes["runs"] = "Empty: no crawl has run into this archive (it was built by a merge without runs, or by hand)."

    # sites and stories
    per_site = sorted(data["per_site"], key=lambda r: natural_key(r[0]))  # 127.0.0.2 before 127.0.0.10
    labels = [label(r[0]) for r in per_site]
    stories = go.Figure(
        [
            go.Bar(x=labels, y=[r[1] for r in per_site], name="articles"),
            go.Bar(x=labels, y=[r[2] for r in per_site], name="stories"),
            go.Bar(x=labels, y=[r[3] for r in per_site], name="cross-posted stories it posted first"),
        ]
    )
    # the legend above the plot, the sites' names slanted below it: they overlapped
    stories.update_layout(
        barmode="group",
        height=460,
        legend={"orientation": "h", "y": 1.12, "x": 0},
        xaxis={"tickangle": -35, "automargin": True},
    )
    figures.append(("sites", f"Sites: articles and stories ({len(per_site)} sites)", stories))

    # reuse of text between sites: a matrix of the families (posts made from the same text,
    # core/families.py) with posts on both sites (the diagonal: two posts or more on one site)
    reuse = data.get("reuse", [])
    linked = sorted({site for row in reuse for site in row[:2]}, key=natural_key)
    at = {site: k for k, site in enumerate(linked)}
    counts = [[0] * len(linked) for _ in linked]
    for site_a, site_b, shared in reuse:
        counts[at[site_a]][at[site_b]] = counts[at[site_b]][at[site_a]] = shared
    axis = [label(site) for site in linked]
    matrix = go.Figure(
        go.Heatmap(
            z=counts,
            x=axis,
            y=axis,
            text=counts,
            texttemplate="%{text}",
            colorscale="Blues",
            hovertemplate="%{y} and %{x}: %{z} families<extra></extra>",
        )
    )
    matrix.update_layout(
        height=max(420, 36 * len(linked) + 200),
        xaxis={"tickangle": -35, "automargin": True},
        yaxis={"automargin": True, "autorange": "reversed"},
    )
    families = data.get("families", 0)
    figures.append(
        (
            "reuse",
            f"Reuse of text between sites: families with posts on both ({families} families in all)",
            matrix,
        )
    )
    if not reuse:
        notes["reuse"] = (
            "Empty: no two posts of this archive are made from the same text (or its families were not computed: "
            "a crawl or reparse with XZ_FAMILIES on computes them)."
        )
    return figures


def render(archive_path: str | Path, generated_at: dt.datetime | None = None, progress=None) -> str:
    """The report of the archive at ``archive_path`` as one HTML document. ``progress(done, 2)``:
    the figures read from the archive, the document rendered."""
    try:
        import plotly
        import plotly.offline
    except ImportError as exc:  # an extra, not the core install
        raise RuntimeError(f"the report needs {REQUIRES}") from exc
    with SqliteStore(archive_path, readonly=True) as archive:
        notes: dict[str, str] = {}
        figures = _figures(archive.report_data(_canned("fastest_growing_views"), _canned("reuse_between_sites")), notes)
        totals = archive.totals()
        articles, sites, stories = totals["articles"], totals["sites"], totals["stories"]
    if progress is not None:
        progress(1, 2)
    when = (generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    sections = "\n".join(
        f'<section id="{key}" class="chart"><h2>{html.escape(title)}</h2>\n'
        + (f'<p class="note">{html.escape(notes[key])}</p>\n' if key in notes else "")
        + figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{key}", config={"displaylogo": False})
        + "\n</section>"
        for key, title, figure in figures
    )
    if progress is not None:
        progress(2, 2)
    name = html.escape(Path(archive_path).name)
    return f"""<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<title>xzcrawler report: {name}</title>
<style>body{{font-family:sans-serif;margin:2em auto;max-width:1200px;color:#222}} section{{margin:2em 0}}
h1{{font-size:1.6em}} h2{{font-size:1.15em;border-bottom:1px solid #ddd}}
.note{{background:#fff8e1;border-left:4px solid #f0ad4e;padding:.5em 1em}}</style>
<script>{plotly.offline.get_plotlyjs()}</script>
</head><body>
<h1>xzcrawler report: {name}</h1>
<p>{articles} articles, {stories} stories, {sites} site(s); generated {when} with plotly {plotly.__version__}.</p>
{sections}
</body></html>
"""


def write(archive_path: str | Path, out: str | Path, generated_at: dt.datetime | None = None, progress=None) -> Path:
    """Write the report through the atomic writer (xzcrawler/store/atomic.py)."""
    from ..store.atomic import atomic_file

    out = Path(out)
    document = render(archive_path, generated_at, progress)
    with atomic_file(out, "w", encoding="utf-8") as fh:
        fh.write(document)
    return out
