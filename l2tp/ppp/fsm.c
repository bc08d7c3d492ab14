/* The RFC 1661 §4 option-negotiation automaton, shared by LCP and IPCP through struct
 * ppp_fsm_cb. Events and actions follow the state transition table of §4.1 (tlu/tld/tls/tlf,
 * irc/zrc, scr/sca/scn/str/sta/scj). */
#include "ppp_local.h"

#include <string.h>

static const char *const st_names[] = {"Initial",  "Starting", "Closed",   "Stopped",  "Closing",
                                       "Stopping", "Req-Sent", "Ack-Rcvd", "Ack-Sent", "Opened"};

const char *fsm_state_name(int s)
{
	return s >= 0 && s < (int)RP_ARRAY_LEN(st_names) ? st_names[s] : "?";
}

void fsm_init(struct ppp_fsm *f, struct ppp *p, uint16_t proto, const struct ppp_fsm_cb *cb)
{
	memset(f, 0, sizeof *f);
	f->ppp = p;
	f->proto = proto;
	f->cb = cb;
	f->state = ST_INITIAL;
	f->id = (uint8_t)rp_rng_u32(p->rng);
}

void fsm_send(struct ppp_fsm *f, uint8_t code, uint8_t id, const uint8_t *data, size_t n)
{
	uint8_t b[1600];
	if (n + 4 > sizeof b)
		return;
	b[0] = code;
	b[1] = id;
	rp_put_u16(b + 2, (uint16_t)(n + 4));
	if (n)
		memcpy(b + 4, data, n);
	ppp_send_proto(f->ppp, f->proto, b, n + 4);
}

static void timer_start(struct ppp_fsm *f)
{
	f->timer = f->ppp->now + f->ppp->conf.restart_ms;
}

static void set_state(struct ppp_fsm *f, int s)
{
	if (f->state != s)
		rp_logf(f->ppp->log, RP_LOG_DETAIL, "ppp", "%s %s -> %s", f->cb->name,
		        fsm_state_name(f->state), fsm_state_name(s));
	f->state = s;
	if (s != ST_CLOSING && s != ST_STOPPING && s != ST_REQ_SENT && s != ST_ACK_RCVD && s != ST_ACK_SENT)
		f->timer = 0;
}

/* irc: restart counter for Configure or Terminate */
static void irc(struct ppp_fsm *f, bool conf)
{
	f->restarts = conf ? f->ppp->conf.max_configure : f->ppp->conf.max_terminate;
}

static void scr(struct ppp_fsm *f)
{
	struct rp_wr w;
	/* a new negotiation starts from fresh options (§4.6 irc context) */
	if (f->state != ST_REQ_SENT && f->state != ST_ACK_RCVD && f->state != ST_ACK_SENT) {
		if (f->cb->resetci)
			f->cb->resetci(f);
		f->naks = 0;
	}
	rp_wr_init(&w, f->req, sizeof f->req);
	f->cb->addci(f, &w);
	f->req_len = rp_wr_ok(&w) ? w.len : 0;
	f->reqid = f->id++;
	f->reqid_valid = true;
	fsm_send(f, CP_CONF_REQ, f->reqid, f->req, f->req_len);
	if (f->restarts)
		f->restarts--;
	timer_start(f);
}

static void str(struct ppp_fsm *f)
{
	/* The data of an LCP Terminate-Request is what the client's pppd prints ("LCP terminated
	 * by peer (closed by administrator)"): the reason we are closing, when there is one. */
	const char *why = f->proto == PPP_LCP && f->ppp->down_text[0] ? f->ppp->down_text : "closing";
	fsm_send(f, CP_TERM_REQ, f->id++, (const uint8_t *)why, strlen(why));
	if (f->restarts)
		f->restarts--;
	timer_start(f);
}

static void tlu(struct ppp_fsm *f)
{
	if (f->cb->up)
		f->cb->up(f);
}
static void tld(struct ppp_fsm *f)
{
	if (f->cb->down)
		f->cb->down(f);
}
static void tlf(struct ppp_fsm *f)
{
	if (f->cb->finished)
		f->cb->finished(f);
}

