#!/usr/bin/env bash
# Routing sample: pick a queue (BILLING, TECH, SALES or OTHER) for each message of
# messages.jsonl with the reference model (../shared/models/qwen35-tiny-a, converted on
# first use) and print the accuracy. LINNET_BUNDLE=path/to/model.linnet uses another model.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The policy the reference model was trained with (its reference.json system prompt).
exec "$here/../run_labelled_set.sh" routing BILLING,TECH,SALES,OTHER \
  "${LINNET_ROUTING_SYSTEM:-You are a request router. Reply with one queue: BILLING, TECH, SALES or OTHER.}" \
  "$here/messages.jsonl"
