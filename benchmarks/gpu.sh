#!/usr/bin/env bash
# One prepared GPU measurement for camfleet (issue 11, section 4), in under 8 minutes:
#   1. `camfleet model bench` at batch 1/8/32 for YOLOv8n and the bundled YOLOv8s, float vs
#      uint8 input, on CUDA and on TensorRT (FP16; engines built first by `model build-engine`
#      and cached, timed);
#   2. `camfleet bench` shared vs timeslice for YOLOv8s at 2 fps on the reference scene, with a
#      bounded search, writing the profile JSON and a Markdown section.
# Output (few files, as a device run returns at most 8): OUT_DIR/gpu-bench.log,
# model-bench.json, bench-profile.json, BENCHMARKS-gpu.md. OUT_DIR: --out, else $OUT, else
# ./gpu-bench-out.
#
# A bare GPU machine needs camfleet's dependencies and onnxruntime-gpu (with TensorRT
# libraries for the TensorRT half) as wheels: pass their folder with --wheels; they are
# installed into a private target folder, ahead of the machine's own packages.
# YOLOv8n is not bundled: pass --yolov8n PATH (or place it at .gpu/yolov8n-rand-dynamic.onnx);
# without it only YOLOv8s is measured, and the log says so.
#
# --dry-run: the same steps at tiny sizes on the CPU provider (< 2 minutes on 2 cores), so the
# script is known to work before GPU minutes are spent on it.
set -euo pipefail

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    echo "usage: benchmarks/gpu.sh [--dry-run] [--out DIR] [--wheels DIR] [--yolov8n PATH]"
    echo "                         [--bench-provider cuda|tensorrt]"
}

DRY_RUN=0
OUT_DIR="${OUT:-$PWD/gpu-bench-out}"
WHEELS=""
YOLOV8N=""
# camfleet bench runs on CUDA by default: timeslice starts one process per camera, each with
# its own batch-1 session, and TensorRT would build (and race to cache) an engine in each.
BENCH_PROVIDER=cuda
while [[ $# -gt 0 ]]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --out) OUT_DIR="$2"; shift ;;
        --wheels) WHEELS="$2"; shift ;;
        --yolov8n) YOLOV8N="$2"; shift ;;
        --bench-provider) BENCH_PROVIDER="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "gpu.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
STARTED=$SECONDS
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"

main() {
if [[ -n "$WHEELS" ]]; then
    site=/tmp/camfleet-gpu-site
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$site" "$WHEELS"/*.whl
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1

WORK="$(mktemp -d /tmp/camfleet-gpu.XXXXXX)"
DATA="$WORK/camfleet-data"
CF=("$PY" -c 'from camfleet.cli import main; main()')
FAILED=0

# limit STEP_S PHASE_END_S: a step's time limit, cut so the phase ends by PHASE_END_S.
limit() {
    local left=$(( $2 - (SECONDS - STARTED) ))
    echo $(( left < $1 ? left : $1 ))
}

# run LIMIT_S CMD...: run one step under a time limit; a failure is logged, the script goes on.
run() {
    local limit="$1"; shift
    echo "+ [$((SECONDS - STARTED)) s] $*"
    if (( limit < 10 )); then
        echo "gpu.sh: skipped, out of time: $*"
        FAILED=1
        return
    fi
    if ! timeout "$limit" "$@"; then
        echo "gpu.sh: step failed or ran past ${limit} s: $*"
        FAILED=1
    fi
}

YOLOV8S="$REPO/camfleet/assets/fall-yolov8s-dynamic.onnx"
if [[ -z "$YOLOV8N" ]]; then
    for candidate in "$REPO/.gpu/yolov8n-rand-dynamic.onnx" \
                     "$REPO/../shared/models/yolov8n-rand-dynamic.onnx" \
                     /work/shared/models/yolov8n-rand-dynamic.onnx; do
        if [[ -f "$candidate" ]]; then YOLOV8N="$candidate"; break; fi
    done
fi
MODELS=("$YOLOV8S")  # first: if time runs short, the model the capacity bench uses is done
if [[ -n "$YOLOV8N" && -f "$YOLOV8N" ]]; then MODELS+=("$YOLOV8N"); else
    echo "gpu.sh: no YOLOv8n model (pass --yolov8n PATH): measuring YOLOv8s only"
fi

if (( DRY_RUN )); then
    PROVIDERS=(cpu)
    ENGINE_PROVIDER=cpu
    BENCH_PROVIDER=cpu
    MODEL_ARGS=(--batch 1,2 --iters 1 --imgsz 64 --frame-size 256x144 --threads 2
                --pad-batches 1,2)
    ENGINE_ARGS=(--batch-sizes 1,2 --imgsz 64)
    ENGINE_FORMATS=(uint8)  # the command path only: nothing to build on the CPU
    BENCH_ARGS=(--source synthetic:320x180@4 --duration 1 --warmup 0.5 --max-trials 1
                --max-cameras 1 --max-timeslice-cameras 1 --quick --no-store)
    STEP_S=120
    MODEL_PHASE_S=600  # the CPU is slow, not the point here
    BUDGET_S=900
    CARD="none (dry run on the CPU provider)"
else
    PROVIDERS=(cuda tensorrt)
    ENGINE_PROVIDER=tensorrt
    # Engines (one optimisation profile per padded size) for exactly the sizes benched:
    # fewer profiles, shorter TensorRT builds.
    MODEL_ARGS=(--batch 1,8,32 --iters 30 --frame-size 1280x720 --pad-batches 1,8,32)
    ENGINE_ARGS=(--batch-sizes 1,8,32)
    ENGINE_FORMATS=(float uint8)
    BENCH_ARGS=(--source reference: --duration 8 --warmup 2 --max-trials 4
                --max-cameras 1024 --max-timeslice-cameras 48)
    STEP_S=150
    MODEL_PHASE_S=240  # then about 4 minutes for camfleet bench, 8 in all
    BUDGET_S=470
    CARD="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
            2>/dev/null | head -n 1 || true)"
