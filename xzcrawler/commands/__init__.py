"""Project commands for the ``scrapy`` tool (COMMANDS_MODULE): ``crawl`` with cron-safe exit statuses."""