void fsm_lowerup(struct ppp_fsm *f)
{
	if (f->state == ST_INITIAL)
		set_state(f, ST_CLOSED);
	else if (f->state == ST_STARTING) {
		irc(f, true);
		scr(f);
		set_state(f, ST_REQ_SENT);
	}
}

void fsm_lowerdown(struct ppp_fsm *f)
{
	switch (f->state) {
	case ST_CLOSED:
		set_state(f, ST_INITIAL);
		break;
	case ST_STOPPED:
		set_state(f, ST_STARTING);
		break;
	case ST_CLOSING:
		set_state(f, ST_INITIAL);
		break;
	case ST_STOPPING:
	case ST_REQ_SENT:
	case ST_ACK_RCVD:
	case ST_ACK_SENT:
		set_state(f, ST_STARTING);
		break;
	case ST_OPENED:
		tld(f);
		set_state(f, ST_STARTING);
		break;
	default:
		break;
	}
}

void fsm_open(struct ppp_fsm *f)
{
	switch (f->state) {
	case ST_INITIAL:
		set_state(f, ST_STARTING);
		break;
	case ST_CLOSED:
		irc(f, true);
		scr(f);
		set_state(f, ST_REQ_SENT);
		break;
	case ST_CLOSING:
		set_state(f, ST_STOPPING);
		break;
	default:
		break;
	}
}

void fsm_close(struct ppp_fsm *f, const char *why)
{
	(void)why;
	switch (f->state) {
	case ST_STARTING:
		set_state(f, ST_INITIAL);
		tlf(f);
		break;
	case ST_STOPPED:
		set_state(f, ST_CLOSED);
		break;
	case ST_STOPPING:
		set_state(f, ST_CLOSING);
		break;
	case ST_OPENED:
		tld(f);
		/* fall through */
	case ST_REQ_SENT:
	case ST_ACK_RCVD:
	case ST_ACK_SENT:
		irc(f, false);
		str(f);
		set_state(f, ST_CLOSING);
		break;
	default:
		break;
	}
}

void fsm_timeout(struct ppp_fsm *f)
{
	f->timer = 0;
	switch (f->state) {
	case ST_CLOSING:
	case ST_STOPPING:
		if (f->restarts == 0) {
			set_state(f, f->state == ST_CLOSING ? ST_CLOSED : ST_STOPPED);
			tlf(f);
		} else
			str(f);
		break;
	case ST_REQ_SENT:
	case ST_ACK_RCVD:
	case ST_ACK_SENT:
		if (f->restarts == 0) {
			set_state(f, ST_STOPPED);
			tlf(f);
		} else {
			scr(f);
			if (f->state == ST_ACK_RCVD)
				set_state(f, ST_REQ_SENT);
		}
		break;
	default:
		break;
	}
}

/* Walks the peer's options; builds the Ack (a copy), Nak or Reject answer (§5.1-5.4). */
static int rcr_verdict(struct ppp_fsm *f, const uint8_t *p, size_t n, uint8_t *out, size_t *olen)
{
	struct rp_rd r;
	struct rp_wr nak, rej;
	uint8_t nakb[256], rejb[256];
	rp_rd_init(&r, p, n);
	rp_wr_init(&nak, nakb, sizeof nakb);
	rp_wr_init(&rej, rejb, sizeof rejb);
	while (rp_rd_left(&r)) {
		uint8_t type, len, sugg[64];
		const uint8_t *v;
		size_t sl = 0;
		/* validated before (ppp_ctl_validate), so these cannot fail */
		if (rp_rd_u8(&r, &type) || rp_rd_u8(&r, &len) || len < 2 || rp_rd_ref(&r, &v, len - 2))
			return -1;
		int vd = f->cb->reqopt(f, type, v, len - 2u, sugg, &sl);
		/* §4.6 Max-Failure: stop Nak-ing an option the peer keeps sending, reject it */
		if (vd == OPT_NAK && f->naks >= f->ppp->conf.max_failure)
			vd = OPT_REJ;
		if (vd == OPT_REJ) {
			rp_wr_u8(&rej, type);
			rp_wr_u8(&rej, len);
			rp_wr_bytes(&rej, v, len - 2u);
		} else if (vd == OPT_NAK) {
			rp_wr_u8(&nak, type);
			rp_wr_u8(&nak, (uint8_t)(sl + 2));
			rp_wr_bytes(&nak, sugg, sl);
		}
	}
	if (f->cb->reqmissing && f->naks < f->ppp->conf.max_failure)
		f->cb->reqmissing(f, &nak);
	if (!rp_wr_ok(&nak) || !rp_wr_ok(&rej))
		return -1;
	if (rej.len) {
		memcpy(out, rejb, rej.len);
		*olen = rej.len;
		return CP_CONF_REJ;
	}
	if (nak.len) {
		memcpy(out, nakb, nak.len);
		*olen = nak.len;
		f->naks++;
		return CP_CONF_NAK;
	}
	memcpy(out, p, n);
	*olen = n;
	return CP_CONF_ACK;
}

