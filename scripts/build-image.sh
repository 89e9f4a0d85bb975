#!/usr/bin/env bash
# Build the camfleet container image without pulling anything from a registry:
#   1. a Debian bookworm root filesystem with mmdebstrap, from this machine's apt sources;
#   2. that tarball imported into buildah as the base image (localhost/camfleet-base:bookworm);
#   3. a wheelhouse of camfleet and its dependencies built on the host (pip wheel);
#   4. `buildah build` of Containerfile (or Containerfile.cuda) with pip in --no-index mode.
# Needs root, mmdebstrap and buildah (vfs storage, chroot isolation: no daemon, no overlayfs).
#
# usage: scripts/build-image.sh [--cuda] [--tag NAME] [--work DIR] [--smoke]
#   --cuda   build Containerfile.cuda (the wheelhouse then also needs onnxruntime-gpu)
#   --tag    image name (default: localhost/camfleet:VERSION, -cuda appended with --cuda)
#   --work   scratch directory for the rootfs tarball and the wheelhouse
#            (default: build/image under the repository; reused rootfs when its inputs match)
#   --smoke  afterwards run `camfleet --version` and `camfleet demo --max-frames 10` inside it
# Environment: CAMFLEET_APT_SOURCES  deb822 or one-line sources for mmdebstrap
#              (default: /etc/apt/sources.list.d/*.sources, else /etc/apt/sources.list)
#              CAMFLEET_ORT_GPU  --cuda: the ONNX Runtime GPU requirement
#              (default: onnxruntime-gpu[cuda,cudnn]; pin a version built for your nodes' CUDA)
set -euo pipefail

die() { echo "build-image: $*" >&2; exit 2; }
step() { echo "== $* ($(( SECONDS - started )) s)"; }

repo=$(cd "$(dirname "$0")/.." && pwd)
cuda=0 smoke=0 tag="" work="$repo/build/image"
while (($#)); do
    case "$1" in
        --cuda) cuda=1 ;;
        --smoke) smoke=1 ;;
        --tag) tag=${2:?--tag needs a value}; shift ;;
        --work) work=${2:?--work needs a value}; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

[[ $(id -u) == 0 ]] || die "run as root: buildah's vfs storage and mmdebstrap's root mode need it"
for tool in mmdebstrap buildah python3; do
    command -v "$tool" >/dev/null || die "$tool not found; apt-get install $tool"
done
# The wheelhouse holds compiled wheels for the host's Python; the image runs bookworm's 3.11.
host_python=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
[[ $host_python == 3.11 ]] || die "host python3 is $host_python, the image's is 3.11 (bookworm):
  build the wheelhouse with a 3.11 interpreter (e.g. PATH=/path/to/python3.11/bin:\$PATH)"

version=$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$repo/pyproject.toml")
containerfile="$repo/Containerfile" suffix=""
if ((cuda)); then
    containerfile="$repo/Containerfile.cuda" suffix=-cuda
fi
tag=${tag:-localhost/camfleet:$version$suffix}
base=localhost/camfleet-base:bookworm
buildah=(buildah --storage-driver vfs)
packages=python3,python3-venv,libgl1,libglib2.0-0,ca-certificates,passwd

if [[ -n ${CAMFLEET_APT_SOURCES:-} ]]; then
    sources=$CAMFLEET_APT_SOURCES
elif compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    sources=$(cat /etc/apt/sources.list.d/*.sources)
elif [[ -s /etc/apt/sources.list ]]; then
    sources=$(cat /etc/apt/sources.list)
else
    die "no apt sources found; set CAMFLEET_APT_SOURCES to a bookworm sources.list"
fi

started=$SECONDS
mkdir -p "$work"
rootfs="$work/rootfs.tar"
stamp=$(printf '%s\n%s\n' "$packages" "$sources" | sha256sum | cut -c1-16)
if [[ -s $rootfs && "$(cat "$work/rootfs.stamp" 2>/dev/null)" == "$stamp" ]]; then
    step "reusing $rootfs"
else
    step "mmdebstrap: Debian bookworm root filesystem"
    rm -f "$rootfs" "$work/rootfs.stamp"
    mmdebstrap --variant=minbase --include="$packages" --aptopt='Acquire::Retries "3"' \
        bookworm "$rootfs" - <<<"$sources"
    echo "$stamp" >"$work/rootfs.stamp"
fi

step "buildah: base image $base"
container=$("${buildah[@]}" from scratch)
trap '"${buildah[@]}" rm "$container" >/dev/null 2>&1 || true' EXIT
"${buildah[@]}" add "$container" "$rootfs" / >/dev/null
"${buildah[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd /bin/bash "$container"
"${buildah[@]}" commit --quiet --rm "$container" "$base" >/dev/null
trap - EXIT

step "pip wheel: wheelhouse for Python $host_python"
context="$work/context"
rm -rf "$context" "$repo/build/lib" "$repo/build/bdist."*
mkdir -p "$context/wheelhouse"
ort_gpu=${CAMFLEET_ORT_GPU:-onnxruntime-gpu[cuda,cudnn]}
extra=() build_args=(--build-arg BASE_IMAGE="$base")
if ((cuda)); then
    extra=("$ort_gpu")
    build_args+=(--build-arg ORT_GPU="$ort_gpu")
fi
if ! python3 -m pip wheel --quiet --wheel-dir "$context/wheelhouse" "$repo" "${extra[@]}"; then
    if ((cuda)); then
        die "pip could not fetch $ort_gpu for the wheelhouse; the CUDA image needs an index
  that has it (or set CAMFLEET_ORT_GPU to a requirement your index can satisfy)"
    fi
    die "pip wheel failed (see above)"
fi

step "buildah build: $tag from $(basename "$containerfile")"
"${buildah[@]}" build --isolation chroot --quiet --file "$containerfile" "${build_args[@]}" \
    --tag "$tag" "$context" >/dev/null
# Keep the base (the next build reuses the tag), drop dangling stage images.
"${buildah[@]}" rmi --prune >/dev/null 2>&1 || true
rm -rf "$context"

size=$("${buildah[@]}" images --format '{{.Size}}' "$tag" | head -n1)
step "built $tag: $size"

if ((smoke)); then
    step "smoke test inside $tag"
    container=$("${buildah[@]}" from "$tag")
    trap '"${buildah[@]}" rm "$container" >/dev/null 2>&1 || true' EXIT
    "${buildah[@]}" run --isolation chroot "$container" -- camfleet --version
    "${buildah[@]}" run --isolation chroot "$container" -- camfleet demo --max-frames 10 >/dev/null
    step "camfleet demo --max-frames 10 passed inside $tag"
fi
echo "build-image: $tag ($size) in $(( SECONDS - started )) s"
