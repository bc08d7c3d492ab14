/* Control-protocol lines from a (local, but untrusted) client: split, re-join, split again. */
#include <stdint.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char store[CTL_LINE], store2[CTL_LINE], line[CTL_LINE * 2 + 4], *argv[CTL_MAX_ARGS], *argv2[CTL_MAX_ARGS];
	int argc = ctl_split((const char *)data, size, store, argv);
	if (argc > 0) {
		int n = ctl_join(line, sizeof line, argc, argv);
		if (n >= 0 && ctl_split(line, (size_t)n, store2, argv2) != argc)
			__builtin_trap(); /* join must produce what split reads back */
	}
	const char *t;
	size_t tl;
	ctl_response_line((const char *)data, size, &t, &tl);
	return 0;
}
