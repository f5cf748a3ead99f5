"""The offline mirror: a deterministic synthetic 徐州厂房网 served over real HTTP.

A test and demo tool shipped with the package; the crawler's code never imports it.
"""
