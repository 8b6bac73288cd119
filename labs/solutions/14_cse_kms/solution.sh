#!/usr/bin/env bash
# Lab 14, reference solution. Run in the lab's work folder after pasting the `export` lines.
set -euo pipefail
s3lab cse put --bucket cse-kms-lab --key payroll.csv --in payroll.csv --kms-key-id alias/lab-14 --ec department=finance
s3lab cse get --bucket cse-kms-lab --key payroll.csv --out payroll-back.csv --ec department=finance
if s3lab cse get --bucket cse-kms-lab --key payroll.csv --out wrong.csv --ec department=sales; then
  echo "the wrong context was accepted?" >&2
  exit 1
fi
# The client compared the contexts itself: no Decrypt reached KMS (the audit trail has none).
echo client > refused-by.txt
