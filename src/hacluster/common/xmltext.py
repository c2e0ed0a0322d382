"""Text for hand-built XML: character data and attribute values escaped as the standard
library's xml.sax.saxutils escapes them (the same output, byte for byte).

Owns only that escaping: importing xml.sax.saxutils pulls in urllib.request, http.client,
ssl and email, which cost every command-line tool a noticeable start-up time for two small
string functions. Must never parse XML: that is hacluster.cib's (lxml).
"""

from __future__ import annotations


def escape(data: str) -> str:
    """&, < and > as entities (character data)."""
    return data.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(data: str) -> str:
    """`data` as a quoted attribute value, quotes included: double quotes unless the value
    holds a double quote and no single one; newlines, returns and tabs as references."""
    data = escape(data).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' in data:
        if "'" in data:
            return '"{}"'.format(data.replace('"', "&quot;"))
        return f"'{data}'"
    return f'"{data}"'
