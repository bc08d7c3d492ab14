/* Inbound ESP (RFC 4303 §3.4), transport mode, in place. Order matters and follows the RFC:
 * length sanity, SPI lookup, replay check (cheap, no state change), integrity check in constant
 * time, only then the window update and decryption; trailer and selectors after that. */
#include <errno.h>
#include <string.h>

#include "esp_local.h"
#include "natt.h"

/* RFC 3948 §3.1.2: behind a NAT the inner UDP checksum covers the client's private address.
 * With NAT-OA we fix it incrementally so it verifies against the real outer addresses; without
 * NAT-OA we zero it, which RFC 768 allows for UDP over IPv4 ("no checksum"). IPv6 cannot zero. */
static void fix_inner_csum(const struct esp_sa *sa, const struct rp_addr *src, uint8_t *udp)
{
	uint16_t cs = rp_get_u16(udp + 6);
	if (cs == 0 || src->family != 4)
		return;
	bool fixable = sa->natoa_peer.family == 4 &&
	               (sa->natoa_local.family == 4 || sa->natoa_local.family == 0) && sa->local.family == 4;
	if (!fixable) {
		rp_put_u16(udp + 6, 0);
		return;
	}
	cs = rp_csum_replace(cs, sa->natoa_peer.ip, src->ip, 4);
	if (sa->natoa_local.family == 4)
		cs = rp_csum_replace(cs, sa->natoa_local.ip, sa->local.ip, 4);
	rp_put_u16(udp + 6, cs ? cs : 0xffff);
}

int esp_decap(struct esp_sad *sad, struct rp_buf *b, const struct rp_addr *src, uint64_t now_ms,
              struct esp_rx *rx)
{
	uint8_t *p = rp_buf_data(b);
	size_t len = b->len;
	enum esp_drop why;
	struct esp_sa *sa = NULL;
	uint32_t spi = 0, seq = 0;

	if (len < ESP_HDR) {
		why = ESP_DROP_TRUNCATED;
		goto drop;
	}
	spi = rp_get_u32(p);
	seq = rp_get_u32(p + 4);
	sa = esp_sad_find(sad, spi);
	if (!sa || sa->state != ESP_SA_LIVE || sa->dir != ESP_DIR_IN) {
		sa = NULL; /* count it globally only: never attribute attacker traffic to a real SA */
		why = ESP_DROP_UNKNOWN_SPI;
		goto drop;
	}
	if (sa->hard_pending || now_ms >= sa->hard_at) {
		why = ESP_DROP_EXPIRED;
		goto drop;
	}
	if ((src->port != 0) != (sa->encap == ESP_ENCAP_UDP)) {
		why = ESP_DROP_ENCAP;
		goto drop;
	}

	struct esp_crypto *x = &sa->x;
	const size_t ivl = x->e->iv_len, icvl = x->icv_len;
	/* CBC needs whole blocks (RFC 3602 §3); GCM only needs room for the 2-byte trailer */
	const size_t align = x->e->aead_icv ? 1 : x->e->block, minct = x->e->aead_icv ? 2 : x->e->block;
	if (len < ESP_HDR + ivl + minct + icvl || (len - ESP_HDR - ivl - icvl) % align) {
		why = ESP_DROP_TRUNCATED;
		goto drop;
	}
	size_t ctlen = len - ESP_HDR - ivl - icvl;
	uint8_t *iv = p + ESP_HDR, *ct = iv + ivl, *icv = ct + ctlen;
	int rc = esp_replay_check(&sa->rp, seq);
	if (rc) {
		why = (enum esp_drop) - rc;
		goto drop;
	}

