/* libFuzzer target: the ISAKMP parsers on arbitrary bytes (a whole message as received, its
 * payload chain as after decryption with padding, and each payload body parser). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isakmp.h"

static void bodies(const struct isakmp_msg *m)
{
	for (size_t i = 0; i < m->npl; i++) {
		const struct isakmp_pl *pl = &m->pl[i];
		struct isakmp_sa *sa;
		struct isakmp_id_pl id;
		struct isakmp_notify_pl n;
		struct isakmp_delete_pl d;
		struct rp_addr a;
		char s[128];
		switch (pl->type) {
		case ISAKMP_PL_SA:
			sa = malloc(sizeof *sa);
			if (sa && isakmp_sa_parse(pl->body, pl->len, sa) == 0) {
				for (size_t k = 0; k < sa->nxf; k++) /* attributes re-read per protocol */
					isakmp_attrs_parse(ISAKMP_PROTO_ESP, sa->xf[k].raw + 8,
					                   sa->xf[k].rawlen - 8, &sa->xf[k].a);
			}
			free(sa);
			break;
		case ISAKMP_PL_ID:
			if (isakmp_id_parse(pl->body, pl->len, &id) == 0)
				isakmp_id_str(&id, s, sizeof s);
			break;
		case ISAKMP_PL_N:
			isakmp_notify_parse(pl->body, pl->len, &n);
			break;
		case ISAKMP_PL_D:
			isakmp_delete_parse(pl->body, pl->len, &d);
			break;
		case ISAKMP_PL_NATOA:
		case ISAKMP_PL_NATOA_DRAFT:
			isakmp_natoa_parse(pl->body, pl->len, &a);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isakmp_msg m;
	if (isakmp_msg_parse(data, size, &m) == 0)
		bodies(&m);
	/* the same bytes as a decrypted body: first byte = first payload type */
	if (size > 1 && isakmp_chain_parse(data[0], data + 1, size - 1, true, &m) == 0)
		bodies(&m);
	return 0;
}
