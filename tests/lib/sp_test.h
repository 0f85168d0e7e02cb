/*
 * Helpers shared by the cmocka unit tests: a private temporary directory
 * per test program, removed at the end.
 */
#ifndef SP_TEST_H
#define SP_TEST_H

#include <stdio.h>
#include <stdlib.h>

/** Make "$TMPDIR/sp-NAME-XXXXXX" (TMPDIR default /tmp) in @p dir; 0 or -1. */
static inline int
sp_test_mkdtemp(char *dir, size_t len, const char *name)
{
	const char *t = getenv("TMPDIR");
	int n =
	    snprintf(dir, len, "%s/sp-%s-XXXXXX", t != NULL ? t : "/tmp", name);

	if (n < 0 || (size_t)n >= len)
		return -1;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

/** Remove @p dir and everything below it; 0 or -1. */
static inline int
sp_test_rmtree(const char *dir)
{
	char cmd[1024];
	int n = snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);

	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

#endif
