/* The key log: Wireshark's ESP SA table ("esp_sa" UAT file, one quoted CSV record per SA:
 * protocol, source, destination, SPI, encryption, key, authentication, key), so tshark can
 * decrypt what rampart sends and receives. Off by default; see esp_conf.keylog. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esp_local.h"

static int hex(char *out, size_t n, const uint8_t *p, size_t len)
{
	if (n < 2 * len + 3)
		return -1;
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 0; i < len; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", p[i]);
	return 0;
}

int esp_keylog_line(const struct esp_sa_params *p, uint32_t spi, char *out, size_t n)
{
	const struct esp_encr_desc *e = esp_encr_find(p->encr, p->encr_keybits);
	const struct esp_auth_desc *a = e && !e->aead_icv ? esp_auth_find(p->auth, p->sha256_96) : NULL;
	if (!e || (!e->aead_icv && !a) || p->enc_key_len != e->key_len)
		return -1;
	/* the packet's outer source and destination: peer -> local for inbound SAs */
	const struct rp_addr *s = p->dir == ESP_DIR_IN ? &p->peer : &p->local;
	const struct rp_addr *d = p->dir == ESP_DIR_IN ? &p->local : &p->peer;
	char sip[RP_ADDR_STRLEN] = "*", dip[RP_ADDR_STRLEN] = "*";
	char ek[2 * ESP_KEY_MAX + 3], ak[2 * ESP_KEY_MAX + 3] = "";
	if (s->family)
		rp_addr_ipstr(s, sip, sizeof sip);
	if (d->family)
		rp_addr_ipstr(d, dip, sizeof dip);
	int fam = s->family == 6 || d->family == 6 ? 6 : 4;
	/* Wireshark wants the GCM salt appended to the key, as RFC 4106 §8.1 keying material is */
	hex(ek, sizeof ek, p->enc_key, p->enc_key_len);
	if (a)
		hex(ak, sizeof ak, p->auth_key, p->auth_key_len);
	int r = snprintf(out, n, "\"IPv%d\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"%s\",\"%s\",\"%s\"", fam, sip,
	                 dip, spi, e->ws, ek, a ? a->ws : "NULL", ak);
	rp_wipe(ek, sizeof ek);
	rp_wipe(ak, sizeof ak);
	return r > 0 && (size_t)r < n ? r : -1;
}

int esp_keylog_append(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	/* an existing file may have been created with a laxer mode: keys are secrets */
	if (fchmod(fd, 0600) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	size_t len = strlen(line);
	char buf[600];
	int rc = 0;
	if (len + 1 > sizeof buf) {
		rc = -EINVAL;
	} else {
		memcpy(buf, line, len);
		buf[len] = '\n';
		/* one write per record: O_APPEND keeps concurrent appenders' lines whole */
		if (write(fd, buf, len + 1) != (ssize_t)(len + 1))
			rc = -EIO;
		rp_wipe(buf, len + 1);
	}
	close(fd);
	return rc;
}
