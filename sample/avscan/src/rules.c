/* Load "name:pattern" lines from a rule database. */
#include <stdio.h>
#include <string.h>

#include "scan.h"

int
load_rules(const char *path, struct rule *rules, size_t max)
{
	char line[256];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (line[0] == '#' || colon == NULL)
			continue;
		*colon = '\0';
		line[strcspn(colon + 1, "\n") + (size_t)(colon + 1 - line)] =
		    '\0';
		snprintf(rules[n].name, sizeof(rules[n].name), "%.63s", line);
		snprintf(rules[n].pattern, sizeof(rules[n].pattern), "%.127s",
		    colon + 1);
		n++;
	}
	fclose(f);
	return (int)n;
}
