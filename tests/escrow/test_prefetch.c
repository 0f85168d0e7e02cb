/*
 * Unit tests for the read-ahead thread of escrow pack (prefetch.c): chunks
 * come in order with the right bytes (empty files, files of one slot, of
 * exactly one and two slots, of several, more files than the ring holds),
 * errors come at the file they concern, files that grow or shrink while
 * read are refused, and stopping early while the reader waits for room
 * does not hang or leak.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "escrow_int.h"
#include "sp_test.h"
#include "srcproof/srcproof.h"

#define SLOT ((size_t)256 << 10)

static char tmpdir[256];

static int
group_setup(void **state)
{
	(void)state;
	return sp_test_mkdtemp(tmpdir, sizeof(tmpdir), "prefetch") < 0 ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return sp_test_rmtree(tmpdir);
}

/* Byte @p i of file number @p f: distinct per file and position. */
static unsigned char
pattern(size_t f, size_t i)
{
	return (unsigned char)((i * 31 + f * 7 + (i >> 9)) & 0xff);
}

static char *
make_file(size_t f, size_t size)
{
	char *path = malloc(512);
	unsigned char *data = malloc(size + 1);
	size_t i;
	int fd;

	assert_non_null(path);
	assert_non_null(data);
	snprintf(path, 512, "%s/f%zu-%zu", tmpdir, f, size);
	for (i = 0; i < size; i++)
		data[i] = pattern(f, i);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	close(fd);
	free(data);
	return path;
}

/* Read every chunk of @p n files and check them against their pattern. */
static void
drain(sp_ctx *ctx, sp_prefetch *pf, const size_t *sizes, size_t n, size_t base)
{
	struct sp_prefetch_chunk c;
	size_t f;

	for (f = 0; f < n; f++) {
		size_t off = 0, i;
		bool first = true;

		do {
			assert_int_equal(sp_prefetch_next(pf, ctx, &c), 0);
			assert_int_equal(c.item, f);
			assert_int_equal(c.size, sizes[f]);
			assert_int_equal(c.first, first);
			assert_true(c.len <= SLOT);
			for (i = 0; i < c.len; i++) {
				if (c.data[i] != pattern(base + f, off + i))
					fail_msg("file %zu byte %zu differs", f,
					    off + i);
			}
			off += c.len;
			first = false;
		} while (!c.last);
		assert_int_equal(off, sizes[f]);
	}
	/* Nothing after the last file. */
	assert_int_not_equal(sp_prefetch_next(pf, ctx, &c), 0);
}

static void
test_prefetch__order_and_bytes(void **state)
{
	size_t sizes[] = {0, 1, 4095, SLOT - 1, SLOT, SLOT + 1, 2 * SLOT,
	    3 * SLOT + 17, 0, 100};
	size_t n = sizeof(sizes) / sizeof(sizes[0]), f;
	char *paths[sizeof(sizes) / sizeof(sizes[0])];
	sp_prefetch *pf = NULL;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	for (f = 0; f < n; f++)
		paths[f] = make_file(f, sizes[f]);
	assert_int_equal(sp_prefetch_start(ctx, &pf, paths, n), 0);
	drain(ctx, pf, sizes, n, 0);
	sp_prefetch_stop(pf);
	/* No files at all. */
	assert_int_equal(sp_prefetch_start(ctx, &pf, paths, 0), 0);
	drain(ctx, pf, sizes, 0, 0);
	sp_prefetch_stop(pf);
	for (f = 0; f < n; f++)
		free(paths[f]);
	sp_ctx_free(ctx);
}

/* More files than the ring has slots: the reader waits for room. */
static void
test_prefetch__many_files(void **state)
{
	enum { N = 300 };
	size_t sizes[N], f;
	char *paths[N];
	sp_prefetch *pf = NULL;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	for (f = 0; f < N; f++) {
		sizes[f] = (f * 977) % 6000;
		paths[f] = make_file(1000 + f, sizes[f]);
	}
	assert_int_equal(sp_prefetch_start(ctx, &pf, paths, N), 0);
	drain(ctx, pf, sizes, N, 1000);
	sp_prefetch_stop(pf);
	for (f = 0; f < N; f++)
		free(paths[f]);
	sp_ctx_free(ctx);
}

