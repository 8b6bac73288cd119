#!/usr/bin/env bash
# Lab 7, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
key_id=$(aws --endpoint-url "$E" kms create-key --description "lab 7" --query KeyMetadata.KeyId --output text)
aws --endpoint-url "$E" kms create-alias --alias-name alias/lab-07 --target-key-id "$key_id"
aws --endpoint-url "$E" s3 mb s3://kms-lab
aws --endpoint-url "$E" s3 cp invoice.txt s3://kms-lab/invoice.txt --sse aws:kms --sse-kms-key-id alias/lab-07
aws --endpoint-url "$E" s3 cp s3://kms-lab/invoice.txt -
