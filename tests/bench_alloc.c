#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "bench_alloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define BENCH_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENCH_ALLOCS 0
#endif
#endif
#ifndef BENCH_ALLOCS
#define BENCH_ALLOCS 1
#endif

static volatile int counting;
static unsigned long n_allocs;

void bench_alloc_start(void)
{
	n_allocs = 0;
	counting = 1;
}

unsigned long bench_alloc_stop(void)
{
	counting = 0;
	return n_allocs;
}

static volatile int copy_counting, copy_exempt;
static unsigned long n_copies;

void bench_copy_start(void)
{
	n_copies = 0;
	copy_counting = 1;
}

unsigned long bench_copy_stop(void)
{
	copy_counting = 0;
	return n_copies;
}

void bench_copy_exempt(bool on)
{
	copy_exempt = on;
}

#if BENCH_ALLOCS
/* memcpy of every library (the cores are static libraries of this program; GnuTLS calls through
 * its PLT) lands here; the copy itself is glibc's mempcpy, through a volatile pointer so that the
 * compiler cannot turn the call back into one to memcpy. */
static void *(*volatile real_mempcpy)(void *, const void *, size_t) = mempcpy;
void *memcpy(void *restrict d, const void *restrict src, size_t n)
{
	if (copy_counting && !copy_exempt && n >= BENCH_COPY_MIN)
		n_copies++;
	real_mempcpy(d, src, n);
	return d;
}

/* glibc's real allocator entry points: the definitions below interpose on every library's
 * malloc, so an allocation anywhere on a measured path counts. */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t a, size_t b);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t al, size_t n);
void __libc_free(void *p);

void *malloc(size_t n)
{
	if (counting)
		n_allocs++;
	return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
	if (counting)
		n_allocs++;
	return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
	if (counting)
		n_allocs++;
	return __libc_realloc(p, n);
}
void *memalign(size_t al, size_t n)
{
	if (counting)
		n_allocs++;
	return __libc_memalign(al, n);
}
void *aligned_alloc(size_t al, size_t n)
{
	return memalign(al, n);
}
int posix_memalign(void **out, size_t al, size_t n)
{
	void *p = memalign(al, n);
	if (!p)
		return 12; /* ENOMEM */
	*out = p;
	return 0;
}
void free(void *p)
{
	__libc_free(p);
}

bool bench_alloc_available(void)
{
	void *volatile probe;
	bench_alloc_start();
	probe = malloc(16);
	free(probe);
	probe = strdup("x");
	free(probe);
	if (bench_alloc_stop() != 2)
		return false;
	static uint8_t a[BENCH_COPY_MIN], b[BENCH_COPY_MIN];
	volatile size_t n = sizeof a; /* a call, not an inlined copy */
	bench_copy_start();
	memcpy(a, b, n);
	return bench_copy_stop() == 1;
}
#else
bool bench_alloc_available(void)
{
	return false;
}
#endif
