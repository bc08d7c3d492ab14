# Sourced by run.sh and test.sh: installs Debian packages listed in tests/deps/<set>.txt
# (one package per line, # comments), quietly and only when something is missing.
rp_deps() {
	local root pkgs missing=() p
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	pkgs=$(for set in "$@"; do cat "$root/tests/deps/$set".txt 2>/dev/null; done | sed 's/#.*//' | tr -s ' \n' '\n' | sort -u)
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "rampart: missing packages (${missing[*]}); run as root to install them" >&2
		return 1
	fi
	echo "rampart: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
