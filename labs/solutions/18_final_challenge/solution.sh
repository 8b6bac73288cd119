#!/usr/bin/env bash
# Lab 18, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
# 1. An unencrypted object's head-object has no ServerSideEncryption at all.
: > unencrypted.txt
for key in $(aws --endpoint-url "$E" s3api list-objects-v2 --bucket final-lab --query 'Contents[].Key' --output text); do
  sse=$(aws --endpoint-url "$E" s3api head-object --bucket final-lab --key "$key" --query ServerSideEncryption --output text)
  if [ "$sse" = "None" ]; then echo "$key" >> unencrypted.txt; fi
done
cat unencrypted.txt
# 2. No more unencrypted writes; SSE-KMS with a bucket key by default.
s3lab admin history-unencrypted --bucket final-lab --off
aws --endpoint-url "$E" s3api put-bucket-encryption --bucket final-lab --server-side-encryption-configuration \
  '{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/lab-18"}, "BucketKeyEnabled": true}]}'
# 3. Copy every legacy object onto itself under the key.
aws --endpoint-url "$E" s3 cp s3://final-lab/legacy/ s3://final-lab/legacy/ --recursive --sse aws:kms --sse-kms-key-id alias/lab-18
# 4. Two layers.
aws --endpoint-url "$E" s3api put-object --bucket final-lab --key top-secret.txt --body top-secret.txt \
  --server-side-encryption aws:kms:dsse --ssekms-key-id alias/lab-18
# 5. Enforce SSE-KMS and TLS.
aws --endpoint-url "$E" s3api put-bucket-policy --bucket final-lab --policy file://policy.json
