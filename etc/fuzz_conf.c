/* Any bytes as a config file: must never crash, leak or read out of bounds. */
#include <stdint.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], dump[16384];
	struct conf *c = conf_parse_buffer("fuzz.conf", (const char *)data, size, err, sizeof err);
	if (c) {
		conf_dump(c, dump, sizeof dump);
		conf_unref(c);
	}
	return 0;
}
