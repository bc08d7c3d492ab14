/* Vendor IDs we recognise (byte values in docs/clients.md, Vendor IDs: SoftEther Proto_IKE.h, strongSwan
 * isakmp_vendor.c) and NAT-D hashes (RFC 3947 §3.2). NAT-D is computed here with the negotiated
 * hash so ike/ does not depend on natt/ for it. */
#include <stdio.h>
#include <string.h>

#include "ike_local.h"

static const uint8_t vid_rfc3947[16] = {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
                                        0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f};
static const uint8_t vid_draft03[16] = {0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f,
                                        0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d, 0x56};
static const uint8_t vid_draft02[16] = {0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8,
                                        0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48};
static const uint8_t vid_draft02n[16] = {0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e,
                                         0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b, 0x1f};
const uint8_t ike_vid_dpd[16] = {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
                                 0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};
static const uint8_t vid_ms_nt5[16] = {0x1e, 0x2b, 0x51, 0x69, 0x05, 0x99, 0x1c, 0x7d,
                                       0x7c, 0x96, 0xfc, 0xbf, 0xb5, 0x87, 0xe4, 0x61};
static const uint8_t vid_ms_frag[16] = {0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85,
                                        0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3};
static const uint8_t vid_ms_ic[16] = {0x26, 0x24, 0x4d, 0x38, 0xed, 0xdb, 0x61, 0xb3,
                                      0x17, 0x2a, 0x36, 0xe3, 0xd0, 0xcf, 0xb8, 0x19};
static const uint8_t vid_xauth[8] = {0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12};
static const uint8_t vid_unity[14] = {0x12, 0xf5, 0xf2, 0x8c, 0x45, 0x71, 0x68,
                                      0xa9, 0x70, 0x2d, 0x9f, 0xe2, 0x74, 0xcc};

const uint8_t ike_vid_frag[20] = {0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85, 0x25, 0xe7,
                                  0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3, 0x80, 0x00, 0x00, 0x00};

static bool vid_is(const struct isakmp_pl *pl, const uint8_t *v, size_t n, bool prefix)
{
	return (prefix ? pl->len >= n : pl->len == n) && memcmp(pl->body, v, n) == 0;
}

void ike_vid_scan(const struct isakmp_msg *m, struct ike_vids *v)
{
	memset(v, 0, sizeof *v);
	for (size_t i = 0; i < m->npl; i++) {
		const struct isakmp_pl *pl = &m->pl[i];
		if (pl->type != ISAKMP_PL_VID)
			continue;
		if (vid_is(pl, vid_rfc3947, 16, false))
			v->natt_mask |= 1u << IKE_NATT_RFC;
		else if (vid_is(pl, vid_draft03, 16, false))
			v->natt_mask |= 1u << IKE_NATT_DRAFT03;
		else if (vid_is(pl, vid_draft02n, 16, false))
			v->natt_mask |= 1u << IKE_NATT_DRAFT02N;
		else if (vid_is(pl, vid_draft02, 16, false))
			v->natt_mask |= 1u << IKE_NATT_DRAFT02;
		else if (vid_is(pl, ike_vid_dpd, 16, false))
			v->dpd = true;
		else if (vid_is(pl, vid_ms_nt5, 16, true)) {
			v->ms_nt5 = true;
			if (pl->len == 20)
				v->ms_ver = rp_get_u32(pl->body + 16);
		} else if (vid_is(pl, vid_ms_frag, 16, true))
			v->ms_frag = true;
		else if (vid_is(pl, vid_ms_ic, 16, false))
			v->ms_ic = true;
		else if (vid_is(pl, vid_xauth, 8, false))
			v->xauth = true;
		else if (vid_is(pl, vid_unity, 14, true))
			v->unity = true;
	}
}

enum ike_natt ike_natt_best(unsigned mask)
{
	for (int n = IKE_NATT_RFC; n > IKE_NATT_NONE; n--)
		if (mask & (1u << n))
			return (enum ike_natt)n;
	return IKE_NATT_NONE;
}

const uint8_t *ike_natt_vid(enum ike_natt n, size_t *len)
{
	*len = 16;
	switch (n) {
	case IKE_NATT_RFC:
		return vid_rfc3947;
	case IKE_NATT_DRAFT03:
		return vid_draft03;
	case IKE_NATT_DRAFT02N:
		return vid_draft02n;
	case IKE_NATT_DRAFT02:
		return vid_draft02;
	default:
		*len = 0;
		return NULL;
	}
}

const char *ike_natt_name(enum ike_natt n)
{
	switch (n) {
	case IKE_NATT_RFC:
		return "RFC 3947";
	case IKE_NATT_DRAFT03:
		return "draft-03";
	case IKE_NATT_DRAFT02N:
		return "draft-02\\n";
	case IKE_NATT_DRAFT02:
		return "draft-02";
	default:
		return "none";
	}
}

void ike_vids_str(const struct ike_vids *v, char *out, size_t n)
{
	snprintf(out, n, "NAT-T{%s%s%s%s}%s%s%s%s%s%s", (v->natt_mask & 1u << IKE_NATT_RFC) ? " RFC3947" : "",
	         (v->natt_mask & 1u << IKE_NATT_DRAFT03) ? " draft-03" : "",
	         (v->natt_mask & 1u << IKE_NATT_DRAFT02N) ? " draft-02\\n" : "",
	         (v->natt_mask & 1u << IKE_NATT_DRAFT02) ? " draft-02" : "", v->dpd ? " DPD" : "",
	         v->ms_nt5 ? " MS-NT5-ISAKMPOAKLEY" : "", v->ms_frag ? " MS-FRAGMENTATION" : "",
	         v->ms_ic ? " MS-Initial-Contact" : "", v->xauth ? " XAUTH" : "",
	         v->unity ? " Cisco-Unity" : "");
}

/* RFC 3947 §3.2: HASH = HASH(CKY-I | CKY-R | IP | Port), with the negotiated hash. */
int ike_natd_hash(uint16_t hash, const uint8_t icky[8], const uint8_t rcky[8], const struct rp_addr *a,
                  uint8_t *out)
{
	uint8_t port[2];
	rp_put_u16(port, a->port);
	struct ike_iov v[] = {{icky, 8}, {rcky, 8}, {a->ip, a->family == 6 ? 16 : 4}, {port, 2}};
	return ike_hashv(hash, v, 4, out);
}
