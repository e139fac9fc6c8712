#!/usr/bin/env bash
# The GPU benchmark in one call, on a machine with an NVIDIA GPU, its driver (with the Vulkan ICD),
# python3 with PyTorch on CUDA, and no Node. Unpacks bench/gpu/l2p-gpu.tar.xz (bench/gpu/pack.sh),
# brings the Vulkan loader where the machine has none, and prints one JSON object:
#   ours:   ViT-B/16 L2P query, training and evaluation images/s at batch 16, 64 and 128 on the GPU
#           (ONNX Runtime's WebGPU provider), with the peak GPU memory of each batch's run
#   peer:   the same steps in PyTorch on CUDA, fp32 (bench/peer/l2p_step.py --device cuda), and the
#           ratios peer_s / ours_s per step (above 1: we are faster)
#   golden: the golden cases on the GPU against expected.npz and against the CPU provider
# Run from the repository root:
#   bench/gpu/run.sh [--dry-run] [--device cpu|webgpu] [--batches "16 64 128"] [--pack FILE] [--out DIR] [--budget S]
# --out: keep every phase's output and the JSON (summary.json) in DIR, written as each phase ends, so
# that a call cut short still returns what finished. --budget: start no phase after S seconds.
# --memory B: also the peak GPU memory of the sessions a real run opens at batch B (bench/memory.ts),
# against the benchmark's at that batch (run B among --batches).
# --matmul: also time the step's matmuls in the forms a lowering could give them (bench/gpu/matmul-shapes.ts).
# --fp16demo [--set key=value ...]: also the Split-MNIST demo in fp32 and in fp16 on the device,
# compared (bench/gpu/fp16demo.ts), limited to --fp16demo-timeout S (570); with --dry-run on the CPU
# provider, shrunk to two tasks of 10 steps unless --set is given.
# --fp16-batches "64": also l2p bench with compute_precision fp16 at these batches.
# --system-debs DIR: Debian packages to unpack into / (as root) when the provider cannot start.
# --dry-run: the same path at toy sizes (mu/8, 32 px) with the CPU provider, or with --device webgpu
# on whatever Vulkan driver VK_ICD_FILENAMES names (SwiftShader on a machine without a GPU).
set -uo pipefail
cd "$(dirname "$0")/../.."
pack=bench/gpu/l2p-gpu.tar.xz
dry=0
batches=""
keep=""
budget=0
matmul=0
memory=""
want_device=""
fp16demo=0
fp16_timeout=570
fp16_batches=""
debs=""
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=1 ;;
    --batches) batches="$2"; shift ;;
    --device) want_device="$2"; shift ;;
    --pack) pack="$2"; shift ;;
    --out) keep="$2"; shift ;;
    --budget) budget="$2"; shift ;;
    --matmul) matmul=1 ;;
    --memory) memory="$2"; shift ;;
    --fp16demo) fp16demo=1 ;;
    --fp16demo-timeout) fp16_timeout="$2"; shift ;;
    --fp16-batches) fp16_batches="$2"; shift ;;
    --set) sets+=(--set "$2"); shift ;;
    --system-debs) debs="$2"; shift ;;
    *) echo "usage: bench/gpu/run.sh [--dry-run] [--device cpu|webgpu] [--batches \"16 64 128\"] [--pack FILE] [--out DIR] [--budget S] [--matmul] [--memory BATCH] [--fp16-batches \"64\"] [--fp16demo [--fp16demo-timeout S] [--set key=value ...]]" >&2; exit 2 ;;
  esac
  shift
done
[ -f "$pack" ] || { echo "run.sh: $pack is missing: make it with bench/gpu/pack.sh" >&2; exit 1; }
if [ "$dry" = 1 ]; then
  device=cpu; model=mu/8; image=32; iters=1; phase_timeout=300; batches="${batches:-2 4}"
else
  device=webgpu; model=B/16; image=224; iters=3; phase_timeout=150; batches="${batches:-16 64 128}"
fi
device="${want_device:-$device}"