static void rcr(struct ppp_fsm *f, uint8_t id, const uint8_t *p, size_t n)
{
	uint8_t out[256];
	size_t olen = 0;
	if (n > sizeof out)
		return; /* an implausibly long request: dropped (its options would not fit an Ack) */
	switch (f->state) {
	case ST_CLOSED:
		fsm_send(f, CP_TERM_ACK, id, NULL, 0);
		return;
	case ST_CLOSING:
	case ST_STOPPING:
		return;
	case ST_OPENED:
		tld(f);
		scr(f);
		break;
	case ST_STOPPED:
		irc(f, true);
		scr(f);
		set_state(f, ST_REQ_SENT);
		break;
	default:
		break;
	}
	int code = rcr_verdict(f, p, n, out, &olen);
	if (code < 0)
		return;
	fsm_send(f, (uint8_t)code, id, out, olen);
	if (code == CP_CONF_ACK) {
		if (f->state == ST_ACK_RCVD) {
			set_state(f, ST_OPENED);
			tlu(f);
		} else
			set_state(f, ST_ACK_SENT);
	} else if (f->state == ST_ACK_SENT || f->state == ST_OPENED)
		set_state(f, ST_REQ_SENT);
	else if (f->state != ST_ACK_RCVD)
		set_state(f, ST_REQ_SENT);
}

static void walk(struct ppp_fsm *f, const uint8_t *p, size_t n, bool nak)
{
	struct rp_rd r;
	rp_rd_init(&r, p, n);
	while (rp_rd_left(&r)) {
		uint8_t type, len;
		const uint8_t *v;
		if (rp_rd_u8(&r, &type) || rp_rd_u8(&r, &len) || len < 2 || rp_rd_ref(&r, &v, len - 2))
			return;
		if (nak)
			f->cb->nakopt(f, type, v, len - 2u);
		else
			f->cb->rejopt(f, type);
	}
}

static void rca_rcn(struct ppp_fsm *f, uint8_t code, uint8_t id, const uint8_t *p, size_t n)
{
	/* §5.2-5.4: answers to anything but our outstanding request are discarded */
	if (!f->reqid_valid || id != f->reqid)
		return;
	if (code == CP_CONF_ACK && (n != f->req_len || memcmp(p, f->req, n)))
		return; /* an Ack must repeat our options exactly */
	f->reqid_valid = false;
	switch (f->state) {
	case ST_CLOSED:
	case ST_STOPPED:
		fsm_send(f, CP_TERM_ACK, id, NULL, 0);
		return;
	case ST_CLOSING:
	case ST_STOPPING:
		return;
	default:
		break;
	}
	if (code == CP_CONF_NAK)
		walk(f, p, n, true);
	else if (code == CP_CONF_REJ)
		walk(f, p, n, false);
	switch (f->state) {
	case ST_REQ_SENT:
		irc(f, true);
		if (code == CP_CONF_ACK)
			set_state(f, ST_ACK_RCVD);
		else
			scr(f);
		break;
	case ST_ACK_RCVD: /* crossed connection */
		scr(f);
		set_state(f, ST_REQ_SENT);
		break;
	case ST_ACK_SENT:
		irc(f, true);
		if (code == CP_CONF_ACK) {
			set_state(f, ST_OPENED);
			tlu(f);
		} else
			scr(f);
		break;
	case ST_OPENED:
		tld(f);
		scr(f);
		set_state(f, ST_REQ_SENT);
		break;
	default:
		break;
	}
}

