/* rampart RADIUS: a sans-IO codec for the NAS side (RFC 2865 authentication, RFC 2866
 * accounting, RFC 3579 §3.2 Message-Authenticator, RFC 5176 Disconnect, RFC 2548 MS-CHAP
 * attributes). No sockets, no clock: server/srv_radius.c owns those.
 *
 * Why not radcli: its request path (rc_aaa, rc_acct, rc_send_server) opens, sends, waits and
 * retries itself, blocking the caller, and it reads its own configuration and dictionary files
 * at run time; rampartd answers every client on one libuv loop and configures itself from
 * rampart.conf. What we need of RADIUS is small and fixed (a few attributes, three
 * authenticators), so the packets are built and checked here, with constant-time comparisons
 * and unit tests against the RFC 2865 §7.1 example.
 */
#ifndef RP_RADIUS_H
#define RP_RADIUS_H

#include "rp_base.h"

enum rad_code {
	RAD_ACCESS_REQUEST = 1,
	RAD_ACCESS_ACCEPT = 2,
	RAD_ACCESS_REJECT = 3,
	RAD_ACCT_REQUEST = 4,
	RAD_ACCT_RESPONSE = 5,
	RAD_ACCESS_CHALLENGE = 11,
	RAD_DISCONNECT_REQUEST = 40,
	RAD_DISCONNECT_ACK = 41,
	RAD_DISCONNECT_NAK = 42,
	RAD_COA_REQUEST = 43,
	RAD_COA_ACK = 44,
	RAD_COA_NAK = 45,
};

enum rad_attr {
	RAD_USER_NAME = 1,
	RAD_USER_PASSWORD = 2,
	RAD_CHAP_PASSWORD = 3,
	RAD_NAS_IP_ADDRESS = 4,
	RAD_NAS_PORT = 5,
	RAD_SERVICE_TYPE = 6,
	RAD_FRAMED_PROTOCOL = 7,
	RAD_FRAMED_IP_ADDRESS = 8,
	RAD_FRAMED_MTU = 12,
	RAD_REPLY_MESSAGE = 18,
	RAD_CLASS = 25,
	RAD_VENDOR_SPECIFIC = 26,
	RAD_SESSION_TIMEOUT = 27,
	RAD_IDLE_TIMEOUT = 28,
	RAD_CALLING_STATION_ID = 31,
	RAD_NAS_IDENTIFIER = 32,
	RAD_ACCT_STATUS_TYPE = 40,
	RAD_ACCT_DELAY_TIME = 41,
	RAD_ACCT_INPUT_OCTETS = 42,
	RAD_ACCT_OUTPUT_OCTETS = 43,
	RAD_ACCT_SESSION_ID = 44,
	RAD_ACCT_AUTHENTIC = 45,
	RAD_ACCT_SESSION_TIME = 46,
	RAD_ACCT_INPUT_PACKETS = 47,
	RAD_ACCT_OUTPUT_PACKETS = 48,
	RAD_ACCT_TERMINATE_CAUSE = 49,
	RAD_ACCT_INPUT_GIGAWORDS = 52,
	RAD_ACCT_OUTPUT_GIGAWORDS = 53,
	RAD_EVENT_TIMESTAMP = 55,
	RAD_ACCT_INTERIM_INTERVAL = 85,
	RAD_CHAP_CHALLENGE = 60,
	RAD_NAS_PORT_TYPE = 61,
	RAD_PORT_LIMIT = 62,
	RAD_MESSAGE_AUTHENTICATOR = 80,
	RAD_ERROR_CAUSE = 101,
};

enum { RAD_VENDOR_MICROSOFT = 311 };
enum {
	RAD_MS_CHAP_ERROR = 2,
	RAD_MS_CHAP_CHALLENGE = 11,
	RAD_MS_CHAP2_RESPONSE = 25,
	RAD_MS_CHAP2_SUCCESS = 26
};
enum { RAD_ACCT_START = 1, RAD_ACCT_STOP = 2, RAD_ACCT_INTERIM = 3 };
/* RFC 2866 §5.10 Acct-Terminate-Cause values rampart reports */
enum {
	RAD_TC_USER_REQUEST = 1,
	RAD_TC_LOST_CARRIER = 2,
	RAD_TC_IDLE_TIMEOUT = 4,
	RAD_TC_SESSION_TIMEOUT = 5,
	RAD_TC_ADMIN_RESET = 6,
	RAD_TC_NAS_ERROR = 9,
	RAD_TC_NAS_REQUEST = 10,
	RAD_TC_NAS_REBOOT = 11,
	RAD_TC_USER_ERROR = 17,
};
/* RFC 5176 §3.5 Error-Cause */
enum { RAD_EC_SESSION_NOT_FOUND = 503, RAD_EC_UNSUPPORTED_SERVICE = 405, RAD_EC_MISSING_ATTRIBUTE = 402 };

