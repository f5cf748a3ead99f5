"""The pure core: page parsing (``pages``), cleaning (``normalize``), the record contract
(``validate``), the harvest of fetched pages into items, the run verdict (``health``), the
refresh policy, the clock, settings checks, search tokens, archive paths.

Nothing here imports Scrapy, Twisted or the store (tests/test_layers.py holds it so): every
function is one of its inputs, so the crawl, ``reparse`` and the tests share it.
"""
