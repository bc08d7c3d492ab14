#!/usr/bin/env python3
"""Extract a known-answer vector for IKEv1 key derivation from a strongSwan charon log written
with `ike = 4, enc = 4, chd = 4` (charon dumps its own DH secret, nonces, SKEYID*, Ka, IV, HASH_I
input and output, and the child-SA seeds and keys). Output: one `name hex` per line, read by
ike/test_ike_kat.c. Usage: charon_kat.py charon.log PSK > vector.txt"""
import re
import sys

log = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
dump_hdr = re.compile(r"^\d+\[(\w+)\] (.*?)\s*=> (\d+) bytes @")
hexline = re.compile(r"^\d+\[\w+\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})")


def dump_at(i):
    n = int(dump_hdr.match(log[i]).group(3))
    out = []
    j = i + 1
    while len(out) < n and j < len(log):
        m = hexline.match(log[j])
        if not m:
            break
        out += m.group(1).split()
        j += 1
    return "".join(out[:n]).lower()


def labelled(label, nth=0):
    k = 0
    for i, line in enumerate(log):
        m = dump_hdr.match(line)
        if m and m.group(2) == label:
            if k == nth:
                return dump_at(i)
            k += 1
    raise SystemExit("no dump " + label)


def after(marker, nth=0):
    """the first 'CHUNK_DATA'-style unlabelled dump after the nth line containing marker"""
    k = 0
    for i, line in enumerate(log):
        if marker in line:
            if k == nth:
                for j in range(i, len(log)):
                    m = dump_hdr.match(log[j])
                    if m and m.group(2) == "" and int(m.group(3)) >= 8:
                        return dump_at(j)
            k += 1
    raise SystemExit("no " + marker)


print("psk", sys.argv[2].encode().hex())
print("ni", after("generating payload of type NONCE_V1"))
print("nr", after("starting parsing a NONCE_V1 payload"))
for name, label in [("gxy", "shared Diffie Hellman secret"), ("skeyid", "SKEYID"), ("skeyid_d", "SKEYID_d"),
                    ("skeyid_a", "SKEYID_a"), ("skeyid_e", "SKEYID_e"), ("ka", "encryption key Ka"),
                    ("iv", "initial IV"), ("hash_i_data", "HASH_I data"), ("hash_i", "HASH_I"),
                    ("seed_i", "initiator SA seed"), ("seed_r", "responder SA seed"),
                    ("enc_i", "encryption initiator key"), ("enc_r", "encryption responder key"),
                    ("int_i", "integrity initiator key"), ("int_r", "integrity responder key")]:
    print(name, labelled(label))
