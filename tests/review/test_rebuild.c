/*
 * Unit tests for the rebuild driver and verdicts: the SHA256SUMS reader
 * (every refusal), the build runner (exit status, signals, time limit, log
 * cap, missing program, bad directory), the verdict statement and its
 * signature against the test vector of docs/spec/verdict.md, method
 * names, escaping in the rendered reports, and refusals of sp_rebuild_run.
 */
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

#include "rebuild_int.h"
#include "sp_test.h"
#include "srcproof/rebuild.h"
#include "srcproof/srcproof.h"

static char tmpdir[256];
static sp_ctx *ctx;

static int
group_setup(void **state)
{
	(void)state;
	if (sp_test_mkdtemp(tmpdir, sizeof(tmpdir), "rebuild") < 0)
		return -1;
	return sp_ctx_new(&ctx);
}

static int
group_teardown(void **state)
{
	(void)state;
	sp_ctx_free(ctx);
	return sp_test_rmtree(tmpdir);
}

static void
path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", tmpdir, name);
}

static void
write_file(const char *name, const char *data, size_t len)
{
	char p[512];
	FILE *f;

	path(p, sizeof(p), name);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* ---- SHA256SUMS ------------------------------------------------------------
 */

#define H1 "0000000000000000000000000000000000000000000000000000000000000001"
#define H2 "00000000000000000000000000000000000000000000000000000000000000ab"

static int
sums(const char *s, rb_sum **v, size_t *n)
{
	return rb_sums_parse(ctx, v, n, s, strlen(s));
}

static void
test_review_rebuild__sums_valid(void **state)
{
	rb_sum *v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(sums("", &v, &n), 0);
	assert_int_equal(n, 0);
	rb_sums_free(v, n);
	assert_int_equal(sums(H1 "  a.exe\n" H2 "  dir/b c.dll\n"
	                         "\\" H1 "  e\\\\f\\ng\n",
	                     &v, &n),
	    0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "a.exe");
	assert_string_equal(v[0].hex, H1);
	assert_string_equal(v[1].name, "dir/b c.dll");
	assert_string_equal(v[1].hex, H2);
	assert_string_equal(v[2].name, "e\\f\ng");
	assert_false(v[0].used);
	rb_sums_free(v, n);
}

static void
test_review_rebuild__sums_refused(void **state)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
	    {H1 "  a", "no final newline"},
	    {H1 " a\n", "is not 'SHA256  NAME'"},
	    {H1 " *a\n", "is not 'SHA256  NAME'"},
	    {"00000000000000000000000000000000000000000000000000000000000000AB"
	     "  a\n",
	        "is not 'SHA256  NAME'"},
	    {"0001  a\n", "is not 'SHA256  NAME'"},
	    {H1 "  \n", "is not 'SHA256  NAME'"},
	    {"\n", "is not 'SHA256  NAME'"},
	    {"# comment\n", "is not 'SHA256  NAME'"},
	    {H1 "  b\n" H1 "  a\n", "line 2: names are not sorted"},
	    {H1 "  a\n" H1 "  a\n", "line 2: names are not sorted"},
	    {H1 "  ../a\n", "not a safe relative path"},
	    {H1 "  /etc/passwd\n", "not a safe relative path"},
	    {H1 "  a//b\n", "not a safe relative path"},
	    {H1 "  a/\n", "not a safe relative path"},
	    {H1 "  a\\b\n", "bad escaping"},
	    {"\\" H1 "  ab\n", "bad escaping"},
	    {"\\" H1 "  a\\tb\n", "bad escaping"},
	    {"\\" H1 "  a\\\n", "bad escaping"},
	    {H1 "  a\rb\n", "bad escaping"},
	};
	rb_sum *v = NULL;
	size_t n = 0, i;
	char nul[80];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sums(bad[i].in, &v, &n), SP_EPARSE);
		assert_null(v);
		if (strstr(sp_ctx_errmsg(ctx), bad[i].msg) == NULL)
			fail_msg("'%s': got '%s', want '%s'", bad[i].in,
			    sp_ctx_errmsg(ctx), bad[i].msg);
	}
	/* A NUL inside a name. */
	memcpy(nul, H1 "  a\0b\n", 64 + 6);
	assert_int_equal(rb_sums_parse(ctx, &v, &n, nul, 64 + 6), SP_EPARSE);
	/* Size limit. */
	assert_int_equal(
	    rb_sums_parse(ctx, &v, &n, nul, RB_SUMS_MAX_SIZE + 1), SP_ELIMIT);
}

