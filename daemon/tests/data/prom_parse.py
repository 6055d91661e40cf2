#!/usr/bin/python3
"""Parses a metrics exposition with the Prometheus project's own Python client (Debian's
python3-prometheus-client; scripts/test-all installs it) and prints what it read as JSON, for
the Rust tests: {"content_type": ..., "families": [{"name", "type", "samples": [[name, labels,
value], ...]}, ...]}. The parser raises on anything malformed; the exit status is then 1.

    prom_parse.py --url http://ADDR:PORT/metrics [--openmetrics]   # fetch it (urllib), then parse
    prom_parse.py --format openmetrics|text < exposition           # parse stdin

--openmetrics asks for OpenMetrics as Prometheus does (the Accept header); the parser is chosen
by the answer's Content-Type: the strict OpenMetrics one, or the text format 0.0.4 one.
"""

import argparse
import json
import math
import sys
import urllib.request

from prometheus_client import parser as text_parser
from prometheus_client.openmetrics import parser as om_parser

PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


def value(v):
    # JSON has no infinities or NaN.
    if math.isinf(v) or math.isnan(v):
        return str(v)
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url")
    ap.add_argument("--openmetrics", action="store_true")
    ap.add_argument("--format", choices=["openmetrics", "text"])
    a = ap.parse_args()
    if a.url:
        req = urllib.request.Request(a.url)
        if a.openmetrics:
            req.add_header("Accept", PROMETHEUS_ACCEPT)
        # Straight to the address: no proxy from the environment.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=10) as r:
            content_type = r.headers.get("Content-Type", "")
            text = r.read().decode("utf-8")
        fmt = "openmetrics" if content_type.startswith("application/openmetrics-text") else "text"
    else:
        content_type = None
        text = sys.stdin.read()
        fmt = a.format or "text"
    parse = om_parser if fmt == "openmetrics" else text_parser
    families = [
        {
            "name": f.name,
            "type": f.type,
            "samples": [[s.name, s.labels, value(s.value)] for s in f.samples],
        }
        for f in parse.text_string_to_metric_families(text)
    ]
    json.dump({"content_type": content_type, "format": fmt, "families": families}, sys.stdout)


if __name__ == "__main__":
    main()
