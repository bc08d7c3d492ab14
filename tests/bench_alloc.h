#ifndef BENCH_ALLOC_H
#define BENCH_ALLOC_H
/* Counts every allocation made by any library (GnuTLS and nettle included) between start and
 * stop, by interposing on malloc & co. in rampart-bench. Not available under ASan, which owns
 * malloc: figures from sanitizer builds are not representative anyway. */
#include <stdbool.h>

bool bench_alloc_available(void); /* also self-checks that the counter sees malloc and strdup */
void bench_alloc_start(void);
unsigned long bench_alloc_stop(void);
#endif
