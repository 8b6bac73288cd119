#!/usr/bin/env bash
# Lab 16, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
: > lost.txt
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for key in $(aws --endpoint-url "$E" s3api list-objects-v2 --bucket archive-lab --query 'Contents[].Key' --output text); do
  opened=no
  for master in keys/2025.key keys/2026.key; do
    if s3lab cse get --quiet --bucket archive-lab --key "$key" --out "$scratch/out" --aes-key-file "$master" 2>/dev/null; then
      opened=yes
      break
    fi
  done
  [ "$opened" = no ] && echo "$key" >> lost.txt
done
cat lost.txt
s3lab cse get --bucket archive-lab --key 2025/ledger.txt --out rescued.txt --aes-key-file keys/2025.key
# Raw keys never reach KMS: the audit trail has no record of any of this.
echo 0 > kms-calls.txt