/* An error comes after the files before it, at the file it concerns. */
static void
test_prefetch__errors_in_order(void **state)
{
	size_t sizes[] = {10, 20}, f;
	char *paths[3], missing[512], fifo[512];
	struct sp_prefetch_chunk c;
	sp_prefetch *pf = NULL;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	paths[0] = make_file(2000, sizes[0]);
	paths[1] = make_file(2001, sizes[1]);
	snprintf(missing, sizeof(missing), "%s/not-there", tmpdir);
	paths[2] = missing;
	assert_int_equal(sp_prefetch_start(ctx, &pf, paths, 3), 0);
	for (f = 0; f < 2; f++) {
		assert_int_equal(sp_prefetch_next(pf, ctx, &c), 0);
		assert_int_equal(c.item, f);
		assert_true(c.last);
	}
	assert_int_equal(sp_prefetch_next(pf, ctx, &c), SP_ENOTFOUND);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "not-there"));
	sp_prefetch_stop(pf);

	/* Not a regular file: refused, not read (a FIFO would block). */
	snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	paths[2] = fifo;
	assert_int_equal(sp_prefetch_start(ctx, &pf, paths + 2, 1), 0);
	assert_int_equal(sp_prefetch_next(pf, ctx, &c), SP_EUNSAFE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "not a regular file"));
	sp_prefetch_stop(pf);

	/* A symbolic link is not followed. */
	snprintf(missing, sizeof(missing), "%s/link", tmpdir);
	assert_int_equal(symlink(paths[0], missing), 0);
	paths[2] = missing;
	assert_int_equal(sp_prefetch_start(ctx, &pf, paths + 2, 1), 0);
	assert_int_equal(sp_prefetch_next(pf, ctx, &c), SP_EUNSAFE);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "symbolic link"));
	sp_prefetch_stop(pf);
	free(paths[0]);
	free(paths[1]);
	sp_ctx_free(ctx);
}

/*
 * Files whose size at open is not what is read: /proc files say 0 bytes
 * and have more (grew); /sys attribute files say 4096 and have fewer
 * (shrank). Both are refused.
 */
static void
test_prefetch__size_changes(void **state)
{
	char *grow[] = {(char *)"/proc/self/status"};
	char *shrink[] = {
	    (char *)"/sys/kernel/mm/transparent_hugepage/enabled"};
	struct sp_prefetch_chunk c;
	sp_prefetch *pf = NULL;
	struct stat st;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	if (stat(grow[0], &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
		assert_int_equal(sp_prefetch_start(ctx, &pf, grow, 1), 0);
		assert_int_equal(sp_prefetch_next(pf, ctx, &c), SP_EVERIFY);
		assert_non_null(strstr(sp_ctx_errmsg(ctx), "grew while"));
		sp_prefetch_stop(pf);
	} else {
		print_message("no /proc: growth not tested\n");
	}
	if (stat(shrink[0], &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size == 4096) {
		int rc;

		assert_int_equal(sp_prefetch_start(ctx, &pf, shrink, 1), 0);
		/* What there is comes first, then the error. */
		while ((rc = sp_prefetch_next(pf, ctx, &c)) == 0)
			assert_false(c.last);
		assert_int_equal(rc, SP_EVERIFY);
		assert_non_null(strstr(sp_ctx_errmsg(ctx), "shrank while"));
		sp_prefetch_stop(pf);
	} else {
		print_message("no /sys attribute: shrinking not tested\n");
	}
	sp_ctx_free(ctx);
}

/* Stopping while the reader waits for room, or before the first chunk. */
static void
test_prefetch__stop_early(void **state)
{
	enum { N = 80 };
	size_t f;
	char *paths[N];
	struct sp_prefetch_chunk c;
	sp_prefetch *pf = NULL;
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	for (f = 0; f < N; f++)
		paths[f] = make_file(3000 + f, SLOT + 5);
	assert_int_equal(sp_prefetch_start(ctx, &pf, paths, N), 0);
	assert_int_equal(sp_prefetch_next(pf, ctx, &c), 0);
	usleep(50000); /* let the reader fill the ring and wait */
	sp_prefetch_stop(pf);
	assert_int_equal(sp_prefetch_start(ctx, &pf, paths, N), 0);
	sp_prefetch_stop(pf);
	sp_prefetch_stop(NULL);
	for (f = 0; f < N; f++)
		free(paths[f]);
	sp_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefetch__order_and_bytes),
	    cmocka_unit_test(test_prefetch__many_files),
	    cmocka_unit_test(test_prefetch__errors_in_order),
	    cmocka_unit_test(test_prefetch__size_changes),
	    cmocka_unit_test(test_prefetch__stop_early),
	};

	return cmocka_run_group_tests_name(
	    "escrow_prefetch", tests, group_setup, group_teardown);
}
