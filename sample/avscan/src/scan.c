/* avscan: a toy signature scanner, the sample product of the srcproof demo. */
#include <stdio.h>
#include <string.h>

#include "scan.h"

int
scan_buffer(const struct rule *rules, size_t nrules, const unsigned char *data,
    size_t len, const char **hit)
{
	size_t i, j;

	for (i = 0; i < nrules; i++) {
		size_t plen = strlen(rules[i].pattern);

		if (plen == 0 || plen > len)
			continue;
		for (j = 0; j + plen <= len; j++) {
			if (memcmp(data + j, rules[i].pattern, plen) == 0) {
				*hit = rules[i].name;
				return 1;
			}
		}
	}
	return 0;
}
