#!/usr/bin/env bash
# make-pki.sh DIR: a demo PKI for rampart's certificate authentication, made with GnuTLS's certtool
# (Debian package gnutls-bin). Keys are RSA 2048; files are PEM (*.pem) plus DER copies (*.der) of
# every certificate. Valid certificates last 20 years; the expired one ended in 2020.
#
#   ca.pem / ca-key.pem            "rampart demo CA" (the trust anchor to configure)
#   crl.pem                        the CA's CRL: revokes revoked.pem
#   crl-empty.pem                  a later CRL of the same CA revoking nothing
#   server.pem / server-key.pem    CN=vpn.example.test, SAN DNS vpn.example.test + IP 203.0.113.1,
#                                  key usage digitalSignature, EKU serverAuth + ipsecIKE (1.3.6.1.5.5.7.3.17)
#   alice.pem                      CN=alice, O=Example, OU=Staff; SAN UPN (otherName 1.3.6.1.4.1.311.20.2.3)
#                                  alice@example.test and e-mail alice@example.test; EKU clientAuth
#   mallory.pem                    CN=mallory, O=Example, OU=Staff; e-mail mallory@example.test; a valid
#                                  certificate meant to be mapped and then denied by a right
#   revoked.pem                    CN=revoked, listed in crl.pem
#   expired.pem                    CN=expired, validity 2018-01-01 .. 2020-01-01
#   codesign.pem                   CN=codesign: EKU codeSigning only (refused: wrong EKU)
#   encipher.pem                   CN=encipher: key usage keyEncipherment only (refused: wrong key usage)
#   noeku.pem                      CN=noeku: digitalSignature and no EKU at all, as many Windows client
#                                  certificates are (accepted)
#   sub-ca.pem                     "rampart demo issuing CA", an intermediate signed by ca.pem
#   carol.pem                      CN=carol, O=Example, OU=Sales, issued by sub-ca.pem (peers must send
#                                  sub-ca.pem along: chain building), e-mail carol@example.test
#   other-ca.pem, stranger.pem     a second CA nobody trusts and a client certificate it issued
#   anchors/ca.pem                 a copy of ca.pem, to configure a trust directory
#   <name>-key.pem                 each certificate's private key
#
# Serial numbers are fixed so file contents differ between runs only by keys and signatures.
set -euo pipefail
dir=${1:?usage: make-pki.sh DIR}
mkdir -p "$dir"
cd "$dir"
command -v certtool >/dev/null || { echo "make-pki.sh: certtool not found (apt-get install gnutls-bin)" >&2; exit 1; }

key() { certtool --generate-privkey --key-type=rsa --bits=2048 --outfile "$1-key.pem" 2>/dev/null; }
far='expiration_days = 7300'

# the CA
key ca
cat >ca.tmpl <<EOF
cn = "rampart demo CA"
organization = "Example"
serial = 1
$far
ca
cert_signing_key
crl_signing_key
EOF
certtool --generate-self-signed --load-privkey ca-key.pem --template ca.tmpl --outfile ca.pem 2>/dev/null

# sign NAME SERIAL: a leaf from NAME.tmpl, signed by the CA in $ca (default ca)
sign() {
	local ca=${3:-ca}
	key "$1"
	certtool --generate-certificate --load-privkey "$1-key.pem" --load-ca-certificate "$ca.pem" \
		--load-ca-privkey "$ca-key.pem" --template "$1.tmpl" --outfile "$1.pem" 2>/dev/null
}

cat >server.tmpl <<EOF
cn = "vpn.example.test"
organization = "Example"
serial = 2
$far
dns_name = "vpn.example.test"
ip_address = "203.0.113.1"
signing_key
tls_www_server
key_purpose_oid = 1.3.6.1.5.5.7.3.17
EOF
sign server

cat >alice.tmpl <<EOF
cn = "alice"
organization = "Example"
unit = "Staff"
serial = 3
$far
email = "alice@example.test"
other_name_utf8 = "1.3.6.1.4.1.311.20.2.3 alice@example.test"
signing_key
tls_www_client
EOF
sign alice

cat >mallory.tmpl <<EOF
cn = "mallory"
organization = "Example"
unit = "Staff"
serial = 4
$far
email = "mallory@example.test"
signing_key
tls_www_client
EOF
sign mallory

cat >revoked.tmpl <<EOF
cn = "revoked"
organization = "Example"
unit = "Staff"
serial = 5
$far
email = "revoked@example.test"
signing_key
tls_www_client
EOF
sign revoked

cat >expired.tmpl <<EOF
cn = "expired"
organization = "Example"
unit = "Staff"
serial = 6
activation_date = "2018-01-01 00:00:00 UTC"
expiration_date = "2020-01-01 00:00:00 UTC"
email = "expired@example.test"
signing_key
tls_www_client
EOF
sign expired

cat >codesign.tmpl <<EOF
cn = "codesign"
organization = "Example"
serial = 8
$far
signing_key
code_signing_key
EOF
sign codesign

cat >encipher.tmpl <<EOF
cn = "encipher"
organization = "Example"
serial = 9
$far
encryption_key
tls_www_client
EOF
sign encipher

cat >noeku.tmpl <<EOF
cn = "noeku"
organization = "Example"
serial = 10
$far
signing_key
EOF
sign noeku

# an intermediate CA and a client it issued
cat >sub-ca.tmpl <<EOF
cn = "rampart demo issuing CA"
organization = "Example"
serial = 11
$far
ca
path_len = 0
cert_signing_key
crl_signing_key
EOF
sign sub-ca

cat >carol.tmpl <<EOF
cn = "carol"
organization = "Example"
unit = "Sales"
serial = 1
$far
email = "carol@example.test"
signing_key
tls_www_client
EOF
sign carol 1 sub-ca

# the CRL (next update in 20 years so the committed test copy stays current)
cat >crl.tmpl <<EOF
crl_next_update = 7300
crl_number = 1
EOF
certtool --generate-crl --load-ca-privkey ca-key.pem --load-ca-certificate ca.pem \
	--load-certificate revoked.pem --template crl.tmpl --outfile crl.pem 2>/dev/null

# an empty CRL of the same CA (tests swap it for crl.pem to exercise the reload path)
cat >crl.tmpl <<EOF
crl_next_update = 7300
crl_number = 2
EOF
certtool --generate-crl --load-ca-privkey ca-key.pem --load-ca-certificate ca.pem \
	--template crl.tmpl --outfile crl-empty.pem 2>/dev/null

# a second CA that is not trusted, and a client it issued
key other-ca
cat >other-ca.tmpl <<EOF
cn = "unknown demo CA"
organization = "Elsewhere"
serial = 1
$far
ca
cert_signing_key
EOF
certtool --generate-self-signed --load-privkey other-ca-key.pem --template other-ca.tmpl \
	--outfile other-ca.pem 2>/dev/null
cat >stranger.tmpl <<EOF
cn = "stranger"
organization = "Example"
unit = "Staff"
serial = 7
$far
email = "stranger@example.test"
signing_key
tls_www_client
EOF
sign stranger 7 other-ca

for c in ca server alice mallory revoked expired codesign encipher noeku sub-ca carol other-ca stranger; do
	certtool --certificate-info --infile "$c.pem" --outder --outfile "$c.der" 2>/dev/null
done
mkdir -p anchors
cp ca.pem anchors/ca.pem
rm -f ./*.tmpl
echo "make-pki.sh: demo PKI in $PWD"
