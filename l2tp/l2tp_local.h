/* l2tp private: AVP bit layout, the tunnel and session objects shared by lns/tunnel/session. */
#ifndef RP_L2TP_LOCAL_H
#define RP_L2TP_LOCAL_H

#include "l2tp.h"

enum {
	L2TP_AVP_M = 0x8000,
	L2TP_AVP_H = 0x4000,
	L2TP_AVP_RSVD = 0x3c00,
	L2TP_AVP_LEN = 0x03ff,
};

int l2tp_hidden_decrypt(uint8_t *out, size_t *out_len, const uint8_t *in, size_t n, uint16_t type,
			const uint8_t *secret, size_t sl, const uint8_t *rv, size_t rvl);

#endif
