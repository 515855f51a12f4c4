# Shared by build.sh and build-tools.sh (sourced, not run).

elapsed() { echo $(( $(date +%s) - $1 ))s; }

# Moves a freshly built <tmp>/bin into <dest> atomically: the directory rename
# is atomic, so readers either see no <dest>/bin or a complete one. A leftover
# <dest>/bin (an old interrupted layout) is replaced.
install_dir() {
  local src="$1" dest="$2"
  mkdir -p "${dest}"
  if [[ -e "${dest}/bin" ]]; then
    local old="${dest}/bin.old.$$"
    mv "${dest}/bin" "${old}"
    mv "${src}" "${dest}/bin"
    rm -rf "${old}"
  else
    mv "${src}" "${dest}/bin"
  fi
}
