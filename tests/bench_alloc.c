#include <stdlib.h>
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

#if BENCH_ALLOCS
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
void *aligned_alloc(size_t al, size_t n) { return memalign(al, n); }
int posix_memalign(void **out, size_t al, size_t n)
{
	void *p = memalign(al, n);
	if (!p)
		return 12; /* ENOMEM */
	*out = p;
	return 0;
}
void free(void *p) { __libc_free(p); }

bool bench_alloc_available(void)
{
	void *volatile probe;
	bench_alloc_start();
	probe = malloc(16);
	free(probe);
	probe = strdup("x");
	free(probe);
	return bench_alloc_stop() == 2;
}
#else
bool bench_alloc_available(void) { return false; }
#endif
