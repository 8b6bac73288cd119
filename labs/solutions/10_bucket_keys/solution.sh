#!/usr/bin/env bash
# Lab 10, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
aws --endpoint-url "$E" s3api put-bucket-encryption --bucket bk-lab --server-side-encryption-configuration \
  '{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/lab-10"}, "BucketKeyEnabled": true}]}'
aws --endpoint-url "$E" s3 cp batch s3://bk-lab/batch/ --recursive
key_arn=$(aws --endpoint-url "$E" kms describe-key --key-id alias/lab-10 --query KeyMetadata.Arn --output text)
grep '"GenerateDataKey"' "$S3LAB_DATA/kms/audit.jsonl" | grep -c "$key_arn" > calls.txt
cat calls.txt