static void rtr(struct ppp_fsm *f, uint8_t id)
{
	fsm_send(f, CP_TERM_ACK, id, NULL, 0);
	switch (f->state) {
	case ST_ACK_RCVD:
	case ST_ACK_SENT:
		set_state(f, ST_REQ_SENT);
		break;
	case ST_OPENED:
		f->term_reason = 1; /* the peer ended it */
		tld(f);
		f->restarts = 0; /* zrc: wait one restart period, then finish */
		set_state(f, ST_STOPPING);
		timer_start(f);
		break;
	default:
		break;
	}
}

static void rta(struct ppp_fsm *f)
{
	switch (f->state) {
	case ST_CLOSING:
		set_state(f, ST_CLOSED);
		tlf(f);
		break;
	case ST_STOPPING:
		set_state(f, ST_STOPPED);
		tlf(f);
		break;
	case ST_ACK_RCVD:
		set_state(f, ST_REQ_SENT);
		break;
	case ST_OPENED:
		tld(f);
		scr(f);
		set_state(f, ST_REQ_SENT);
		break;
	default:
		break;
	}
}

/* RXJ-: the peer rejected something this automaton cannot do without */
void fsm_protreject(struct ppp_fsm *f)
{
	switch (f->state) {
	case ST_CLOSING:
		set_state(f, ST_CLOSED);
		tlf(f);
		break;
	case ST_STOPPING:
	case ST_REQ_SENT:
	case ST_ACK_RCVD:
	case ST_ACK_SENT:
		set_state(f, ST_STOPPED);
		tlf(f);
		break;
	case ST_OPENED:
		tld(f);
		irc(f, false);
		str(f);
		set_state(f, ST_STOPPING);
		break;
	default:
		break;
	}
}

void fsm_input(struct ppp_fsm *f, const uint8_t *p, size_t n)
{
	int len = ppp_ctl_validate(p, n, p && n && p[0] >= CP_CONF_REQ && p[0] <= CP_CONF_REJ);
	if (len < 0)
		return;
	uint8_t code = p[0], id = p[1];
	const uint8_t *d = p + 4;
	size_t dn = (size_t)len - 4;
	if (f->state == ST_INITIAL || f->state == ST_STARTING)
		return; /* §4.1: packets in these states are unexpected; silently discarded */
	bool first = !f->heard;
	f->heard = true;
	switch (code) {
	case CP_CONF_REQ:
		rcr(f, id, d, dn);
		/* The peer's first request shows it is listening now. Our own request may have been
		 * sent before it was (xl2tpd starts pppd only after the ICCN, so the Configure-Request
		 * we send at ICCN is lost). Resending at once would make a peer that did get it and
		 * reached Opened renegotiate (§4.1: RCR in Opened), so the restart timer is only
		 * shortened to 1 s: an Ack within a normal round trip cancels it, a lost request is
		 * resent 2 s sooner than the 3 s default. */
		if (first && f->reqid_valid && (f->state == ST_REQ_SENT || f->state == ST_ACK_SENT)) {
			uint64_t soon =
			    f->ppp->now + (f->ppp->conf.restart_ms < 1000 ? f->ppp->conf.restart_ms : 1000);
			if (f->timer > soon)
				f->timer = soon;
		}
		break;
	case CP_CONF_ACK:
	case CP_CONF_NAK:
	case CP_CONF_REJ:
		rca_rcn(f, code, id, d, dn);
		break;
	case CP_TERM_REQ:
		rtr(f, id);
		break;
	case CP_TERM_ACK:
		rta(f);
		break;
	case CP_CODE_REJ:
		/* RXJ: a rejected basic code (1-7) is catastrophic; an extension code is not */
		if (dn >= 1 && d[0] >= CP_CONF_REQ && d[0] <= CP_CODE_REJ)
			fsm_protreject(f);
		break;
	default:
		if (!f->cb->extcode || !f->cb->extcode(f, code, id, d, dn)) {
			/* RUC: Code-Reject carrying the offending packet (§5.6) */
			if (f->state == ST_OPENED || f->state == ST_ACK_SENT || f->state == ST_REQ_SENT ||
			    f->state == ST_ACK_RCVD)
				fsm_send(f, CP_CODE_REJ, f->id++, p, (size_t)len);
		}
		break;
	}
}
