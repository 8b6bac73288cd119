#!/usr/bin/env bash
# Lab 17, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
admin_key=$AWS_ACCESS_KEY_ID admin_secret=$AWS_SECRET_ACCESS_KEY
export AWS_ACCESS_KEY_ID=AKIAS3LABREADER00001 AWS_SECRET_ACCESS_KEY=s3labReaderSecretKey/LabOnlyDoNotReuse01
if aws --endpoint-url "$E" s3 cp s3://hr-lab/employees/jane.pdf - 2>/dev/null; then
  echo "reader could read the document?" >&2
  exit 1
fi
aws --endpoint-url "$E" s3api head-object --bucket hr-lab --key employees/jane.pdf \
  --query 'Metadata."salary-band"' --output text > band.txt
export AWS_ACCESS_KEY_ID=$admin_key AWS_SECRET_ACCESS_KEY=$admin_secret
aws --endpoint-url "$E" s3 cp bob.txt s3://hr-lab/employees/bob.pdf --sse aws:kms --sse-kms-key-id alias/lab-17-hr --metadata department=sales
cat band.txt
