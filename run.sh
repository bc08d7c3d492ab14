#!/usr/bin/env bash
# Installs what rampart needs, builds it (Release), creates a configuration and state directory
# on first use, prints how a client connects, and runs rampartd in the foreground (Ctrl-C stops it).
#   RAMPART_CONF  configuration file   (default /etc/rampart/rampart.conf)
#   RAMPART_STATE state directory      (default /var/lib/rampart)
set -euo pipefail
cd "$(dirname "$0")"
[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root (rampartd needs ports 500/1701, raw ESP and TUN)" >&2; exit 1; }
. tests/deps.sh
rp_deps build

cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" >/dev/null
bin=build/release/server

conf=${RAMPART_CONF:-/etc/rampart/rampart.conf}
state=${RAMPART_STATE:-/var/lib/rampart}
# rampartd drops root for this system user once its sockets and TUN are open ([server] user)
id -u rampart >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin rampart
if [ ! -e "$conf" ]; then
	mkdir -p "$(dirname "$conf")" "$state"
	chmod 700 "$state"
	psk=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
	umask 077
	sed -e "s|^psk = \"\"|psk = \"$psk\"|" -e "s|^state_dir = .*|state_dir = $state|" \
		-e 's|^user = ""|user = rampart|' etc/rampart.conf >"$conf"
	# readable by rampartd after the switch (for reloads), by nobody else: it holds the PSK
	chgrp rampart "$conf"
	chmod 640 "$conf"
	echo "run.sh: created $conf" >&2
fi
"$bin/rampartd" --check-config --config "$conf" >/dev/null

# The demo account is created once in the account store (SQLite, NT hash only). Its password is
# also kept in a 0600 file beside it, so that every start can print it: delete that file (and the
# account, `rampartctl account del demo`) once you have real accounts.
if [ ! -e "$state/demo-account" ]; then
	mkdir -p "$state"
	pw=$(head -c 12 /dev/urandom | base64 | tr '+/' 'xy')
	echo "$pw" | "$bin/rampartctl" account -d "$state" add demo - >/dev/null
	( umask 077; printf 'demo %s\n' "$pw" >"$state/demo-account" )
fi
read -r user password <"$state/demo-account"

addr=$(hostname -I 2>/dev/null | awk '{print $1}')
[ -n "$addr" ] || addr="(this host's address)"
psk=$(sed -n 's/^psk = "\(.*\)"$/\1/p' "$conf")
cat <<EOI
server: $addr
psk: $psk
user: $user
password: $password
EOI
exec "$bin/rampartd" --foreground --config "$conf"
