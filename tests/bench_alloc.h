#ifndef BENCH_ALLOC_H
#define BENCH_ALLOC_H
/* Counts every allocation made by any library (GnuTLS and nettle included) between start and
 * stop, by interposing on malloc & co. in rampart-bench. Not available under ASan, which owns
 * malloc: figures from sanitizer builds are not representative anyway. */
#include <stdbool.h>

bool bench_alloc_available(void); /* also self-checks that the counter sees malloc and strdup */
void bench_alloc_start(void);
unsigned long bench_alloc_stop(void);
/* Copies: every memcpy of at least BENCH_COPY_MIN bytes (a packet's payload, not a header or an
 * address) by any library between copy_start and copy_stop, by interposing on memcpy. A loop
 * that stands in for the kernel's copy (a recvmmsg or TUN read into the buffer) brackets it with
 * bench_copy_exempt(true/false). */
#define BENCH_COPY_MIN 256
void bench_copy_start(void);
unsigned long bench_copy_stop(void);
void bench_copy_exempt(bool on);
#endif
