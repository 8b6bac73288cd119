#!/usr/bin/env bash
# Lab 2, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
aws --endpoint-url "$E" s3api put-object --bucket sse-s3-lab --key 2026/report.txt --body report.txt --server-side-encryption AES256
s3lab admin rotate-root-key
aws --endpoint-url "$E" s3api put-object --bucket sse-s3-lab --key 2026/after-rotation.txt --body report.txt --server-side-encryption AES256
# The 2025 report was written before the rotation: version 1 wraps its data key.
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["encryption"]["root_key_version"])' \
  "$S3LAB_DATA/s3/buckets/sse-s3-lab/objects/2025%2Freport.txt.meta.json" > answer.txt
cat answer.txt
