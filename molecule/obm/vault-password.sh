#!/bin/sh
# Vault password of the molecule/obm scenario (ANSIBLE_VAULT_PASSWORD_FILE in molecule.yml).
# Ansible runs this file and reads the password from its output. The password is generated on
# first use into the scenario's lab directory (git-ignored, removed by destroy.yml); it protects
# only the scenario's throw-away credentials file.
set -eu
dir="$(cd "$(dirname "$0")/../.." && pwd)/.lab/molecule-obm"
file="$dir/vault-password"
if [ ! -s "$file" ]; then
    mkdir -p "$dir"
    umask 077
    tmp=$(mktemp "$dir/.vault-password.XXXXXX")
    head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40 > "$tmp"
    mv "$tmp" "$file"
fi
cat "$file"