/* ---- the build runner
 * --------------------------------------------------------
 */

static void
run(rb_exec_result *r, const char *const *argv, unsigned timeout,
    uint64_t max_log, const char *cwd, const char *log)
{
	static char env0[] = "PATH=/usr/bin:/bin";
	static char env1[] = "MARK=set";
	char *envp[] = {env0, env1, NULL};
	char logp[512];
	rb_exec e;

	path(logp, sizeof(logp), log);
	e.argv = argv;
	e.envp = envp;
	e.cwd = cwd ? cwd : tmpdir;
	e.path_env = "/usr/bin:/bin";
	e.log_path = logp;
	e.max_log = max_log;
	e.timeout = timeout;
	assert_int_equal(rb_exec_run(ctx, &e, r), 0);
}

static void
read_log(const char *name, sp_buf *out)
{
	char p[512];

	path(p, sizeof(p), name);
	sp_buf_clear(out);
	assert_int_equal(sp_read_file(ctx, out, p, 1 << 20, 0), 0);
}

static void
test_review_rebuild__exec(void **state)
{
	static const char *const ok[] = {
	    "sh", "-c", "echo out; echo err >&2; echo $MARK; umask; pwd", NULL};
	static const char *const fails[] = {"sh", "-c", "exit 7", NULL};
	static const char *const argv0[] = {"sh", "-c", "echo $0", NULL};
	static const char *const killed[] = {"sh", "-c", "kill -9 $$", NULL};
	static const char *const slow[] = {
	    "sh", "-c", "sleep 30 & sleep 30", NULL};
	static const char *const loud[] = {"sh", "-c",
	    "head -c 70000 /dev/zero | tr '\\0' x; echo tail", NULL};
	static const char *const nope[] = {"no-such-program-srcproof", NULL};
	static const char *const rel[] = {"./not-here", NULL};
	sp_buf log = SP_BUF_INIT;
	rb_exec_result r;
	char want[600];

	(void)state;
	run(&r, ok, 10, 1 << 20, NULL, "ok.log");
	assert_int_equal(r.status, RB_BUILD_OK);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.program, "/usr/bin/sh");
	read_log("ok.log", &log);
	snprintf(want, sizeof(want), "out\nerr\nset\n0022\n%s\n", tmpdir);
	assert_string_equal(log.ptr, want);
	assert_int_equal(r.log_bytes, strlen(want));
	assert_false(r.log_truncated);

	/* argv[0] stays as given; the resolved path is what runs. */
	run(&r, argv0, 10, 1 << 20, NULL, "argv0.log");
	assert_int_equal(r.status, RB_BUILD_OK);
	read_log("argv0.log", &log);
	assert_string_equal(log.ptr, "sh\n");

	run(&r, fails, 10, 1 << 20, NULL, "fails.log");
	assert_int_equal(r.status, RB_BUILD_FAILED);
	assert_int_equal(r.exit_code, 7);

	run(&r, killed, 10, 1 << 20, NULL, "killed.log");
	assert_int_equal(r.status, RB_BUILD_FAILED);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.signal, 9);

	run(&r, slow, 1, 1 << 20, NULL, "slow.log");
	assert_int_equal(r.status, RB_BUILD_TIMEOUT);
	assert_true(r.duration_ms >= 1000 && r.duration_ms < 10000);

	run(&r, loud, 10, 1000, NULL, "loud.log");
	assert_int_equal(r.status, RB_BUILD_OK);
	assert_true(r.log_truncated);
	assert_int_equal(r.output_total, 70005);
	read_log("loud.log", &log);
	assert_int_equal(log.size, r.log_bytes);
	assert_non_null(strstr(log.ptr,
	    "\n[srcproof: build output truncated: 1000 of 70005 bytes kept]"));

	run(&r, nope, 10, 1000, NULL, "nope.log");
	assert_int_equal(r.status, RB_BUILD_NO_START);
	assert_non_null(strstr(r.error, "was not found on PATH"));

	run(&r, rel, 10, 1000, NULL, "rel.log");
	assert_int_equal(r.status, RB_BUILD_NO_START);
	assert_non_null(strstr(r.error, "No such file or directory"));

	run(&r, ok, 10, 1000, "/nonexistent-srcproof-dir", "cwd.log");
	assert_int_equal(r.status, RB_BUILD_NO_START);
	assert_non_null(strstr(r.error, "cannot run"));

	/* The log is never overwritten. */
	{
		char logp[512];
		rb_exec e;
		char *envp[] = {NULL};

		path(logp, sizeof(logp), "ok.log");
		e.argv = ok;
		e.envp = envp;
		e.cwd = tmpdir;
		e.path_env = "/bin";
		e.log_path = logp;
		e.max_log = 100;
		e.timeout = 1;
		assert_int_equal(rb_exec_run(ctx, &e, &r), SP_EEXISTS);
	}
	sp_buf_dispose(&log);
}

