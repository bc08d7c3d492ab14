/* Control-protocol codec: argv <-> one request line, and response line classification. */
#include <string.h>

#include "conf.h"

int ctl_split(const char *line, size_t len, char store[CTL_LINE], char *argv[CTL_MAX_ARGS])
{
	size_t i = 0, o = 0;
	int argc = 0;
	if (len >= CTL_LINE)
		return -1;
	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (argc == CTL_MAX_ARGS)
			return -1;
		argv[argc++] = store + o;
		if (line[i] == '"') {
			i++;
			for (;;) {
				if (i == len)
					return -1; /* unterminated quote */
				char ch = line[i++];
				if (ch == '"')
					break;
				if (ch == '\\') {
					if (i == len)
						return -1;
					ch = line[i++];
				}
				store[o++] = ch;
			}
			if (i < len && line[i] != ' ' && line[i] != '\t')
				return -1; /* "a"b */
		} else {
			while (i < len && line[i] != ' ' && line[i] != '\t') {
				if (line[i] == '"' || line[i] == '\\' || line[i] == 0)
					return -1;
				store[o++] = line[i++];
			}
		}
		store[o++] = 0;
	}
	return argc;
}

int ctl_join(char *out, size_t n, int argc, char *const argv[])
{
	size_t o = 0;
	for (int a = 0; a < argc; a++) {
		const char *s = argv[a];
		bool plain = *s != 0 && strpbrk(s, " \t\"\\") == NULL;
		if (strpbrk(s, "\n\r"))
			return -1; /* one request is one line */
		size_t need = (a ? 1 : 0) + strlen(s) * 2 + 2;
		if (o + need + 1 > n)
			return -1;
		if (a)
			out[o++] = ' ';
		if (plain) {
			memcpy(out + o, s, strlen(s));
			o += strlen(s);
			continue;
		}
		out[o++] = '"';
		for (; *s; s++) {
			if (*s == '"' || *s == '\\')
				out[o++] = '\\';
			out[o++] = *s;
		}
		out[o++] = '"';
	}
	out[o] = 0;
	return (int)o;
}

enum ctl_line_kind ctl_response_line(const char *line, size_t len, const char **text, size_t *tlen)
{
	*text = line;
	*tlen = 0;
	if (len >= 2 && line[0] == '-' && line[1] == ' ') {
		*text = line + 2;
		*tlen = len - 2;
		return CTL_BODY;
	}
	if (len == 3 && memcmp(line, "+ok", 3) == 0)
		return CTL_OK;
	if (len >= 1 && line[0] == '!') {
		*text = line + 1;
		*tlen = len - 1;
		return CTL_ERR;
	}
	return CTL_BAD;
}
