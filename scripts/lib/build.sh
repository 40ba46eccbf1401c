# swift_build ARGS...: `swift build ARGS` showing only errors, warnings and its summary line. A
# failed build prints the compiler's whole output and returns 1, so a calling script under
# `set -e` stops there instead of going on with an older binary.
swift_build() {
    local log status=0
    log=$(mktemp)
    swift build "$@" >"$log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        cat "$log" >&2
        rm -f "$log"
        echo "build failed (status $status): swift build $*" >&2
        return 1
    fi
    grep -E 'error|warning: unre|Build' "$log" | grep -v '^\[' >&2 || [ $? -eq 1 ]   # 1: nothing to show
    rm -f "$log"
}