	uint8_t want[ESP_MAX_ICV];
	if (x->e->aead_icv) {
		/* AEAD: GHASH runs over the ciphertext as it is decrypted in place; the plaintext is
		 * not looked at unless the tag matches (the buffer is discarded otherwise). */
		rc = esp_crypto_gcm(x, false, p, iv, ct, ctlen, want);
		if (rc) {
			why = ESP_DROP_CRYPTO;
			goto drop;
		}
		if (!rp_ct_memeq(want, icv, icvl)) {
			rp_wipe(ct, ctlen); /* no unauthenticated plaintext is left behind */
			why = ESP_DROP_ICV;
			goto drop;
		}
	} else {
		/* RFC 4303 §3.4.4.1: ICV over SPI, sequence, IV and ciphertext, checked first */
		if (esp_crypto_icv(x, p, ESP_HDR + ivl + ctlen, want)) {
			why = ESP_DROP_CRYPTO;
			goto drop;
		}
		if (!rp_ct_memeq(want, icv, icvl)) {
			why = ESP_DROP_ICV;
			goto drop;
		}
		if (esp_crypto_cbc(x, false, iv, ct, ctlen)) {
			why = ESP_DROP_CRYPTO;
			goto drop;
		}
	}
	esp_replay_update(&sa->rp, seq); /* authenticated: the window may move */

	/* RFC 4303 §2.4-2.6: trailer = padding, pad length, next header */
	size_t padlen = ct[ctlen - 2];
	uint8_t nh = ct[ctlen - 1];
	if (padlen + 2 > ctlen) {
		why = ESP_DROP_PAD;
		goto drop;
	}
	size_t inner = ctlen - 2 - padlen;
	if (!sa->lax_padding) {
		/* RFC 4303 §2.4: default padding is 1, 2, 3, ...; the receiver SHOULD inspect it */
		for (size_t i = 0; i < padlen; i++)
			if (ct[inner + i] != (uint8_t)(i + 1)) {
				why = ESP_DROP_PAD;
				goto drop;
			}
	}
	if (nh == ESP_NH_NONE) {
		sa->st.drops[ESP_DROP_DUMMY]++; /* RFC 4303 §2.6: discard silently (counted) */
		sad->st.drops[ESP_DROP_DUMMY]++;
		return -ESP_DROP_DUMMY;
	}
	if (nh != sa->inner_proto) {
		why = ESP_DROP_NEXT_HEADER;
		goto drop;
	}
	uint16_t sport = 0, dport = 0;
	size_t hl = 0;
	if (nh == ESP_NH_UDP) {
		/* transport mode: the inner UDP header must be whole and match the SA's selectors */
		if (inner < 8 || rp_get_u16(ct + 4) != inner) {
			why = ESP_DROP_SELECTOR;
			goto drop;
		}
		sport = rp_get_u16(ct);
		dport = rp_get_u16(ct + 2);
		if ((sa->inner_local_port && dport != sa->inner_local_port) ||
		    (sa->inner_peer_port && sport != sa->inner_peer_port)) {
			why = ESP_DROP_SELECTOR;
			goto drop;
		}
		if (sa->encap == ESP_ENCAP_UDP)
			fix_inner_csum(sa, src, ct);
		hl = 8;
	}

	/* authenticated: an outer endpoint change is a NAT rebinding, adopt it (DESIGN.md) */
	bool moved = !rp_addr_eq(&sa->peer, src);
	if (moved) {
		char a[RP_ADDR_STRLEN], c[RP_ADDR_STRLEN];
		rp_logf(sad->log, RP_LOG_INFO, "esp", "SA spi=0x%08x peer moved %s -> %s", spi,
		        rp_addr_str(&sa->peer, a, sizeof a), rp_addr_str(src, c, sizeof c));
		sa->peer = *src;
	}
	rx->first = sa->st.packets == 0;
	sa->st.packets++;
	sa->st.bytes += inner;
	sad->st.packets++;
	sad->st.bytes += inner;
	esp_sa_account(sad, sa, inner);

	rp_buf_pull(b, ESP_HDR + ivl);
	rp_buf_trim(b, padlen + 2 + icvl);
	rx->sa_id = sa->id;
	rx->spi = spi;
	rx->owner = sa->owner;
	rx->next_header = nh;
	rx->sport = sport;
	rx->dport = dport;
	rx->payload = rp_buf_data(b) + hl;
	rx->payload_len = inner - hl;
	rx->peer_moved = moved;
	rx->peer = sa->peer;
	return 0;

drop:
	esp_drop(sad, sa, why, src, spi, seq, now_ms);
	return -(int)why;
}