static void
test_review_rebuild__tool_version(void **state)
{
	char v[1100];

	(void)state;
	write_file("tool",
	    "#!/bin/sh\nprintf '\\n\\nmy tool 1.2\\r\\nmore\\n'\n",
	    strlen("#!/bin/sh\nprintf '\\n\\nmy tool 1.2\\r\\nmore\\n'\n"));
	{
		char p[512];

		path(p, sizeof(p), "tool");
		assert_int_equal(chmod(p, 0755), 0);
		rb_tool_version(p, v, sizeof(v));
		assert_string_equal(v, "my tool 1.2");
		rb_tool_version("/nonexistent-tool", v, sizeof(v));
		assert_string_equal(v, "");
	}
}

/* ---- the statement vector
 * ----------------------------------------------------
 */

/* Text between "<!-- NAME-begin -->\n```json\n" and "```\n<!-- NAME-end" */
static char *
spec_vector(const char *name)
{
	sp_buf spec = SP_BUF_INIT;
	char begin[128], end[128], *a, *b, *out;

	assert_int_equal(sp_read_file(ctx, &spec,
	                     SP_SOURCE_DIR "/docs/spec/verdict.md", 1 << 20, 0),
	    0);
	snprintf(begin, sizeof(begin), "<!-- %s-begin -->\n```json\n", name);
	snprintf(end, sizeof(end), "```\n<!-- %s-end -->", name);
	a = strstr(spec.ptr, begin);
	assert_non_null(a);
	a += strlen(begin);
	b = strstr(a, end);
	assert_non_null(b);
	while (b > a && b[-1] == '\n')
		b--;
	out = strndup(a, (size_t)(b - a));
	sp_buf_dispose(&spec);
	return out;
}

static const char rfc8032_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";

static void
test_review_rebuild__statement_vector(void **state)
{
	sp_compare_result *res = NULL;
	sp_buf stmt = SP_BUF_INIT, env = SP_BUF_INIT;
	char a[512], b[512], k[512], *want, *want_env;
	uint8_t d[32];
	char hex[65];
	sp_key *key = NULL;
	int64_t t;

	(void)state;
	write_file("hello.bin", "srcproof\n", 9);
	write_file("rebuilt.bin", "srcproof\n", 9);
	write_file("vector.key", rfc8032_key, strlen(rfc8032_key));
	path(a, sizeof(a), "hello.bin");
	path(b, sizeof(b), "rebuilt.bin");
	path(k, sizeof(k), "vector.key");
	assert_int_equal(sp_compare_files(ctx, &res, a, b, NULL), 0);
	assert_int_equal(sp_time_parse(&t, "2026-01-01T00:00:00Z"), 0);
	assert_int_equal(sp_verdict_compare_statement(
	                     ctx, &stmt, res, "hello.bin", t, "0.1.0"),
	    0);
	want = spec_vector("verdict-statement");
	assert_string_equal(stmt.ptr, want);
	assert_int_equal(sp_sha256(ctx, d, stmt.ptr, stmt.size), 0);
	sp_hex_encode(hex, d, 32);
	assert_non_null(strstr(want, "\"verdict\":\"IDENTICAL\""));

	assert_int_equal(sp_key_load_private(ctx, &key, k, NULL, NULL), 0);
	assert_int_equal(
	    sp_verdict_sign(ctx, &env, stmt.ptr, stmt.size, key), 0);
	want_env = spec_vector("verdict-envelope");
	assert_true(env.size > 0 && env.ptr[env.size - 1] == '\n');
	env.ptr[--env.size] = '\0';
	assert_string_equal(env.ptr, want_env);
	{
		/* The statement's digest is printed in the spec too. */
		sp_buf spec = SP_BUF_INIT;

		assert_int_equal(
		    sp_read_file(ctx, &spec,
		        SP_SOURCE_DIR "/docs/spec/verdict.md", 1 << 20, 0),
		    0);
		assert_non_null(strstr(spec.ptr, hex));
		sp_buf_dispose(&spec);
	}
	/* No subject, no statement: unreadable files cannot be attested. */
	sp_compare_result_free(res);
	res = NULL;
	path(b, sizeof(b), "missing.bin");
	assert_int_equal(sp_compare_files(ctx, &res, a, b, NULL), 0);
	sp_buf_clear(&stmt);
	assert_int_equal(
	    sp_verdict_compare_statement(ctx, &stmt, res, "hello.bin", t, NULL),
	    SP_EINVALID);
	free(want);
	free(want_env);
	sp_key_free(key);
	sp_compare_result_free(res);
	sp_buf_dispose(&stmt);
	sp_buf_dispose(&env);
}

