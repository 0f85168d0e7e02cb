#ifndef AVSCAN_SCAN_H
#define AVSCAN_SCAN_H
#include <stddef.h>

struct rule {
	char name[64];
	char pattern[128];
};

int scan_buffer(const struct rule *rules, size_t nrules,
    const unsigned char *data, size_t len, const char **hit);
int load_rules(const char *path, struct rule *rules, size_t max);

#endif
