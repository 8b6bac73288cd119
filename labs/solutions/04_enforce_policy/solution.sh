#!/usr/bin/env bash
# Lab 4, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
# policy.json: {"Null": {"s3:x-amz-server-side-encryption": "true"}} — true when the header is absent.
aws --endpoint-url "$E" s3api put-bucket-policy --bucket enforce-lab --policy file://policy.json
# From now on, a put-object without --server-side-encryption is refused (403 AccessDenied).
aws --endpoint-url "$E" s3api put-object --bucket enforce-lab --key signed-off.txt --body policy.json --server-side-encryption AES256
