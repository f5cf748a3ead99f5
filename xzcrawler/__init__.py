"""xzcrawler: a faithful, queryable archive of 徐州厂房网 and its sister sites."""
