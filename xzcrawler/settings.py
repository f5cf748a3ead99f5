"""Scrapy settings for xzcrawler: only what differs from Scrapy's defaults.

The XZ_* settings are the project's own; override any of them with
``scrapy crawl articles -s NAME=value`` (there is no other configuration system).
"""

from xzcrawler.core import paths as _paths

BOT_NAME = "xzcrawler"
SPIDER_MODULES = ["xzcrawler.spiders"]
NEWSPIDER_MODULE = "xzcrawler.spiders"
COMMANDS_MODULE = "xzcrawler.commands"  # `scrapy crawl` with a run lock and health exit statuses

# Identify ourselves and be polite: robots.txt, AutoThrottle adapting to the
# site's latency, few parallel requests per host.
USER_AGENT = (
    "xzcrawler/0.1 (web archive of the 021cf.cn industrial news network; +https://github.com/xzcrawler/xzcrawler)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 4
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 30
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 starts RemoteControl by default: an HTTP server on localhost that runs the Python it
# is sent (guarded by a token in a job file). A cron crawl needs no open door; turn it on for
# debugging with -s REMOTE_CONTROL_ENABLED=True (README, "Debugging a crawl").
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
# the periodic progress line (extensions.SiteLogStats: pages of those known, ETA, listing pages of
# those announced, articles): every 15 s, so that a short run says how far it got (Scrapy: 60 s)
LOGSTATS_INTERVAL = 15.0

ITEM_PIPELINES = {
    "xzcrawler.pipelines.ValidatePipeline": 300,
    "xzcrawler.pipelines.StorePipeline": 800,
}
DOWNLOADER_MIDDLEWARES = {
    # nothing from another host, whatever the request's flags (Scrapy's lets dont_filter through)
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "xzcrawler.middlewares.SiteOnlyMiddleware": 50,
    # Scrapy's retry, waiting out a server's Retry-After (429, 503) first
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "xzcrawler.middlewares.RetryAfterMiddleware": 550,
    # a dead site fails fast: sees every connection failure, retries included (before RetryMiddleware)
    "xzcrawler.middlewares.UnreachableMiddleware": 560,
    # next to the downloader, so the WARC holds responses as they came (before decompression)
    "xzcrawler.middlewares.WarcRecorder": 950,
}
# The site's pages are ~30 KB: a response larger than this (after decompression) is no page of
# it, and is dropped before it fills memory (Scrapy's default is 1 GiB).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
EXTENSIONS = {
    "xzcrawler.extensions.CrawlServices": 0,  # the crawl's clock and its one store, for the others
    "xzcrawler.extensions.RunRecorder": 500,
    "xzcrawler.extensions.RotatingLog": 100,
    # the periodic stats line names the site and counts articles stored, not just items
    "scrapy.extensions.logstats.LogStats": None,
    "xzcrawler.extensions.SiteLogStats": 0,
    "xzcrawler.extensions.TerminalProgress": 0,  # a bar on a terminal (XZ_PROGRESS_BAR)
}

# --- xzcrawler's own settings -------------------------------------------------
# The site to archive. The live site is the production default; the bundled
# mirror (`xzcrawler mirror`) is one -a site=... or -s XZ_SITE_URL=... away.
XZ_SITE_URL = "http://xuzhou.021cf.cn/"
# The network: `-a site=network` crawls all of these in one process, each site with its own
# politeness, refresh state and verdict, into one archive (`-a site=URL,URL` any list of them).
XZ_NETWORK = [
    "http://xuzhou.021cf.cn/",
    "http://jiaxing.021cf.cn/",
    "http://jiashan.021cf.cn/",
    "http://wujiang.021cf.cn/",
    "http://huzhou.021cf.cn/",
    "http://nantong.021cf.cn/",
    "http://xuancheng.021cf.cn/",
    "http://dongguan.021cf.cn/",
    "http://ldug.021cf.cn/",
    "http://rent.sh.cn/",
    "http://www.pdcfw.com.cn/",
    "http://laian.021cf.cn/",  # seen later on the same theme (../shared/site/README.md, "More of the network")
]
# The platform's RSS feed, read first every run: the newest posts with their exact times
# (zb_system/feed.php); "" to not ask for it.
XZ_FEED_PATH = "/feed.php"
XZ_DB_PATH = _paths.DEFAULT_DB  # (the CLI's default --db too: one constant)
XZ_STORE = "xzcrawler.store.SqliteStore"  # the storage class: one implementing store/protocol.Store
# The end-of-run export; unset: exports/articles.jsonl for the default archive, and
# <archive>.jsonl beside any other archive (an archive's export belongs to it).
XZ_EXPORT_PATH = None
XZ_EXPORT_ON_CLOSE = True
XZ_DB_BATCH_SIZE = 200  # articles per write transaction (a crash loses at most this many, refetched next run)
XZ_DB_BUSY_TIMEOUT = 60.0  # seconds a write waits for another writer before the run counts it as failed
XZ_NOW = None  # the crawl's clock (ISO 8601) for simulations and tests; unset: the real time
XZ_MAX_LISTING_PAGES = 5000  # listing pages walked per category in one run at most (a trap ends there)
XZ_RETRY_AFTER_MAX = 60.0  # seconds waited at most for a 429/503's Retry-After
XZ_UNREACHABLE_SECONDS = 60  # connections failing this long (no response between) stop a site's run (exit 9)
XZ_UNREACHABLE_AFTER = 3  # ... and at least this many failures in a row

# Refresh: when to look at a known article again, by its age: [max age in days, after days].
XZ_REFETCH_POLICY = [[7, 1], [30, 3], [365, 14], [None, 60]]
XZ_MAX_ATTEMPTS = 5  # recorded failures are retried until this many attempts

# Run health (the exit status of `scrapy crawl`; see xzcrawler/core/health.py and the README).
XZ_MAX_ERROR_RATE = 0.1  # new failures per response
XZ_DRIFT_POINTS = 20.0  # a watched field's fill rate may fall this many points below ...
XZ_DRIFT_RUNS = 5  # ... the median of this many last healthy runs
XZ_DRIFT_MIN_OBSERVATIONS = 10  # fields seen fewer times in a run are not judged

# Logs: a copy of each run's log, rotated by size, in logs/ beside the archive unless set.
XZ_LOG_DIR = None
XZ_LOG_MAX_BYTES = 5_000_000
XZ_LOG_BACKUPS = 10
# A progress bar on standard error: unset, when it is a terminal (never in cron, pipes or files).
XZ_PROGRESS_BAR = None

# Scrapy re-reads a callback's source to warn about `return` in generators; its cache is keyed
# on bound methods, which are new objects per response, so it re-parses on every page
# (about 1 ms each, measured in benchmarks/crawl.py). Our callbacks are checked by tests instead.
WARN_ON_GENERATOR_RETURN_VALUE = False
# Scrapy hands a callback's output to CONCURRENT_ITEMS asyncio workers per response (default 100,
# so ~100 tasks created for every page: a sixth of the crawl's CPU in benchmarks/crawl.py's
# profile). Our pipelines are synchronous and a page yields a few items: a handful is plenty.
CONCURRENT_ITEMS = 4

# WARC: every request and response, gzip per record, rotated by size; warc/ beside the DB unless set.
XZ_WARC_ENABLED = True
XZ_WARC_DIR = None
XZ_WARC_MAX_BYTES = 100_000_000

# Photos (issue 31): each body image of every stored article (its real address, data-original,
# never the lazy-load placeholder) fetched once through this crawl's downloader (robots, throttle,
# retries) into the WARC; listed in image_captures. The site's own uploads, and those of these
# hosts. A missing or broken image is an image failure, counted apart from the pages' failures:
# it fails the run (exit 3) only past XZ_MAX_IMAGE_FAILURE_RATE of the images asked for.
XZ_IMAGES = True
XZ_IMAGE_HOSTS = []
XZ_IMAGE_MAX_BYTES = 10 * 1024 * 1024
XZ_MAX_IMAGE_FAILURE_RATE = 0.5
# What a page needs to be seen again (issue 31): the theme's stylesheets, scripts, fonts, icon and
# logo that the pages link to (and the fonts and pictures the stylesheets name), each fetched once
# a run per address, with the validators of the copy held (a 304 is no new capture); pictures into
# image_captures, the rest into asset_captures; at most XZ_MAX_RESOURCES addresses a site a run.
# Their failures count with the photos'. XZ_THUMBNAILS: the listings' and related posts'
# thumbnails too (off: a listing's thumbnail is its post's first photo, made smaller).
XZ_PAGE_RESOURCES = True
XZ_THUMBNAILS = False
XZ_MAX_RESOURCES = 200
# Families of spun copies (issue 33, core/families.py): at the end of a run, the texts it stored new
# or changed are signed (MinHash) and linked to the archive's others; a run that stored no new text
# computes nothing. Off: the families are brought up to date by the next run with it on (or reparse).
XZ_FAMILIES = True
