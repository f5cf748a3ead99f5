"""The tools the ``xzcrawler`` command runs over an archive, outside any crawl: ``reparse``
(rebuild rows from the WARC files), ``report`` (the HTML charts), ``wacz`` (the WARC files as a
replayable WACZ). Libraries: the CLI (``xzcrawler.cli``) is a thin layer over them; no Scrapy.
"""
