"""hacluster.common's XML text escaping gives the standard library's output exactly, without
the standard library's import cost (xml.sax.saxutils imports urllib.request, ssl, email)."""

from __future__ import annotations

import subprocess
import sys
from xml.sax.saxutils import escape, quoteattr

from hacluster.common import xml_escape, xml_quoteattr

SAMPLES = ["", "plain", 'say "hi"', "it's", "both ' and \"", "a<b>&c", "line\nbreak\ttab\r",
           "&amp; already", "ünïcode"]


def test_escaping_matches_the_standard_library() -> None:
    for text in SAMPLES:
        assert xml_escape(text) == escape(text), text
        assert xml_quoteattr(text) == quoteattr(text), text


def test_importing_the_cib_layer_pulls_in_no_network_modules() -> None:
    code = "import sys, hacluster.cib, hacluster.controller; print(sorted(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    for heavy in ("'urllib.request'", "'ssl'", "'http.client'", "'email.parser'"):
        assert heavy not in loaded, heavy
