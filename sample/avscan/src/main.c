/* avscan RULES FILE...: report files matching a rule. */
#include <stdio.h>
#include <stdlib.h>

#include "scan.h"

#define MAX_RULES 1024

int
main(int argc, char **argv)
{
	static struct rule rules[MAX_RULES];
	static unsigned char data[1 << 20];
	int nrules, i, infected = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: avscan RULES FILE...\n");
		return 2;
	}
	nrules = load_rules(argv[1], rules, MAX_RULES);
	if (nrules < 0) {
		fprintf(stderr, "avscan: cannot read rules '%s'\n", argv[1]);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		const char *hit = NULL;
		size_t len;

		if (f == NULL) {
			fprintf(stderr, "avscan: cannot open '%s'\n", argv[i]);
			continue;
		}
		len = fread(data, 1, sizeof(data), f);
		fclose(f);
		if (scan_buffer(rules, (size_t)nrules, data, len, &hit)) {
			printf("%s: FOUND %s\n", argv[i], hit);
			infected = 1;
		} else {
			printf("%s: OK\n", argv[i]);
		}
	}
	return infected;
}
