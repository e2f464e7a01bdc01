#!/usr/bin/env bash
# Compress each student edition's assets once, rather than by nginx for every student.
#
#   bash deploy/precompress_editions.sh EDITIONS_DIR
#
# For every compressible file under EDITIONS_DIR/NAME/assets/ (its sub-folders too: a runtime's folder),
# NAME.gz (gzip -9) beside it, which nginx sends as it is (gzip_static in deploy/nginx.conf.template). Asset
# names carry their content's hash, so a NAME.gz never goes stale; index.html (small, may change under the
# same name) is left to nginx's own gzip. A .gz no smaller than its file is not kept; a folder this script may
# not write to is skipped (nginx gzips those per request). Run before nginx starts by scripts/serve_replicas.sh
# and deploy/systemd/vae-explorer-nginx.service; an edition exported while nginx runs is compressed at the
# next start (nginx gzips it meanwhile).
set -euo pipefail
EDITIONS_DIR=${1:?usage: precompress_editions.sh EDITIONS_DIR}
[ -d "$EDITIONS_DIR" ] || { echo "not a folder: $EDITIONS_DIR" >&2; exit 1; }
EDITIONS_DIR=${EDITIONS_DIR%/}
find "$EDITIONS_DIR" -mindepth 3 -path "$EDITIONS_DIR/*/assets/*" -type f \
  \( -name '*.mjs' -o -name '*.js' -o -name '*.css' -o -name '*.json' -o -name '*.wasm' -o -name '*.svg' \
  -o -name '*.bin' -o -name '*.f32' -o -name '*.f16' -o -name '*.u8' -o -name '*.onnx' \) -print0 |
  while IFS= read -r -d '' file; do
    [ -w "$(dirname "$file")" ] || continue
    [ -f "$file.gz" ] && [ "$file.gz" -nt "$file" ] && continue
    gzip -9 -n -c "$file" >"$file.gz.tmp" && chmod --reference="$file" "$file.gz.tmp" && mv "$file.gz.tmp" "$file.gz"
    [ "$(stat -c %s "$file.gz")" -lt "$(stat -c %s "$file")" ] || rm -f "$file.gz"
  done
