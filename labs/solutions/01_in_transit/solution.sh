#!/usr/bin/env bash
# Lab 1, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
# deny-http.json: "aws:SecureTransport": "false" — the statement matches requests made without TLS.
aws --endpoint-url "$E" s3api put-bucket-policy --bucket transit-lab --policy file://deny-http.json
# From now on, `aws --endpoint-url "$H" s3 cp s3://transit-lab/notes.txt -` is refused (403).
aws --endpoint-url "$E" s3 cp deny-http.json s3://transit-lab/hello.txt
