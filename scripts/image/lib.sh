# Shared by the image scripts (sourced, not run): where the image tools keep their state, and
# buildah with a storage that needs no container engine.

IMAGE_CACHE="${RUNTIME_GUARD_CACHE:-${HOME}/.cache/runtime-guard}/image"
# overlay where the kernel has it (as root it needs nothing else); vfs otherwise, which works
# anywhere but copies the whole tree for every build step (a warm build took 8 minutes).
if [[ -z "${IMAGE_STORAGE_DRIVER:-}" ]]; then
  if grep -qw overlay /proc/filesystems 2>/dev/null; then IMAGE_STORAGE_DRIVER=overlay; else IMAGE_STORAGE_DRIVER=vfs; fi
fi
# In the cache, so base images and build layers survive between runs.
BUILDAH_STORAGE=(--storage-driver "${IMAGE_STORAGE_DRIVER}"
  --root "${IMAGE_CACHE}/storage-${IMAGE_STORAGE_DRIVER}" --runroot "${IMAGE_CACHE}/run-${IMAGE_STORAGE_DRIVER}")

buildah_() { buildah "${BUILDAH_STORAGE[@]}" "$@"; }

# Holds an exclusive lock on the image cache until the script exits (fd 8).
lock_image_cache() {
  mkdir -p "${IMAGE_CACHE}"
  exec 8>"${IMAGE_CACHE}/.lock"
  flock 8
}
