#!/bin/sh
# Test PKI for ike/ (RSA signature Main Mode): run once, output committed under tests/data/ike-pki/.
# certtool (gnutls-bin). CA, server, good client, revoked client (+CRL), expired client, and a
# client of an unknown CA (certtool drops an email SAN when tls_www_server is set: only the server
# has it). All RSA-2048, DER (.der) and PEM (.pem, for charon).
set -e
d=${1:-.}; cd "$d"
ct() { certtool "$@" >/dev/null 2>&1; }
tpl() { printf '%s\n' "$@" > t.tmp; }
key() { certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$1.key.pem" 2>/dev/null; }
key ca; tpl 'cn = "rampart test CA"' 'o = "rampart"' ca cert_signing_key crl_signing_key 'expiration_days = 7300'
ct --generate-self-signed --load-privkey ca.key.pem --template t.tmp --outfile ca.pem
key other; tpl 'cn = "unknown CA"' 'o = "elsewhere"' ca cert_signing_key 'expiration_days = 7300'
ct --generate-self-signed --load-privkey other.key.pem --template t.tmp --outfile other-ca.pem
leaf() { # name cn san-kind san ca cakey extra...
	n=$1 cn=$2 sk=$3 sv=$4 c=$5 ck=$6; shift 6
	key "$n"; tpl "cn = \"$cn\"" 'o = "rampart"' "$sk = \"$sv\"" signing_key encryption_key tls_www_client \
		ipsec_ike_key "serial = $(od -An -N4 -tu4 /dev/urandom | tr -d ' ')" "$@"
	ct --generate-certificate --load-privkey "$n.key.pem" --load-ca-certificate "$c" \
		--load-ca-privkey "$ck" --template t.tmp --outfile "$n.pem"
}
leaf server vpn.example.test dns_name vpn.example.test ca.pem ca.key.pem tls_www_server 'ip_address = "203.0.113.1"' 'expiration_days = 7300'
leaf alice alice email alice@example.test ca.pem ca.key.pem 'dns_name = "alice.example.test"' 'ip_address = "100.64.10.10"' 'expiration_days = 7300'
leaf revoked mallory email mallory@example.test ca.pem ca.key.pem 'expiration_days = 7300'
leaf expired old email old@example.test ca.pem ca.key.pem 'activation_date = "2020-01-01 00:00:00"' 'expiration_date = "2021-01-01 00:00:00"'
leaf stranger stranger email stranger@example.test other-ca.pem other.key.pem 'expiration_days = 7300'
tpl 'crl_next_update = 7300' 'crl_number = 1'
ct --generate-crl --load-ca-privkey ca.key.pem --load-ca-certificate ca.pem --load-certificate revoked.pem \
	--template t.tmp --outfile ca.crl.pem
for f in *.pem; do case $f in *.key.pem) certtool --key-info --infile "$f" --outder --outfile "${f%.pem}.der" 2>/dev/null ;;
	*.crl.pem) certtool --crl-info --infile "$f" --outder --outfile "${f%.pem}.der" 2>/dev/null ;;
	*) certtool --certificate-info --infile "$f" --outder --outfile "${f%.pem}.der" 2>/dev/null ;; esac; done
rm -f t.tmp
