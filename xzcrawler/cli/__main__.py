"""``python -m xzcrawler.cli``."""

from . import main

main()
