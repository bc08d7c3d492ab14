/* ISAKMP message builder: everything goes through rp_wr (sticky errors, bounded), lengths and
 * next-payload fields are back-patched so a payload never states a size it does not have. */
#include <string.h>

#include "isakmp.h"

void isakmp_wr_init(struct isakmp_wr *iw, void *buf, size_t cap)
{
	rp_wr_init(&iw->w, buf, cap);
	iw->np_at = SIZE_MAX;
	iw->body_at = 0;
}

void isakmp_wr_hdr(struct isakmp_wr *iw, const uint8_t icky[8], const uint8_t rcky[8], uint8_t exch,
                   uint8_t flags, uint32_t msgid)
{
	rp_wr_bytes(&iw->w, icky, 8);
	rp_wr_bytes(&iw->w, rcky, 8);
	iw->np_at = iw->w.len;
	rp_wr_u8(&iw->w, ISAKMP_PL_NONE);
	rp_wr_u8(&iw->w, ISAKMP_VERSION);
	rp_wr_u8(&iw->w, exch);
	rp_wr_u8(&iw->w, flags);
	rp_wr_u32(&iw->w, msgid);
	rp_wr_u32(&iw->w, 0); /* patched by isakmp_wr_finish */
	iw->body_at = iw->w.len;
}

size_t isakmp_wr_begin(struct isakmp_wr *iw, uint8_t type)
{
	if (iw->np_at != SIZE_MAX && iw->np_at < iw->w.len && !iw->w.err)
		iw->w.p[iw->np_at] = type;
	size_t start = iw->w.len;
	iw->np_at = start;
	rp_wr_u8(&iw->w, ISAKMP_PL_NONE);
	rp_wr_u8(&iw->w, 0);
	rp_wr_u16(&iw->w, 0);
	return start;
}

void isakmp_wr_end(struct isakmp_wr *iw, size_t start)
{
	size_t n = iw->w.len - start;
	if (n > 0xffff)
		iw->w.err = true;
	else
		rp_wr_put_u16_at(&iw->w, start + 2, (uint16_t)n);
}

void isakmp_wr_pl(struct isakmp_wr *iw, uint8_t type, const void *body, size_t len)
{
	size_t s = isakmp_wr_begin(iw, type);
	rp_wr_bytes(&iw->w, body, len);
	isakmp_wr_end(iw, s);
}

void isakmp_wr_notify(struct isakmp_wr *iw, uint8_t proto, const uint8_t *spi, size_t spi_size, uint16_t type,
                      const void *data, size_t len)
{
	size_t s = isakmp_wr_begin(iw, ISAKMP_PL_N);
	rp_wr_u32(&iw->w, 1); /* IPsec DOI */
	rp_wr_u8(&iw->w, proto);
	rp_wr_u8(&iw->w, (uint8_t)spi_size);
	rp_wr_u16(&iw->w, type);
	rp_wr_bytes(&iw->w, spi, spi_size);
	rp_wr_bytes(&iw->w, data, len);
	isakmp_wr_end(iw, s);
}

void isakmp_wr_delete(struct isakmp_wr *iw, uint8_t proto, const uint8_t *spi, size_t spi_size)
{
	size_t s = isakmp_wr_begin(iw, ISAKMP_PL_D);
	rp_wr_u32(&iw->w, 1);
	rp_wr_u8(&iw->w, proto);
	rp_wr_u8(&iw->w, (uint8_t)spi_size);
	rp_wr_u16(&iw->w, 1);
	rp_wr_bytes(&iw->w, spi, spi_size);
	isakmp_wr_end(iw, s);
}

void isakmp_wr_id(struct isakmp_wr *iw, uint8_t idtype, uint8_t proto, uint16_t port, const void *data,
                  size_t len)
{
	size_t s = isakmp_wr_begin(iw, ISAKMP_PL_ID);
	rp_wr_u8(&iw->w, idtype);
	rp_wr_u8(&iw->w, proto);
	rp_wr_u16(&iw->w, port);
	rp_wr_bytes(&iw->w, data, len);
	isakmp_wr_end(iw, s);
}

void isakmp_wr_sa_reply(struct isakmp_wr *iw, uint32_t doi, uint32_t sit, uint8_t pnum, uint8_t proto,
                        const uint8_t *spi, size_t spi_size, const struct isakmp_xf *xf)
{
	size_t s = isakmp_wr_begin(iw, ISAKMP_PL_SA);
	rp_wr_u32(&iw->w, doi);
	rp_wr_u32(&iw->w, sit);
	size_t ps = iw->w.len;
	rp_wr_u8(&iw->w, ISAKMP_PL_NONE); /* the only proposal */
	rp_wr_u8(&iw->w, 0);
	rp_wr_u16(&iw->w, 0);
	rp_wr_u8(&iw->w, pnum);
	rp_wr_u8(&iw->w, proto);
	rp_wr_u8(&iw->w, (uint8_t)spi_size);
	rp_wr_u8(&iw->w, 1);
	rp_wr_bytes(&iw->w, spi, spi_size);
	rp_wr_u8(&iw->w, ISAKMP_PL_NONE); /* the only transform */
	rp_wr_u8(&iw->w, 0);
	rp_wr_u16(&iw->w, (uint16_t)xf->rawlen);
	rp_wr_bytes(&iw->w, xf->raw + ISAKMP_GEN_LEN, xf->rawlen - ISAKMP_GEN_LEN);
	size_t pn = iw->w.len - ps;
	rp_wr_put_u16_at(&iw->w, ps + 2, (uint16_t)pn);
	isakmp_wr_end(iw, s);
}

size_t isakmp_wr_finish(struct isakmp_wr *iw)
{
	if (iw->w.err || iw->w.len < ISAKMP_HDR_LEN)
		return 0;
	uint8_t *p = iw->w.p;
	rp_put_u32(p + 24, (uint32_t)iw->w.len);
	return iw->w.len;
}
