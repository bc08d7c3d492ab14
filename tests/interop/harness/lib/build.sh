#!/bin/bash
# Idempotent setup: install Debian packages, fetch+extract the Debian kernel,
# build one initramfs (used by both the client VM and the reference-server VM).
# Everything is cached under $CACHE (default /var/cache/rampart-interop).
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${CACHE:-/var/cache/rampart-interop}"
mkdir -p "$CACHE/deb"

PKGS="qemu-system-x86 busybox-static strongswan strongswan-starter strongswan-charon
 libstrongswan-standard-plugins libstrongswan-extra-plugins libcharon-extra-plugins
 xl2tpd ppp iproute2 nftables tcpdump tshark kmod cpio
 libnss3-tools libevent-pthreads-2.1-7 libldns3"
# libreswan conflicts with strongswan-starter on the host, so it is only downloaded and
# unpacked (dpkg -x) into the cache; its libraries above are plain host packages.
LIBRESWAN=${LIBRESWAN:-1}

need_install=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_install="$need_install $p"
done
if [ -n "$need_install" ]; then
  echo "[setup] apt-get install$need_install" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need_install >&2
fi

# ---- kernel --------------------------------------------------------------
KPKG="${KPKG:-$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')}"
[ -n "$KPKG" ] || { echo "cannot resolve linux-image-amd64 dependency" >&2; exit 1; }
KVER="${KPKG#linux-image-}"
KDIR="$CACHE/kernel-$KVER"
if [ ! -f "$KDIR/.done" ]; then
  deb=$(ls "$CACHE"/deb/${KPKG}_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    (cd "$CACHE/deb" && apt-get download "$KPKG" >&2)
    deb=$(ls "$CACHE"/deb/${KPKG}_*.deb | head -1)
  fi
  rm -rf "$KDIR"; mkdir -p "$KDIR"
  dpkg -x "$deb" "$KDIR"
  depmod -b "$KDIR" "$KVER"
  touch "$KDIR/.done"
fi
ln -sfn "$KDIR/boot/vmlinuz-$KVER" "$CACHE/vmlinuz"

# ---- libreswan (unpacked only) ----------------------------------------------
LSW_ROOT=""
if [ "$LIBRESWAN" = 1 ]; then
  ldeb=$(ls "$CACHE"/deb/libreswan_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$ldeb" ]; then
    (cd "$CACHE/deb" && apt-get download libreswan >&2) || echo "[setup] libreswan download failed" >&2
    ldeb=$(ls "$CACHE"/deb/libreswan_*.deb 2>/dev/null | head -1 || true)
  fi
  if [ -n "$ldeb" ]; then
    LSW_ROOT="$CACHE/libreswan-$(basename "$ldeb" .deb)"
    if [ ! -f "$LSW_ROOT/.done" ]; then rm -rf "$LSW_ROOT"; dpkg -x "$ldeb" "$LSW_ROOT"; touch "$LSW_ROOT/.done"; fi
  fi
fi

# ---- initramfs -------------------------------------------------------------
# Rebuild only when the VM-side scripts, this script or the package versions change.
stamp=$( { cat "$HERE"/vm/* "$HERE/lib/build.sh"; echo "$KVER";
           dpkg-query -W $PKGS 2>/dev/null; echo "lsw=$LSW_ROOT"; } | sha256sum | cut -c1-16)
INITRD="$CACHE/initramfs-$stamp.cpio.gz"
if [ -f "$INITRD" ]; then
  ln -sfn "$INITRD" "$CACHE/initramfs.cpio.gz"; echo "$CACHE"; exit 0
fi
echo "[setup] building initramfs $INITRD" >&2
R=$(mktemp -d "$CACHE/root.XXXX")
trap 'rm -rf "$R"' EXIT
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,host,root,var/lib,lib/modules,etc/ppp,etc/xl2tpd,var/log}
ln -s ../run "$R/var/run"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do
  [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
done

# kernel modules, flat, in dependency order
MODS="virtio_pci virtio_net virtio-rng jitterentropy_rng drbg 9pnet_virtio 9p xfrm_user af_key esp4 xfrm4_tunnel tunnel4
 authenc echainiv seqiv cbc hmac sha1_generic sha256_generic sha512_generic md5 aes_generic
 des_generic des3_ede gcm ctr ghash_generic ccm chacha20poly1305 xfrm_ipcomp ipcomp
 ppp_generic ppp_async ppp_synctty ppp_deflate bsd_comp ppp_mppe l2tp_core l2tp_netlink l2tp_ppp"
: > "$R/lib/modules/order"
for m in $MODS; do
  modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" 2>/dev/null | awk '/^insmod/{print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
  b=$(basename "$ko" .ko)
  cp "$ko" "$R/lib/modules/$b.ko"
  echo "$b" >> "$R/lib/modules/order"
done

# userspace: strongSwan (starter+charon), xl2tpd, pppd, iproute2
copy() { # copy file keeping path (dereference)
  local f=$1; mkdir -p "$R$(dirname "$f")"; cp -L "$f" "$R$f"
}
BINS="/usr/sbin/ipsec /usr/lib/ipsec/charon /usr/lib/ipsec/starter /usr/lib/ipsec/stroke
 /usr/lib/ipsec/_updown /usr/sbin/xl2tpd /usr/sbin/xl2tpd-control /usr/sbin/pppd
 /usr/bin/ip /usr/sbin/ip /usr/bin/pki"
for f in $BINS; do [ -e "$f" ] && copy "$f"; done
for f in /usr/lib/ipsec/*.so /usr/lib/ipsec/plugins/*.so \
         /usr/lib/pppd/*/pppol2tp.so /usr/lib/pppd/*/openl2tp.so /usr/lib/pppd/*/passwordfd.so; do
  # skip plugins with unresolved libraries (they would only print load errors)
  if ldd "$f" 2>/dev/null | grep -q "not found"; then echo "[setup] skip $f (missing libs)" >&2; continue; fi
  copy "$f"
done
# libreswan: pluto, whack, addconn, updown scripts, its own "ipsec" wrapper (kept out of PATH:
# /usr/sbin/ipsec stays strongSwan's; vm/client.sh puts /usr/local/lsw first for libreswan runs),
# certutil and the NSS modules that are dlopen()ed (ldd does not see them)
if [ -n "$LSW_ROOT" ]; then
  mkdir -p "$R/usr/libexec/ipsec" "$R/usr/local/lsw" "$R/var/lib/ipsec/nss" "$R/run/pluto"
  for f in pluto whack addconn _updown _updown.xfrm auto setup _plutorun _secretcensor readwriteconf; do
    [ -e "$LSW_ROOT/usr/libexec/ipsec/$f" ] && cp -L "$LSW_ROOT/usr/libexec/ipsec/$f" "$R/usr/libexec/ipsec/"
  done
  cp -L "$LSW_ROOT/usr/sbin/ipsec" "$R/usr/local/lsw/ipsec"
  copy /usr/bin/certutil; copy /usr/bin/pk12util
  for f in /usr/lib/x86_64-linux-gnu/libsoftokn3.* /usr/lib/x86_64-linux-gnu/libfreebl*.* \
           /usr/lib/x86_64-linux-gnu/libnssdbm3.* /usr/lib/x86_64-linux-gnu/libnssckbi.so; do
    [ -e "$f" ] && copy "$f"
  done
fi
# shared libraries of everything ELF we copied
find "$R/usr" -type f | while read -r f; do
  file -b "$f" 2>/dev/null | grep -q ELF || continue
  ldd "$f" 2>/dev/null | awk '/=>/ && $3 ~ /^\// {print $3} /^\s*\/lib64/{print $1}'
done | sort -u | while read -r lib; do
  [ -e "$R$lib" ] || copy "$lib"
done
copy /lib64/ld-linux-x86-64.so.2
# configs shipped by the packages (stock), the harness adds its own files at runtime
cp -a /etc/strongswan.conf /etc/strongswan.d "$R/etc/"
mkdir -p "$R/etc/ipsec.d"/{cacerts,certs,private,crls,aacerts,acerts,ocspcerts,policies,reqs}
# drop configs of plugins we skipped, so charon does not try to load them
for c in "$R"/etc/strongswan.d/charon/*.conf; do
  n=$(basename "$c" .conf)
  [ -e "$R/usr/lib/ipsec/plugins/libstrongswan-$n.so" ] || rm -f "$c"
done
[ -d /usr/lib/ssl ] && { mkdir -p "$R/usr/lib/ssl"; cp -L /usr/lib/ssl/openssl.cnf "$R/usr/lib/ssl/" 2>/dev/null || true; }
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\n' > "$R/etc/group"
printf 'hosts: files\n' > "$R/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' > "$R/etc/hosts"
mkdir -p "$R/var/run/xl2tpd" "$R/var/lib/strongswan"
cp "$HERE"/vm/* "$R/"
chmod +x "$R"/init "$R"/*.sh
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$INITRD.tmp"
mv "$INITRD.tmp" "$INITRD"
ln -sfn "$INITRD" "$CACHE/initramfs.cpio.gz"
for old in "$CACHE"/initramfs-*.cpio.gz; do [ "$old" = "$INITRD" ] || rm -f "$old"; done
echo "[setup] initramfs size $(du -h "$INITRD" | cut -f1)" >&2
echo "$CACHE"