work="$(mktemp -d)"
trap 'kill "$sampler" 2>/dev/null; rm -rf "$work"' EXIT
sampler=""
tar -xJf "$pack" -C "$work"
app="$work/l2p-gpu"
out="${keep:-$work/out}"
mkdir -p "$out" "$work/xdg"
started=$SECONDS
in_budget() { [ "$budget" = 0 ] || [ $((SECONDS - started)) -lt "$budget" ]; }
chmod 700 "$work/xdg"
export XDG_RUNTIME_DIR="$work/xdg" ORT_DISABLE_TELEMETRY=1

# Vulkan: the machine's loader, else the packed one; the machine's NVIDIA ICD manifest, else one
# written for the driver's library (NVIDIA's Vulkan driver lives in libGLX_nvidia.so.0).
# The driver's libraries can be mounted after the machine's linker cache was made (so ldconfig -p
# does not list them): add their folder, and the packed glvnd libraries where the machine has none.
loader=system
libs=""
if ! ldconfig -p | grep 'libvulkan\.so\.1 ' >/dev/null; then libs="$app/lib"; loader=packed; fi
if ! ldconfig -p | grep 'libGLX\.so\.0 ' >/dev/null; then libs="${libs:+$libs:}$app/lib/glvnd"; loader="$loader+packed-glvnd"; fi
if ! ldconfig -p | grep 'libGLX_nvidia\.so\.0 ' >/dev/null && [ -d /usr/local/nvidia/lib64 ]; then
  libs="${libs:+$libs:}/usr/local/nvidia/lib64"
fi
[ -n "$libs" ] && export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
icd="${VK_ICD_FILENAMES:-}"
if [ "$dry" = 0 ] && [ -z "$icd" ]; then
  for d in /usr/local/nvidia/share/vulkan/icd.d /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    for f in "$d"/nvidia*.json; do [ -f "$f" ] && { icd="$f"; break 2; }; done
  done
  if [ -z "$icd" ] && ldconfig -p | grep 'libGLX_nvidia\.so\.0 ' >/dev/null; then
    icd="$work/nvidia_icd.json"
    printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "libGLX_nvidia.so.0", "api_version": "1.3.0"}}\n' > "$icd"
  fi
  [ -n "$icd" ] && export VK_ICD_FILENAMES="$icd"
fi

node() { timeout "$phase_timeout" "$app/bin/node" "$app/app/l2p-gpu.mjs" "$@"; }
gpu_mem() { nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -1; }
sample_start() {
  sampler=""
  command -v nvidia-smi >/dev/null || return 0
  (while :; do gpu_mem; sleep 0.2; done) > "$1" &
  sampler=$!
}
sample_stop() { [ -n "$sampler" ] && kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null; sampler=""; }

