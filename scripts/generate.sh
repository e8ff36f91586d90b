#!/bin/sh
# Regenerate the committed man page and shell completion scripts from the built binary:
#   scripts/generate.sh
# Run it after changing a flag or a help text; tests/generated.rs fails until you do.
set -eu
cd "$(dirname "$0")/.."
cargo build --quiet
bin="$(cargo metadata --format-version 1 --no-deps \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/kcurl"
mkdir -p completions man
# A clean environment, as the test uses: the output must not depend on the caller's.
gen() { env -i HOME=/nonexistent "$bin" --generate "$1" > "$2"; }
gen man                 man/kcurl.1
gen complete-bash       completions/kcurl.bash
gen complete-zsh        completions/_kcurl
gen complete-fish       completions/kcurl.fish
gen complete-powershell completions/_kcurl.ps1
gen complete-elvish     completions/kcurl.elv
echo "regenerated man/kcurl.1 and completions/*"
