#!/usr/bin/env python3
"""An OTLP/HTTP logs receiver for enforce's tests.

Every request body is parsed with the official schema: protobuf's
json_format.Parse into opentelemetry-proto's ExportLogsServiceRequest.
A body that does not parse is answered 400 and recorded as invalid. A
body sent with `Content-Encoding: gzip` is inflated first (and one that
does not inflate is answered 400); any other encoding is answered 415.

Usage: otlp_receiver.py DIR [--fail N] [--hang N] [--retry-after S] [--seconds S]
  DIR/port        the port it listens on (127.0.0.1), written once ready
  DIR/records     one JSON object per received log record
  DIR/requests    one JSON object per request: status, headers, record count,
                  bytes (as sent) and inflated (after gzip)
  --fail N        answer the first N requests 503 (with Retry-After: S)
  --hang N        let the first N requests wait 3 s before answering 200
  --seconds S     stop by itself after S seconds (default 120)
"""
import argparse
import gzip
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

args = argparse.ArgumentParser()
args.add_argument("dir")
args.add_argument("--fail", type=int, default=0)
args.add_argument("--hang", type=int, default=0)
args.add_argument("--retry-after", type=int, default=0)
args.add_argument("--seconds", type=int, default=120)
opts = args.parse_args()

lock = threading.Lock()
seen = {"requests": 0}


def append(name, value):
    with open(os.path.join(opts.dir, name), "a", encoding="utf-8") as f:
        f.write(json.dumps(value) + "\n")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *_):
        pass

    def answer(self, status, body=b"{}", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with lock:
            seen["requests"] += 1
            n = seen["requests"]
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path != "/v1/logs":
            append("requests", {"n": n, "status": 404, "path": self.path})
            return self.answer(404)
        if n <= opts.fail:
            append("requests", {"n": n, "status": 503})
            return self.answer(503, headers=[("Retry-After", str(opts.retry_after))])
        if n <= opts.fail + opts.hang:
            time.sleep(3)
        sizes = {"bytes": len(body)}
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding == "gzip":
            try:
                body = gzip.decompress(body)
            except Exception as error:
                append("requests", {"n": n, "status": 400, "invalid": "gzip: " + str(error)})
                return self.answer(400)
        elif encoding != "identity":
            append("requests", {"n": n, "status": 415, "encoding": encoding})
            return self.answer(415)
        sizes["inflated"] = len(body)
        try:
            request = json_format.Parse(body.decode("utf-8"), ExportLogsServiceRequest())
        except Exception as error:  # the schema check failed: record why
            append("requests", {"n": n, "status": 400, "invalid": str(error)})
            return self.answer(400, json.dumps({"error": str(error)}).encode())
        records = []
        for resource_logs in request.resource_logs:
            resource = json_format.MessageToDict(resource_logs.resource)
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    item = json_format.MessageToDict(record)
                    item["resource"] = resource
                    records.append(item)
        with lock:
            for item in records:
                append("records", item)
            append("requests", {"n": n, "status": 200, "records": len(records), "headers": headers, **sizes})
        self.answer(200)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Timer(opts.seconds, server.shutdown).start()
with open(os.path.join(opts.dir, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(opts.dir, "port.tmp"), os.path.join(opts.dir, "port"))
server.serve_forever()
sys.exit(0)
