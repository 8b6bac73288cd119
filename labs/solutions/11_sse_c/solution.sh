#!/usr/bin/env bash
# Lab 11, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
head -c 32 /dev/urandom > ssec.key
code_of() { sed -n 's/.*An error occurred (\([A-Za-z]*\)).*/\1/p' | head -1; }
aws --endpoint-url "$E" s3 cp secret.txt s3://ssec-lab/c.txt --sse-c AES256 --sse-c-key fileb://ssec.key 2>&1 | code_of > blocked.txt || true
aws --endpoint-url "$E" s3api put-bucket-encryption --bucket ssec-lab --server-side-encryption-configuration \
  '{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]}'
aws --endpoint-url "$E" s3 cp secret.txt s3://ssec-lab/c.txt --sse-c AES256 --sse-c-key fileb://ssec.key
aws --endpoint-url "$H" s3 cp secret.txt s3://ssec-lab/c-http.txt --sse-c AES256 --sse-c-key fileb://ssec.key 2>&1 | code_of > http.txt || true
cat blocked.txt http.txt
