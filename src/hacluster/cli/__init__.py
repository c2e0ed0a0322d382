"""Command-line shells: parse arguments → one hacluster.api call → render text.

Must never import anything but hacluster.api and hacluster.common, and nothing imports it.
"""
