#!/usr/bin/env bash
# The main job on the built-in demo: starts `qbound serve` on http://127.0.0.1:8080 with the
# demo NanoDet model and photos registered, and puts a partial-quantization run on them under
# way (auto calibration, one-on agreement sensitivity, a sweep of full INT8 and of 1, 2, 4 and
# 8 groups in float along the greedy path, ort-cpu target, bs1/bs32 export and benchmark). Open the address
# in a browser to follow it; Ctrl-C stops the server. QBOUND_DEMO_DATA and QBOUND_DEMO_BIND override the data
# folder and the address.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
cargo build --release --locked -p qbound-server
qbound=target/release/qbound
data=${QBOUND_DEMO_DATA:-qbound-demo-data}
bind=${QBOUND_DEMO_BIND:-127.0.0.1:8080}
url="http://$bind"

"$qbound" serve --data "$data" --bind "$bind" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 60); do
  curl -fsS "$url/api/health" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "$url/api/health" >/dev/null

token=$("$qbound" token create --name "demo-$(date +%s)" --role write --data "$data")
models=$(curl -fsS "$url/api/models")
datasets=$(curl -fsS "$url/api/datasets")
# pick JSON_LIST NAME_PART ID_FIELD: the id of the first item whose name contains NAME_PART.
pick() { python3 -c "import json,sys; print(next(i[sys.argv[3]] for i in json.loads(sys.argv[1]) if sys.argv[2] in i['name']))" "$1" "$2" "$3"; }
model_id=$(pick "$models" "demo" model_id)
calib_id=$(pick "$datasets" "calibration" dataset_id)
val_id=$(pick "$datasets" "validation" dataset_id)
run=$(curl -fsS -X POST "$url/api/runs" -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  --data "{\"name\": \"demo: NanoDet partial INT8\", \"model_id\": $model_id, \"calibration_dataset_id\": $calib_id,
           \"validation_dataset_id\": $val_id, \"profile\": \"nanodet\", \"calibration_method\": \"auto\",
           \"sensitivity\": {\"mode\": \"one-on\", \"metric\": \"agreement\"},
           \"boundary\": {\"kind\": \"sweep\", \"keep_float\": [1, 2, 4, 8]},
           \"target\": \"ort-cpu\", \"export_batch_sizes\": [\"1\", \"32\"], \"tags\": [\"demo\"]}")
run_id=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['run_id'])" "$run")
echo
echo "qbound is serving on $url — the demo run is under way: $url/#/runs/$run_id"
echo "(Ctrl-C stops the server; the history stays in $data/)"
wait "$server"
