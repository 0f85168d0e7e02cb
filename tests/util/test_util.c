/*
 * Unit tests for util: buffers, hex, escaping, paths, atomic writes, time.
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

#include "sp_test.h"
#include "srcproof/srcproof.h"
#include "util_int.h"

static char tmpdir[256];

static int
group_setup(void **state)
{
	(void)state;
	return sp_test_mkdtemp(tmpdir, sizeof(tmpdir), "util") < 0 ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return sp_test_rmtree(tmpdir);
}

static void
test_util_buf__grows_and_stays_terminated(void **state)
{
	sp_buf b = SP_BUF_INIT;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		assert_int_equal(sp_buf_printf(&b, "%d,", i), 0);
	assert_int_equal(b.ptr[b.size], '\0');
	assert_true(b.size > 2000);
	assert_memory_equal(b.ptr, "0,1,2,", 6);
	sp_buf_dispose(&b);
	assert_null(b.ptr);
}

static void
test_util_buf__respects_max(void **state)
{
	sp_buf b;

	(void)state;
	sp_buf_init(&b, 10);
	assert_int_equal(sp_buf_put(&b, "0123456789", 10), 0);
	assert_int_equal(sp_buf_putc(&b, 'x'), SP_ELIMIT);
	assert_int_equal(b.size, 10);
	assert_int_equal(sp_buf_reserve(&b, SIZE_MAX), SP_ELIMIT);
	sp_buf_dispose(&b);
}

static void
test_util_buf__detach_empty(void **state)
{
	sp_buf b = SP_BUF_INIT;
	char *s;

	(void)state;
	s = sp_buf_detach(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

static void
test_util_hex__roundtrip_and_reject(void **state)
{
	uint8_t in[4] = {0x00, 0xab, 0x7f, 0xff}, out[4];
	char hex[9];

	(void)state;
	sp_hex_encode(hex, in, 4);
	assert_string_equal(hex, "00ab7fff");
	assert_int_equal(sp_hex_decode(out, 4, hex, 8), 0);
	assert_memory_equal(in, out, 4);
	assert_int_equal(sp_hex_decode(out, 4, "00ab7ff", 7), SP_EPARSE);
	assert_int_equal(sp_hex_decode(out, 4, "00ab7fxg", 8), SP_EPARSE);
	assert_true(sp_is_lower_hex("00ab7fff", 8, 4));
	assert_false(sp_is_lower_hex("00AB7FFF", 8, 4));
	assert_true(sp_ct_equal(in, in, 4));
	assert_false(sp_ct_equal(in, out + 1, 3));
}

static void
test_util_escape__terminal(void **state)
{
	sp_buf b = SP_BUF_INIT;
	const char evil[] = "a\033[2Jb\n\\c\xff\xc3\xa9\xe2\x80\xae";

	(void)state;
	assert_int_equal(sp_escape_terminal(&b, evil, sizeof(evil) - 1), 0);
	assert_string_equal(
	    b.ptr, "a\\x1b[2Jb\\n\\\\c\\xff\xc3\xa9\\xe2\\x80\\xae");
	sp_buf_dispose(&b);
}

static void
test_util_escape__html(void **state)
{
	sp_buf b = SP_BUF_INIT;
	const char evil[] = "<img src=x onerror='a'>&\"\x01";

	(void)state;
	assert_int_equal(sp_escape_html(&b, evil, sizeof(evil) - 1), 0);
	assert_string_equal(
	    b.ptr, "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;\\x01");
	sp_buf_dispose(&b);
}

static void
test_util_escape__clean_utf8(void **state)
{
	(void)state;
	assert_true(sp_is_clean_utf8("h\xc3\xa9llo", 6));
	assert_false(sp_is_clean_utf8("a\tb", 3));
	assert_false(sp_is_clean_utf8("\xc0\xaf", 2));     /* overlong */
	assert_false(sp_is_clean_utf8("\xed\xa0\x80", 3)); /* surrogate */
	assert_false(sp_is_clean_utf8("\xc2\x9b", 2));     /* C1 CSI */
	assert_false(sp_is_clean_utf8("\x7f", 1));         /* DEL */
	assert_false(sp_is_clean_utf8("\xe2\x80\xae", 3)); /* RLO */
}

