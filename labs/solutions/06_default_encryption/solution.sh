#!/usr/bin/env bash
# Lab 6, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
aws --endpoint-url "$E" s3api put-bucket-encryption --bucket default-lab \
  --server-side-encryption-configuration \
  '{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/lab-06-default"}}]}'
aws --endpoint-url "$E" s3 cp notes.txt s3://default-lab/no-header.txt
