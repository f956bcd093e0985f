# shellcheck shell=bash
# Sourced by the other scripts: makes sure this machine can build vcsim (Go and
# the govmomi sources, from Debian) and that the repo's .venv holds the project
# with its dev extras. Idempotent, and quick once everything is in place.
# AIOVSPHERE_NO_VCSIM=1 skips Go and govmomi (the demo needs neither).

_bootstrap() {
    local root govmomi=/usr/share/gocode/src/github.com/vmware/govmomi
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

    if [[ -z ${AIOVSPHERE_NO_VCSIM:-} ]] && { ! command -v go >/dev/null || [[ ! -d $govmomi ]]; }; then
        local sudo=()
        [[ $(id -u) -eq 0 ]] || sudo=(sudo)
        echo "bootstrap: installing Go and govmomi (needed to build vcsim)" >&2
        "${sudo[@]}" apt-get update -q &&
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q golang-go golang-github-vmware-govmomi-dev ||
            return
    fi

    local venv="$root/.venv"
    local stamp="$venv/.bootstrap-stamp"
    if [[ -x $venv/bin/python && -e $stamp && ! $root/pyproject.toml -nt $stamp ]]; then
        return 0
    fi
    mkdir -p "$root/.cache"
    (
        flock 9 # one bootstrap at a time per checkout
        if [[ ! -x $venv/bin/python ]]; then
            local python=python3.11
            if ! command -v "$python" >/dev/null; then
                python=python3
                "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
                    echo "bootstrap: needs python3.11 (or a python3 >= 3.11)" >&2
                    exit 1
                }
            fi
            if ! "$python" -c 'import ensurepip' 2>/dev/null; then
                # Debian splits venv support out of the interpreter package.
                echo "bootstrap: installing python3-venv (needed for the .venv)" >&2
                local sudo=()
                [[ $(id -u) -eq 0 ]] || sudo=(sudo)
                "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                    python3-venv "$(basename "$python")-venv" 2>/dev/null ||
                    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                        python3-venv || exit
            fi
            echo "bootstrap: creating $venv with $python" >&2
            "$python" -m venv "$venv" || exit
        fi
        if [[ ! -e $stamp || $root/pyproject.toml -nt $stamp ]]; then
            echo "bootstrap: installing the project into $venv" >&2
            "$venv/bin/python" -m pip install -q -e "$root[dev]" && touch "$stamp"
        fi
    ) 9>"$root/.cache/bootstrap.lock"
}

if ! _bootstrap; then
    unset -f _bootstrap
    echo "bootstrap: failed" >&2
    return 1 2>/dev/null || exit 1 # `return` when sourced, `exit` when run
fi
unset -f _bootstrap