/* Strict UTF-8 with controls allowed: the rule of paths, names and notes. */
static void
test_util_escape__utf8_valid(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		bool ok;
	} cases[] = {
	    {"", 0, true}, {"a\tb\x1b\x7f", 5, true}, /* controls allowed */
	    {"a\0b", 3, true},                        /* NUL too */
	    {"\xc2\x9b", 2, true},                    /* C1 control */
	    {"\xc3\xa9", 2, true},                    /* U+00E9 */
	    {"\xe2\x82\xac", 3, true},                /* U+20AC */
	    {"\xf0\x9f\x98\x80", 4, true},            /* U+1F600 */
	    {"\xf4\x8f\xbf\xbf", 4, true},            /* U+10FFFF */
	    {"\xc0\xaf", 2, false},                   /* overlong '/' */
	    {"\xc1\xbf", 2, false},                   /* overlong */
	    {"\xe0\x80\xaf", 3, false},               /* overlong, 3 bytes */
	    {"\xf0\x80\x80\xaf", 4, false},           /* overlong, 4 bytes */
	    {"\xed\xa0\x80", 3, false},               /* surrogate */
	    {"\xf4\x90\x80\x80", 4, false},           /* past U+10FFFF */
	    {"\xf5\x80\x80\x80", 4, false},           /* bad lead byte */
	    {"\x80", 1, false},                       /* lone continuation */
	    {"\xe2\x82", 2, false},                   /* cut short */
	    {"a\xe2\x82", 3, false},                  /* cut short at the end */
	    {"\xe2\x28\xa1", 3, false},               /* bad continuation */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sp_utf8_valid(cases[i].s, cases[i].len) != cases[i].ok)
			fail_msg("case %zu: expected %s", i,
			    cases[i].ok ? "valid" : "invalid");
	}
}

static void
test_util_path__safe_relative(void **state)
{
	(void)state;
	assert_true(sp_path_is_safe_relative("a/b/c.txt", 9));
	assert_true(sp_path_is_safe_relative("..a/b..", 7));
	assert_false(sp_path_is_safe_relative("", 0));
	assert_false(sp_path_is_safe_relative("/etc/passwd", 11));
	assert_false(sp_path_is_safe_relative("a/../../b", 9));
	assert_false(sp_path_is_safe_relative("..", 2));
	assert_false(sp_path_is_safe_relative("a//b", 4));
	assert_false(sp_path_is_safe_relative("./a", 3));
	assert_false(sp_path_is_safe_relative("a/", 2));
	assert_false(sp_path_is_safe_relative("a\0b", 3));
}

static void
test_util_path__join(void **state)
{
	char *p;

	(void)state;
	p = sp_path_join("out/dir", "a.txt");
	assert_non_null(p);
	assert_string_equal(p, "out/dir/a.txt");
	free(p);
	p = sp_path_join("", "");
	assert_non_null(p);
	assert_string_equal(p, "/");
	free(p);
}

static void
test_util_file__atomic_write_and_read(void **state)
{
	sp_ctx *ctx;
	sp_buf b = SP_BUF_INIT;
	char path[512];
	struct stat st;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	snprintf(path, sizeof(path), "%s/out.txt", tmpdir);
	assert_int_equal(
	    sp_write_file_atomic(ctx, path, "hello", 5, 0640, SP_ATOMIC_EXCL),
	    0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(
	    sp_write_file_atomic(ctx, path, "x", 1, 0600, SP_ATOMIC_EXCL),
	    SP_EEXISTS);
	assert_int_equal(sp_read_file(ctx, &b, path, 100, SP_OPEN_NOFOLLOW), 0);
	assert_string_equal(b.ptr, "hello");
	sp_buf_clear(&b);
	assert_int_equal(sp_read_file(ctx, &b, path, 3, 0), SP_ELIMIT);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "limit"));
	sp_buf_dispose(&b);
	sp_ctx_free(ctx);
}

static void
test_util_file__abort_leaves_nothing(void **state)
{
	sp_ctx *ctx;
	sp_atomic *w;
	char path[512], cmd[600];

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	snprintf(path, sizeof(path), "%s/aborted.bin", tmpdir);
	assert_int_equal(sp_atomic_open(ctx, &w, path, 0644, 0), 0);
	assert_int_equal(sp_atomic_write(w, "partial", 7), 0);
	sp_atomic_abort(w);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q aborted", tmpdir);
	assert_int_not_equal(system(cmd), 0);
	sp_ctx_free(ctx);
}