static void
test_review_rebuild__methods(void **state)
{
	sp_compare_summary s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.verdict = SP_VERDICT_IDENTICAL;
	s.method = "pe-authenticode";
	assert_string_equal(sp_verdict_method(&s), "bit-identical");
	s.verdict = SP_VERDICT_IDENTICAL_MODULO_SIGNATURE;
	assert_string_equal(sp_verdict_method(&s), "normalized-authenticode");
	s.method = "pe-detached-signature";
	assert_string_equal(sp_verdict_method(&s), "detached-authenticode");
	s.method = "elf-module-signature";
	assert_string_equal(sp_verdict_method(&s), "module-signature");
	s.verdict = SP_VERDICT_EXPLAINED_DIFFERENCE;
	s.method = "elf";
	assert_string_equal(sp_verdict_method(&s), "elf-explained");
	s.shipped_compression = "xz"; /* equal once decompressed */
	assert_string_equal(sp_verdict_method(&s), "decompressed-identical");
	s.ranges_total = 2; /* build-id and debuglink CRC, decompressed */
	assert_string_equal(sp_verdict_method(&s), "elf-explained");
	s.shipped_compression = NULL;
	s.ranges_total = 0;
	s.verdict = SP_VERDICT_DIFFERENT;
	assert_string_equal(sp_verdict_method(&s), "elf-sections");
	s.method = "bytes";
	assert_string_equal(sp_verdict_method(&s), "bytes");
	s.method = NULL;
	assert_string_equal(sp_verdict_method(&s), "none");
	assert_int_equal(rb_verdict_parse("IDENTICAL_MODULO_SIGNATURE"), 1);
	assert_int_equal(rb_verdict_parse("identical"), -1);
	assert_int_equal(rb_verdict_parse(NULL), -1);
}

/* ---- reports
 * -----------------------------------------------------------------
 */