enum { RAD_HDR = 20, RAD_MAX = 4096 };

/* Building: a packet in a caller's buffer. Errors (no room, value too long) stick: rad_finish
 * then fails. */
struct rad_wr {
	uint8_t *b;
	size_t cap, len;
	size_t ma_off; /* where the Message-Authenticator value goes, 0 if none */
	bool err;
};

void rad_begin(struct rad_wr *w, uint8_t *buf, size_t cap, uint8_t code, uint8_t id, const uint8_t auth[16]);
void rad_put(struct rad_wr *w, uint8_t type, const void *v, size_t n);
void rad_put_u32(struct rad_wr *w, uint8_t type, uint32_t v);
void rad_put_str(struct rad_wr *w, uint8_t type, const char *s);
void rad_put_vsa(struct rad_wr *w, uint32_t vendor, uint8_t vtype, const void *v, size_t n);
/* RFC 2865 §5.2 User-Password, hidden with the secret and the Request Authenticator. */
void rad_put_password(struct rad_wr *w, const uint8_t *secret, size_t sl, const uint8_t req_auth[16],
                      const uint8_t *pw, size_t pl);
/* RFC 3579 §3.2: room for the Message-Authenticator, filled in by rad_finish. */
void rad_put_msg_auth(struct rad_wr *w);

enum rad_sign {
	RAD_SIGN_ACCESS_REQUEST, /* the Request Authenticator is the random one given to rad_begin */
	RAD_SIGN_REQUEST,        /* Accounting/Disconnect/CoA-Request: MD5 over zeros (RFC 2866 §3) */
	RAD_SIGN_RESPONSE,       /* a reply: MD5 with the request's authenticator (RFC 2865 §3) */
};
/* Sets the length, the Message-Authenticator and the Authenticator. Returns the packet length or
 * -1. req_auth: the request's authenticator for RAD_SIGN_RESPONSE. */
int rad_finish(struct rad_wr *w, enum rad_sign sign, const uint8_t *secret, size_t sl,
               const uint8_t *req_auth);

/* Checking. rad_validate: header, length (bytes past it are padding, RFC 2865 §3) and every
 * attribute's length; returns the packet length or -1. */
int rad_validate(const uint8_t *p, size_t n);
/* A reply to our request (id and authenticator req_auth): the Response Authenticator and, when
 * present, the Message-Authenticator must verify; need_ma makes its absence an error. 0 or -1. */
int rad_check_response(const uint8_t *p, size_t len, const uint8_t *secret, size_t sl,
                       const uint8_t req_auth[16], bool need_ma);
/* A request signed RAD_SIGN_REQUEST (a Disconnect-Request to us). 0 or -1. */
int rad_check_request(const uint8_t *p, size_t len, const uint8_t *secret, size_t sl);

/* The first attribute of a type (vendor 0: a standard one; else a Vendor-Specific sub-attribute
 * of that vendor, RFC 2865 §5.26 layout). 0 and *v, *n set, or -1. */
int rad_find(const uint8_t *p, size_t len, uint32_t vendor, uint8_t type, const uint8_t **v, size_t *n);
int rad_find_u32(const uint8_t *p, size_t len, uint8_t type, uint32_t *out);
/* Walks the attributes: *off starts at RAD_HDR; returns 0 with type/v/n, -1 at the end. */
int rad_next(const uint8_t *p, size_t len, size_t *off, uint8_t *type, const uint8_t **v, size_t *n);

const char *rad_code_name(unsigned code);
const char *rad_attr_name(unsigned type); /* NULL when not one rampart knows */
/* One attribute as "Name = value" for an operator (rampartctl radius test): numbers in decimal,
 * addresses dotted, text quoted with what is not printable escaped, the rest in hex; an attribute
 * rampart has no name for is "Attr-N". Returns the length written (truncated to fit out). */
size_t rad_attr_str(uint8_t type, const uint8_t *v, size_t n, char *out, size_t cap);

#endif