static void
test_util_file__nofollow_and_not_regular(void **state)
{
	sp_ctx *ctx;
	char target[512], link[512];
	int fd;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	snprintf(target, sizeof(target), "%s/target", tmpdir);
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	assert_int_equal(sp_write_file_atomic(ctx, target, "t", 1, 0644, 0), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(
	    sp_open_read(ctx, &fd, link, SP_OPEN_NOFOLLOW), SP_EUNSAFE);
	assert_int_equal(sp_open_read(ctx, &fd, tmpdir, 0), SP_EUNSAFE);
	assert_int_equal(
	    sp_open_read(ctx, &fd, "/nonexistent/x", 0), SP_ENOTFOUND);
	sp_ctx_free(ctx);
}

static void
test_util_digest__sha256_vectors(void **state)
{
	sp_ctx *ctx;
	uint8_t d[32];
	char hex[65];

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(sp_sha256(ctx, d, "abc", 3), 0);
	sp_hex_encode(hex, d, 32);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a3"
	                         "96177a9cb410ff61f20015ad");
	sp_ctx_free(ctx);
}

static void
test_util_time__parse_and_format(void **state)
{
	int64_t t;
	char s[SP_TIME_STR_LEN];

	(void)state;
	assert_int_equal(sp_time_parse(&t, "2026-11-25T12:34:56Z"), 0);
	assert_int_equal(t, 1795610096);
	assert_int_equal(sp_time_format(s, t), 0);
	assert_string_equal(s, "2026-11-25T12:34:56Z");
	assert_int_equal(sp_time_parse(&t, "2024-02-29"), 0);
	assert_int_equal(sp_time_format(s, t), 0);
	assert_string_equal(s, "2024-02-29T00:00:00Z");
	assert_int_equal(sp_time_parse(&t, "@0"), 0);
	assert_int_equal(t, 0);
	assert_int_equal(sp_time_parse(&t, "2023-02-29"), SP_EPARSE);
	assert_int_equal(sp_time_parse(&t, "2026-11-25 12:34:56"), SP_EPARSE);
	assert_int_equal(sp_time_parse(&t, "2026-13-01"), SP_EPARSE);
	assert_int_equal(sp_time_parse(&t, "@12x"), SP_EPARSE);
}

static void
test_util_ctx__errors_and_alloc_failure(void **state)
{
	sp_ctx *ctx;

	(void)state;
	assert_int_equal(sp_ctx_new(&ctx), 0);
	assert_int_equal(
	    sp_err_set(ctx, SP_EPARSE, "bad '%s'", "x"), SP_EPARSE);
	sp_err_hint(ctx, "try %d", 1);
	assert_string_equal(sp_ctx_errmsg(ctx), "bad 'x'");
	assert_string_equal(sp_ctx_errhint(ctx), "try 1");
	assert_int_equal(sp_ctx_errcode(ctx), SP_EPARSE);
	assert_string_equal(sp_error_name(SP_EVERIFY), "verify");
	sp_err_clear(ctx);
	assert_int_equal(sp_ctx_errcode(ctx), 0);
	sp_ctx_fail_alloc_after(ctx, 2);
	free(sp_malloc(ctx, 8));
	assert_null(sp_malloc(ctx, 8));
	sp_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_util_buf__grows_and_stays_terminated),
	    cmocka_unit_test(test_util_buf__respects_max),
	    cmocka_unit_test(test_util_buf__detach_empty),
	    cmocka_unit_test(test_util_hex__roundtrip_and_reject),
	    cmocka_unit_test(test_util_escape__terminal),
	    cmocka_unit_test(test_util_escape__html),
	    cmocka_unit_test(test_util_escape__clean_utf8),
	    cmocka_unit_test(test_util_escape__utf8_valid),
	    cmocka_unit_test(test_util_path__safe_relative),
	    cmocka_unit_test(test_util_path__join),
	    cmocka_unit_test(test_util_file__atomic_write_and_read),
	    cmocka_unit_test(test_util_file__abort_leaves_nothing),
	    cmocka_unit_test(test_util_file__nofollow_and_not_regular),
	    cmocka_unit_test(test_util_digest__sha256_vectors),
	    cmocka_unit_test(test_util_time__parse_and_format),
	    cmocka_unit_test(test_util_ctx__errors_and_alloc_failure),
	};

	return cmocka_run_group_tests_name(
	    "util", tests, group_setup, group_teardown);
}
