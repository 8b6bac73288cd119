#!/usr/bin/env bash
# Lab 8, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
export AWS_ACCESS_KEY_ID=AKIAS3LABREADER00001 AWS_SECRET_ACCESS_KEY=s3labReaderSecretKey/LabOnlyDoNotReuse01
: > unreadable.txt
for key in $(aws --endpoint-url "$E" s3api list-objects-v2 --bucket locked --query 'Contents[].Key' --output text); do
  if ! aws --endpoint-url "$E" s3 cp "s3://locked/$key" - > /dev/null 2>&1; then
    echo "$key" >> unreadable.txt
  fi
done
cat unreadable.txt
echo "kms:Decrypt" > missing-permission.txt