fi
echo "camfleet GPU bench: card ${CARD:-unknown}, $(nproc) CPUs, commit" \
     "$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
"$PY" -c 'import onnxruntime as o; print("onnxruntime", o.__version__, o.get_available_providers())'

# 1. Engines first (their build time is a number worth having), then the model bench.
for model in "${MODELS[@]}"; do
    for fmt in "${ENGINE_FORMATS[@]}"; do
        run "$(limit "$STEP_S" "$MODEL_PHASE_S")" "${CF[@]}" model build-engine "$model" \
            --provider "$ENGINE_PROVIDER" \
            --input-format "$fmt" "${ENGINE_ARGS[@]}" --cache-dir "$DATA/cache"
    done
    for provider in "${PROVIDERS[@]}"; do
        name="$(basename "$model" .onnx)-$provider"
        step_s="$(limit "$STEP_S" "$MODEL_PHASE_S")"
        echo "+ [$((SECONDS - STARTED)) s] model bench $name"
        if (( step_s < 10 )) || ! timeout "$step_s" "${CF[@]}" model bench "$model" \
                --provider "$provider" --input-format float,uint8 "${MODEL_ARGS[@]}" \
                --cache-dir "$DATA/cache" --json > "$WORK/$name.json"; then
            echo "gpu.sh: model bench $name failed, skipped or ran past ${step_s} s"
            FAILED=1
            rm -f "$WORK/$name.json"
        fi
    done
done

# 2. Capacity: shared vs timeslice for YOLOv8s at 2 fps, the search bounded.
run "$(limit "$BUDGET_S" "$((BUDGET_S - 10))")" "${CF[@]}" bench --model "$YOLOV8S" \
    --provider "$BENCH_PROVIDER" \
    --analyze-fps 2 --modes shared,timeslice "${BENCH_ARGS[@]}" \
    --json "$OUT_DIR/bench-profile.json" --markdown "$WORK/bench.md" --data-dir "$DATA"

"$PY" "$REPO/benchmarks/gpu_report.py" --card "$CARD" --out "$OUT_DIR" \
    --command "benchmarks/gpu.sh $([[ $DRY_RUN == 1 ]] && echo --dry-run)" \
    --bench-markdown "$WORK/bench.md" "$WORK"/*.json
echo "gpu.sh: done in $((SECONDS - STARTED)) s; results in $OUT_DIR"
rm -rf "$WORK"
return "$FAILED"
}

set +e
main 2>&1 | tee -a "$OUT_DIR/gpu-bench.log"
exit "${PIPESTATUS[0]}"