gpu_base="$(gpu_mem)"
{ nvidia-smi 2>&1 | head -20; echo "loader=$loader icd=${VK_ICD_FILENAMES:-}"; ldconfig -p | grep -i -E 'vulkan|nvidia' | head -20; } > "$out/machine.txt" 2>&1
# The golden cases first: they are short, and they say whether the provider starts at all.
node golden "$device" test/fixtures/golden > "$out/golden.json" 2> "$out/golden.err"
echo $? > "$out/golden.rc"
# A provider that cannot start: say why once (the Vulkan loader's own log), and time only the peer.
# With --system-debs DIR (Debian packages such as libvulkan1 and libglvnd0, as root), unpack them
# into / and try once more before giving up on the provider.
provider_ok=1
if grep -q 'cannot start' "$out/golden.err"; then
  provider_ok=0
  VK_LOADER_DEBUG=error,warn,driver node golden "$device" test/fixtures/golden > /dev/null 2> "$out/vulkan-debug.txt"
  if [ -n "$debs" ] && [ "$(id -u)" = 0 ]; then
    for f in "$debs"/*.deb; do dpkg -x "$f" /; done
    ldconfig
    loader="$loader+debs"
    node golden "$device" test/fixtures/golden > "$out/golden.json" 2> "$out/golden.err"
    echo $? > "$out/golden.rc"
    grep -q 'cannot start' "$out/golden.err" || provider_ok=1
  fi
fi
echo "loader=$loader provider_ok=$provider_ok" >> "$out/machine.txt"
if [ "$matmul" = 1 ] && [ "$provider_ok" = 1 ]; then
  node matmul "$device" > "$out/matmul.json" 2> "$out/matmul.err"
  echo $? > "$out/matmul.rc"
fi
for b in $batches; do
  in_budget || { echo "budget of ${budget} s spent: batch $b not run" > "$out/ours-$b.err"; echo 125 > "$out/ours-$b.rc"; cp "$out/ours-$b.err" "$out/peer-$b.err"; echo 125 > "$out/peer-$b.rc"; continue; }
  if [ "$provider_ok" = 1 ]; then
  sample_start "$out/mem-ours-$b.txt"
  node bench --model "$model" --image "$image" --batch "$b" --iters "$iters" --device "$device" --json > "$out/ours-$b.json" 2> "$out/ours-$b.err"
  echo $? > "$out/ours-$b.rc"
  sample_stop
  else cp "$out/golden.err" "$out/ours-$b.err"; echo 1 > "$out/ours-$b.rc"; fi
  peer_args=(--model "$model" --image "$image" --batch "$b" --iters "$iters" --json)
  if [ "$dry" = 0 ]; then peer_args+=(--device cuda); fi
  timeout "$phase_timeout" python3 bench/peer/l2p_step.py "${peer_args[@]}" > "$out/peer-$b.json" 2> "$out/peer-$b.err"
  echo $? > "$out/peer-$b.rc"
done

if [ -n "$memory" ] && in_budget; then
  sample_start "$out/mem-run-$memory.txt"
  node memory --model "$model" --image "$image" --batch "$memory" --device "$device" > "$out/memory.json" 2> "$out/memory.err"
  echo $? > "$out/memory.rc"
  sample_stop
fi
for b in $fp16_batches; do
  in_budget || break
  sample_start "$out/mem-ours16-$b.txt"
  node bench --model "$model" --image "$image" --batch "$b" --iters "$iters" --device "$device" --compute-precision fp16 --json > "$out/ours16-$b.json" 2> "$out/ours16-$b.err"
  echo $? > "$out/ours16-$b.rc"
  sample_stop
done
if [ "$fp16demo" = 1 ] && in_budget; then
  if [ "$dry" = 1 ] && [ ${#sets[@]} -eq 0 ]; then sets=(--set continual.num_tasks=2 --set continual.num_train_steps_per_task=10); fi
  timeout "$fp16_timeout" "$app/bin/node" "$app/app/l2p-gpu.mjs" fp16demo --device "$device" --workdir "$work/demo" "${sets[@]}" > "$out/fp16demo.json" 2> "$out/fp16demo.err"
  echo $? > "$out/fp16demo.rc"
fi

python3 - "$out" "$device" "$model" "$image" "$loader" "${VK_ICD_FILENAMES:-}" "${gpu_base:-}" "$dry" "$fp16_batches" $batches <<'PY'
import json, os, subprocess, sys
out, device, model, image, loader, icd, base, dry, fp16_batches, *batches = sys.argv[1:]

def phase(name):
    rc = int(open(os.path.join(out, name + '.rc')).read().strip() or 1)
    if rc == 0:
        try:
            return json.loads(open(os.path.join(out, name + '.json')).read().strip().splitlines()[-1]), None
        except Exception as e:  # noqa: BLE001
            return None, f'unreadable output: {e}'
    err = [l for l in open(os.path.join(out, name + '.err')).read().splitlines() if l.strip()]
    return None, ('timed out' if rc == 124 else 'not run' if rc == 125 else f'exit {rc}') + (': ' + ' | '.join(err[-3:]) if err else '')

def peak(name):
    p = os.path.join(out, name)
    if not os.path.exists(p):
        return None
    vals = [int(v) for v in open(p).read().split() if v.isdigit()]
    return (max(vals) - int(base)) if vals and base.isdigit() else None

def gpu_name():
    try:
        return subprocess.run(['nvidia-smi', '--query-gpu=name,driver_version', '--format=csv,noheader'],
                              capture_output=True, text=True, timeout=20).stdout.strip() or None
    except Exception:  # noqa: BLE001
        return None

res = {'device': device, 'model': model, 'image': int(image), 'dry_run': dry == '1', 'gpu': gpu_name(),
       'vulkan': {'loader': loader, 'icd': icd or None}, 'batches': {}}
for b in batches:
    ours, ours_err = phase(f'ours-{b}')
    peer, peer_err = phase(f'peer-{b}')
    row = {}
    if ours:
        row['ours'] = {k: 1 / ours[f'{k}_s_per_img'] for k in ('query', 'train', 'train_trained', 'eval')}
        row['ours']['unit'] = 'images/s'
        row['ours']['peak_gpu_mb'] = peak(f'mem-ours-{b}.txt')
        row['ours']['peak_rss_mb'] = ours.get('peak_rss_mb')
    else:
        row['ours_error'] = ours_err
    if peer:
        row['peer'] = {k: 1 / peer[f'{k}_s_per_img'] for k in ('query', 'train', 'eval')}
        row['peer']['unit'] = 'images/s'
        row['peer']['device'] = peer.get('device', 'cpu')
        row['peer']['peak_gpu_mb'] = peer.get('peak_gpu_mb')
        row['peer']['torch'] = peer.get('torch')
    else:
        row['peer_error'] = peer_err
    if ours and peer:
        # The peer's step clips over the trained tensors' gradients only: our 'trained' scope is the same
        # step; our 'train' (scope 'all', the preset default) also takes every frozen gradient's norm.
        row['peer_s_over_ours_s'] = {k: peer[f'{k}_s_per_img'] / ours[f'{k}_s_per_img'] for k in ('query', 'eval')}
        row['peer_s_over_ours_s']['train_same_step'] = peer['train_s_per_img'] / ours['train_trained_s_per_img']
        row['peer_s_over_ours_s']['train_ours_scope_all'] = peer['train_s_per_img'] / ours['train_s_per_img']
    res['batches'][b] = row
if os.path.exists(os.path.join(out, 'matmul.rc')):
    mm, mm_err = phase('matmul')
    res['matmul_tflops'] = mm if mm else {'error': mm_err}
for b in fp16_batches.split():
    if not os.path.exists(os.path.join(out, f'ours16-{b}.rc')):
        continue
    o16, o16_err = phase(f'ours16-{b}')
    row = res['batches'].setdefault(b, {})
    if o16:
        row['ours_fp16'] = {k: 1 / o16[f'{k}_s_per_img'] for k in ('query', 'train', 'train_trained', 'eval')}
        row['ours_fp16']['peak_gpu_mb'] = peak(f'mem-ours16-{b}.txt')
        if row.get('ours'):
            row['fp16_speedup'] = {k: row['ours_fp16'][k] / row['ours'][k] for k in ('query', 'train', 'train_trained', 'eval')}
    else:
        row['ours_fp16_error'] = o16_err
if os.path.exists(os.path.join(out, 'fp16demo.rc')):
    demo, demo_err = phase('fp16demo')
    res['fp16demo'] = demo if demo else {'error': demo_err}
if os.path.exists(os.path.join(out, 'memory.rc')):
    m, m_err = phase('memory')
    if m:
        b = str(m['batch'])
        m['peak_gpu_mb'] = peak(f'mem-run-{b}.txt')
        bench_peak = res['batches'].get(b, {}).get('ours', {}).get('peak_gpu_mb')
        m['peak_gpu_over_bench'] = m['peak_gpu_mb'] / bench_peak if m['peak_gpu_mb'] and bench_peak else None
    res['real_run_memory'] = m if m else {'error': m_err}
golden, golden_err = phase('golden')
res['golden'] = golden if golden else {'error': golden_err}
if golden:
    res['golden_max_rel_err_vs_expected'] = max(v['max_rel_err_vs_expected'] for v in golden.values())
    res['golden_within_1e-4'] = res['golden_max_rel_err_vs_expected'] <= 1e-4 and all(v['same_prompt_ids'] for v in golden.values())
print(json.dumps(res, indent=1))
open(os.path.join(out, 'summary.json'), 'w').write(json.dumps(res, indent=1) + '\n')
PY
