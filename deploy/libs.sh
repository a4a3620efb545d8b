# deploy/libs.sh - sourced by the stage scripts: copy_libs ROOT PROGRAM...
# copies the shared libraries ldd lists for each PROGRAM into ROOT at the
# paths the loader looks for them ("name => /path (addr)", and the loader
# itself as "/path (addr)"), following symlinks, and prints how many it
# copied. A "not found" line is an error: an image missing a library would
# only fail when the program starts.
copy_libs() {
  local root=$1 prog libs path n=0
  shift
  for prog in "$@"; do
    libs=$(ldd "$prog") || { echo "copy_libs: ldd $prog failed" >&2; return 1; }
    if grep -q "not found" <<<"$libs"; then
      echo "copy_libs: $prog: a library is missing:" >&2
      grep "not found" <<<"$libs" >&2
      return 1
    fi
    while read -r path; do
      [ -n "$path" ] || continue
      [ -e "$root$path" ] && continue
      mkdir -p "$root$(dirname "$path")"
      cp -L "$path" "$root$path"
      n=$((n + 1))
    done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$libs")
  done
  echo "$n"
}