static void
test_review_rebuild__report_escapes(void **state)
{
	json_t *p;
	sp_buf text = SP_BUF_INIT, html = SP_BUF_INIT;

	(void)state;
	p = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:[{s:I, "
	              "s:I, s:s}], s:I}], s:[s], s:[s], s:{s:s, s:s}}",
	    "kind", "rebuild", "verdict", "DIFFERENT<script>", "reason",
	    "\x1b[31mred</p>", "signed_at", "2026-01-01T00:00:00Z", "artefacts",
	    "name", "<img src=x onerror=alert(1)>", "verdict", "DIFFERENT",
	    "method", "bytes", "reason", "a\nb", "ranges", "offset",
	    (json_int_t)16, "length", (json_int_t)2, "region", "section '<b>'",
	    "ranges_total", (json_int_t)1, "warnings", "w & \"q\"",
	    "not_checked", "n \x7f", "tool", "name", "srcproof", "version",
	    "'v'");
	assert_non_null(p);
	assert_int_equal(sp_verdict_text(ctx, &text, p), 0);
	assert_int_equal(sp_verdict_html(ctx, &html, p), 0);
	/* Text: controls escaped, the rest as is. */
	assert_null(strchr(text.ptr, '\x1b'));
	assert_null(strchr(text.ptr, '\x7f'));
	assert_non_null(strstr(text.ptr, "\\x1b[31mred"));
	assert_non_null(strstr(text.ptr, "a\\nb"));
	assert_non_null(strstr(text.ptr, "offset 0x10 length 2 section '<b>'"));
	/* HTML: no markup from the input. */
	assert_null(strstr(html.ptr, "<img"));
	assert_null(strstr(html.ptr, "<script"));
	assert_null(strstr(html.ptr, "<b>'"));
	assert_null(strstr(html.ptr, "red</p>"));
	assert_non_null(strstr(html.ptr, "&lt;img src=x onerror=alert(1)&gt;"));
	assert_non_null(strstr(html.ptr, "w &amp; &quot;q&quot;"));
	assert_non_null(strstr(html.ptr, "DIFFERENT&lt;script&gt;"));
	assert_non_null(strstr(html.ptr, "Content-Security-Policy"));
	assert_null(strstr(html.ptr, "://"));
	json_decref(p);
	sp_buf_clear(&html);
	p = json_string("not an object");
	assert_int_equal(sp_verdict_html(ctx, &html, p), SP_EINVALID);
	json_decref(p);
	sp_buf_dispose(&text);
	sp_buf_dispose(&html);
}

/* ---- sp_rebuild_run refusals -----------------------------------------------
 */

static void
test_review_rebuild__run_refusals(void **state)
{
	sp_rebuild_options o = SP_REBUILD_OPTIONS_INIT;
	sp_rebuild_result *res = NULL;
	char out[512], bundle[512];
	struct stat st;

	(void)state;
	path(out, sizeof(out), "r-missing");
	path(bundle, sizeof(bundle), "no.bundle");
	assert_int_equal(
	    sp_rebuild_run(ctx, &res, bundle, out, &o), SP_ENOTFOUND);
	assert_null(res);
	assert_int_equal(stat(out, &st), -1);

	write_file("x.bundle", "x", 1);
	path(bundle, sizeof(bundle), "x.bundle");
	assert_int_equal(
	    sp_rebuild_run(ctx, &res, bundle, tmpdir, &o), SP_EEXISTS);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "exists"));

	o.version = 99;
	assert_int_equal(
	    sp_rebuild_run(ctx, &res, bundle, out, &o), SP_EINVALID);
	assert_int_equal(stat(out, &st), -1);

	/* Not a bundle: a result (ERROR), not a failure. */
	o.version = SP_REBUILD_OPTIONS_VERSION;
	o.now = 1767225600;
	assert_int_equal(sp_rebuild_run(ctx, &res, bundle, out, &o), 0);
	assert_int_equal(sp_rebuild_verdict(res), SP_VERDICT_ERROR);
	assert_int_equal(sp_rebuild_artefact_count(res), 0);
	{
		size_t len;
		const char *s = sp_rebuild_statement(res, &len);

		assert_true(len > 0 && strlen(s) == len);
		assert_non_null(
		    strstr(s, "\"signed_at\":\"2026-01-01T00:00:00Z\""));
		assert_non_null(strstr(s, "\"verdict\":\"ERROR\""));
		/* The bundle is the subject: sha256 of "x". */
		assert_non_null(
		    strstr(s, "2d711642b726b04401627ca9fbac32f5c8530"
		              "fb1903cc4db02258717921a4881"));
	}
	assert_int_equal(stat(out, &st), 0);
	sp_rebuild_result_free(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_review_rebuild__sums_valid),
	    cmocka_unit_test(test_review_rebuild__sums_refused),
	    cmocka_unit_test(test_review_rebuild__exec),
	    cmocka_unit_test(test_review_rebuild__tool_version),
	    cmocka_unit_test(test_review_rebuild__statement_vector),
	    cmocka_unit_test(test_review_rebuild__methods),
	    cmocka_unit_test(test_review_rebuild__report_escapes),
	    cmocka_unit_test(test_review_rebuild__run_refusals),
	};

	return cmocka_run_group_tests_name(
	    "review_rebuild", tests, group_setup, group_teardown);
}
