/* natt: NAT traversal for IKEv1/ESP (RFC 3947, RFC 3948).
 *
 *   natt.c     classification of what arrives on UDP 4500 (keepalive / IKE / ESP-in-UDP)
 */
#ifndef NATT_H
#define NATT_H

#include <stddef.h>
#include <stdint.h>

#include "rp_base.h"

#define NATT_PORT_IKE 500
#define NATT_PORT_NATT 4500

enum natt_kind {
	NATT_DROP = 0,  /* too short or malformed to be anything */
	NATT_KEEPALIVE, /* RFC 3948 §2.3: one byte 0xFF */
	NATT_IKE,       /* RFC 3948 §2.2: non-ESP marker (4 zero bytes) then an ISAKMP header */
	NATT_ESP,       /* RFC 3948 §2.1: SPI (non-zero) first */
};

/* Classify a UDP/4500 payload. For NATT_IKE, *skip is the marker length to strip (4); for others 0.
 * Pure function of the bytes. */
enum natt_kind natt_classify(const uint8_t *p, size_t len, size_t *skip);
const char *natt_kind_name(enum natt_kind k);

#endif
