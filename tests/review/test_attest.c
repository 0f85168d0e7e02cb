/*
 * Unit tests for review attestations: names and ranges, the canonical
 * statement (the test vector of docs/spec/review.md), every refusal of
 * the builder, and the strict parser against hostile statements.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "srcproof/manifest.h"
#include "srcproof/review.h"
#include "srcproof/sign.h"
#include "srcproof/srcproof.h"

static sp_ctx *ctx;
static sp_manifest *vec;

/* The manifest of the test vector (docs/spec/review.md, section 6). */
static const char vector_manifest[] =
    "# srcproof-manifest v1\n"
    "# product: avscan\n"
    "# release: 1.0\n"
    "# kind: release\n"
    "# files: 2\n"
    "# symlinks: 0\n"
    "# bytes: 12\n"
    "# git-tree: 0d4ae52c1b0b0d1a63c4a0c55d4ed6c2d3c1d2b0\n"
    "# swhid: swh:1:dir:0d4ae52c1b0b0d1a63c4a0c55d4ed6c2d3c1d2b0\n"
    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  "
    "a.c\n"
    "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c  "
    "rules/main.db\n";

#define KEYID "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"

/* The statement the vector's inputs give (docs/spec/review.md). */
static const char vector_statement[] =
    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":"
    "\"avscan-1.0.manifest\",\"digest\":{\"sha256\":\"%s\"}}],"
    "\"predicateType\":\"https://srcproof.dev/review/v1\",\"predicate\":{"
    "\"role\":\"review\",\"signed_at\":\"2026-11-25T12:00:00Z\","
    "\"reviewer\":\"" KEYID "\",\"manifest\":{\"product\":\"avscan\","
    "\"release\":\"1.0\",\"kind\":\"release\"},\"files\":[{\"path\":"
    "\"a.c\",\"sha256\":"
    "\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\","
    "\"depth\":\"in-depth\",\"verdict\":\"concern\",\"lines\":[[1,4],[9,"
    "9]],\"note\":\"unchecked length\"},{\"path\":\"rules/main.db\","
    "\"sha256\":"
    "\"b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c\","
    "\"depth\":\"read\",\"verdict\":\"ok\"}]}}";

static int
group_setup(void **state)
{
	(void)state;
	if (sp_ctx_new(&ctx) < 0)
		return -1;
	return sp_manifest_parse(
	    ctx, &vec, vector_manifest, strlen(vector_manifest));
}

static int
group_teardown(void **state)
{
	(void)state;
	sp_manifest_free(vec);
	sp_ctx_free(ctx);
	return 0;
}

static void
vector_digest(char hex[65])
{
	uint8_t md[32];

	assert_int_equal(sp_manifest_digest(ctx, vec, md), 0);
	sp_hex_encode(hex, md, sizeof(md));
}

static void
expected_statement(sp_buf *out)
{
	char hex[65];

	vector_digest(hex);
	assert_int_equal(sp_buf_printf(out, vector_statement, hex), 0);
}

static void
test_review_attest__names(void **state)
{
	sp_review_depth d;
	sp_review_verdict v;
	sp_review_range r;

	(void)state;
	assert_int_equal(sp_review_depth_parse(ctx, &d, "in-depth"), 0);
	assert_int_equal(d, SP_REVIEW_DEPTH_IN_DEPTH);
	assert_int_equal(sp_review_depth_parse(ctx, &d, "overview"), 0);
	assert_int_equal(d, SP_REVIEW_DEPTH_OVERVIEW);
	assert_int_equal(sp_review_depth_parse(ctx, &d, "none"), SP_EINVALID);
	assert_int_equal(sp_review_depth_parse(ctx, &d, "deep"), SP_EINVALID);
	assert_non_null(strstr(sp_ctx_errmsg(ctx), "unknown depth 'deep'"));
	assert_int_equal(sp_review_verdict_parse(ctx, &v, "not-reviewed"), 0);
	assert_int_equal(v, SP_REVIEW_NOT_REVIEWED);
	assert_int_equal(sp_review_verdict_parse(ctx, &v, "OK"), SP_EINVALID);
	assert_string_equal(sp_review_depth_name(SP_REVIEW_DEPTH_READ), "read");
	assert_string_equal(
	    sp_review_verdict_name(SP_REVIEW_CONCERN), "concern");

	assert_int_equal(sp_review_range_parse(ctx, &r, "3-17"), 0);
	assert_true(r.start == 3 && r.end == 17);
	assert_int_equal(sp_review_range_parse(ctx, &r, "5"), 0);
	assert_true(r.start == 5 && r.end == 5);
	assert_int_equal(sp_review_range_parse(ctx, &r, "0-3"), SP_EINVALID);
	assert_int_equal(sp_review_range_parse(ctx, &r, "7-3"), SP_EINVALID);
	assert_int_equal(sp_review_range_parse(ctx, &r, "03-4"), SP_EINVALID);
	assert_int_equal(sp_review_range_parse(ctx, &r, "1-"), SP_EINVALID);
	assert_int_equal(sp_review_range_parse(ctx, &r, "-1"), SP_EINVALID);
	assert_int_equal(sp_review_range_parse(ctx, &r, "1-2x"), SP_EINVALID);
	assert_int_equal(
	    sp_review_range_parse(ctx, &r, "1-9007199254740992"), SP_EINVALID);
	assert_int_equal(
	    sp_review_range_parse(ctx, &r, "1-9007199254740991"), 0);
}

/* Items of the test vector: ranges out of order and overlapping, which
 * the builder merges. */
static void
vector_items(sp_review_item items[2], sp_review_range ranges[3])
{
	memset(items, 0, 2 * sizeof(*items));
	ranges[0] = (sp_review_range){9, 9};
	ranges[1] = (sp_review_range){1, 3};
	ranges[2] = (sp_review_range){2, 4};
	/* Given in reverse path order: the builder sorts. */
	items[0].path = "rules/main.db";
	items[0].depth = SP_REVIEW_DEPTH_READ;
	items[0].verdict = SP_REVIEW_OK;
	items[1].path = "a.c";
	items[1].ranges = ranges;
	items[1].nranges = 3;
	items[1].depth = SP_REVIEW_DEPTH_IN_DEPTH;
	items[1].verdict = SP_REVIEW_CONCERN;
	items[1].note = "unchecked length";
}

static void
test_review_attest__vector(void **state)
{
	sp_review_item items[2];
	sp_review_range ranges[3];
	sp_buf got = SP_BUF_INIT, want = SP_BUF_INIT;
	int64_t when;

	(void)state;
	vector_items(items, ranges);
	assert_int_equal(sp_time_parse(&when, "2026-11-25T12:00:00Z"), 0);
	assert_int_equal(sp_review_statement(ctx, &got, vec,
	                     "avscan-1.0.manifest", items, 2, when, KEYID),
	    0);
	expected_statement(&want);
	assert_string_equal(got.ptr, want.ptr);
	/* The digests docs/spec/review.md gives for the vector. */
	{
		uint8_t md[32];
		char hex[65];

		vector_digest(hex);
		assert_string_equal(hex, "1c2a1d2c1619088cf4aca5ed946257d2"
		                         "2d7279a2ba67bddc54422079caf4b193");
		assert_int_equal(got.size, 749);
		assert_int_equal(sp_sha256(ctx, md, got.ptr, got.size), 0);
		sp_hex_encode(hex, md, sizeof(md));
		assert_string_equal(hex, "e3bea6f5ae34cc21e794e1619bf5a762"
		                         "d5d2cacabf3c81bba339d91f55da77e5");
	}
	sp_buf_dispose(&got);
	sp_buf_dispose(&want);
}

static void
expect_refusal(sp_review_item *items, size_t n, int code, const char *msg)
{
	sp_buf out = SP_BUF_INIT;

	assert_int_equal(
	    sp_review_statement(ctx, &out, vec, "m", items, n, 1, KEYID), code);
	if (strstr(sp_ctx_errmsg(ctx), msg) == NULL)
		fail_msg("message '%s' lacks '%s'", sp_ctx_errmsg(ctx), msg);
	assert_true(out.size == 0);
	sp_buf_dispose(&out);
}

static void
test_review_attest__builder_refusals(void **state)
{
	sp_review_item items[2];
	sp_review_range ranges[3];
	char *huge;
	sp_buf out = SP_BUF_INIT;

	(void)state;
	vector_items(items, ranges);
	items[0].path = "missing.c";
	expect_refusal(
	    items, 2, SP_EINVALID, "'missing.c' is not in the manifest");
	vector_items(items, ranges);
	items[0].path = "a.c";
	expect_refusal(items, 2, SP_EINVALID, "'a.c' is listed twice");
	expect_refusal(items, 0, SP_EINVALID, "no files to attest");
	vector_items(items, ranges);
	items[0].depth = SP_REVIEW_DEPTH_NONE;
	expect_refusal(items, 2, SP_EINVALID, "bad depth or verdict");
	vector_items(items, ranges);
	ranges[0] = (sp_review_range){5, 4};
	expect_refusal(items, 2, SP_EINVALID, "bad line range 5-4 for 'a.c'");
	vector_items(items, ranges);
	ranges[0] = (sp_review_range){0, 4};
	expect_refusal(items, 2, SP_EINVALID, "bad line range 0-4");
	vector_items(items, ranges);
	items[1].note = "";
	expect_refusal(items, 2, SP_EINVALID, "the note for 'a.c' is empty");
	items[1].note = "bad \xff utf-8";
	expect_refusal(items, 2, SP_EINVALID, "is not valid UTF-8");
	huge = malloc(SP_REVIEW_MAX_NOTE + 2);
	assert_non_null(huge);
	memset(huge, 'x', SP_REVIEW_MAX_NOTE + 1);
	huge[SP_REVIEW_MAX_NOTE + 1] = '\0';
	items[1].note = huge;
	expect_refusal(
	    items, 2, SP_EINVALID, "has 4097 bytes; the limit is 4096");
	huge[SP_REVIEW_MAX_NOTE] = '\0'; /* exactly the cap: accepted */
	assert_int_equal(
	    sp_review_statement(ctx, &out, vec, "m", items, 2, 1, KEYID), 0);
	free(huge);
	/* Control characters in a note are data: kept, JSON-escaped. */
	sp_buf_clear(&out);
	items[1].note = "esc \x1b[31m red";
	assert_int_equal(
	    sp_review_statement(ctx, &out, vec, "m", items, 2, 1, KEYID), 0);
	assert_non_null(strstr(out.ptr, "esc \\u001B[31m red"));
	assert_int_equal(sp_review_statement(
	                     ctx, &out, vec, "m", items, 2, 1, "not-a-key-id"),
	    SP_EINVALID);
	assert_int_equal(sp_review_statement(
	                     ctx, &out, vec, "bad\nname", items, 2, 1, KEYID),
	    SP_EINVALID);
	sp_buf_dispose(&out);
}

static void
test_review_attest__sign_and_parse(void **state)
{
	sp_review_item items[2];
	sp_review_range ranges[3];
	sp_review_attestation *a = NULL;
	const sp_review_entry *e;
	sp_dsse *env = NULL;
	sp_key *key = NULL;
	sp_sign_verify_opts vo = SP_SIGN_VERIFY_OPTS_INIT;
	char hex[65];

	(void)state;
	vector_items(items, ranges);
	assert_int_equal(sp_key_generate(ctx, &key, SP_KEY_ED25519), 0);
	assert_int_equal(sp_review_attest(ctx, &env, vec, "avscan-1.0.manifest",
	                     items, 2, 1764072000, key),
	    0);
	vo.keys = &key;
	vo.nkeys = 1;
	assert_int_equal(sp_dsse_verify(ctx, env, &vo, NULL), 0);
	assert_int_equal(sp_review_attestation_from_dsse(ctx, &a, env), 0);
	vector_digest(hex);
	assert_string_equal(sp_review_attestation_manifest(a), hex);
	assert_string_equal(sp_review_attestation_reviewer(a), sp_key_id(key));
	assert_string_equal(sp_review_attestation_product(a), "avscan");
	assert_string_equal(sp_review_attestation_release(a), "1.0");
	assert_string_equal(sp_review_attestation_kind(a), "release");
	assert_true(sp_review_attestation_time(a) == 1764072000);
	assert_int_equal(sp_review_attestation_count(a), 2);
	e = sp_review_attestation_entry(a, 0);
	assert_string_equal(e->path, "a.c");
	assert_int_equal(e->depth, SP_REVIEW_DEPTH_IN_DEPTH);
	assert_int_equal(e->verdict, SP_REVIEW_CONCERN);
	assert_int_equal(e->nranges, 2);
	assert_true(e->ranges[0].start == 1 && e->ranges[0].end == 4);
	assert_true(e->ranges[1].start == 9 && e->ranges[1].end == 9);
	assert_string_equal(e->note, "unchecked length");
	assert_memory_equal(
	    e->sha256, sp_manifest_find(vec, "a.c")->sha256, 32);
	e = sp_review_attestation_entry(a, 1);
	assert_null(e->ranges);
	assert_null(e->note);
	assert_null(sp_review_attestation_entry(a, 2));
	sp_review_attestation_free(a);
	sp_dsse_free(env);
	sp_key_free(key);
}

/* Parse the vector with @p from replaced by @p to: must fail naming
 * @p msg. */
static void
expect_parse_error(const char *from, const char *to, int code, const char *msg)
{
	sp_buf st = SP_BUF_INIT, mod = SP_BUF_INIT;
	sp_review_attestation *a = NULL;
	char *at;

	expected_statement(&st);
	at = strstr(st.ptr, from);
	if (at == NULL)
		fail_msg("'%s' not in the vector", from);
	assert_int_equal(sp_buf_put(&mod, st.ptr, (size_t)(at - st.ptr)), 0);
	assert_int_equal(sp_buf_puts(&mod, to), 0);
	assert_int_equal(sp_buf_puts(&mod, at + strlen(from)), 0);
	assert_int_equal(
	    sp_review_attestation_parse(ctx, &a, mod.ptr, mod.size), code);
	assert_null(a);
	if (strstr(sp_ctx_errmsg(ctx), msg) == NULL)
		fail_msg("message '%s' lacks '%s' (%s -> %s)",
		    sp_ctx_errmsg(ctx), msg, from, to);
	sp_buf_dispose(&st);
	sp_buf_dispose(&mod);
}

static void
test_review_attest__parser_refusals(void **state)
{
	sp_buf st = SP_BUF_INIT;
	sp_review_attestation *a = NULL;

	(void)state;
	expected_statement(&st);
	assert_int_equal(
	    sp_review_attestation_parse(ctx, &a, st.ptr, st.size), 0);
	sp_review_attestation_free(a);
	sp_buf_dispose(&st);

	/* Path tricks. */
	expect_parse_error("\"path\":\"a.c\"", "\"path\":\"../a.c\"", SP_EPARSE,
	    "not a safe relative path");
	expect_parse_error("\"path\":\"a.c\"", "\"path\":\"/etc/passwd\"",
	    SP_EPARSE, "not a safe relative path");
	expect_parse_error("\"path\":\"a.c\"", "\"path\":\"a//c\"", SP_EPARSE,
	    "not a safe relative path");
	expect_parse_error("\"path\":\"a.c\"", "\"path\":\"./a.c\"", SP_EPARSE,
	    "not a safe relative path");
	expect_parse_error("\"path\":\"a.c\"", "\"path\":\"a.c/\"", SP_EPARSE,
	    "not a safe relative path");
	expect_parse_error("\"path\":\"a.c\"", "\"path\":\"\"", SP_EPARSE,
	    "not a safe relative path");
	expect_parse_error("\"path\":\"a.c\"", "\"path\":\"a\\u0000c\"",
	    SP_EPARSE, "not valid JSON");
	expect_parse_error(
	    "\"path\":\"a.c\"", "\"path\":7", SP_EPARSE, "not a safe relative");
	/* Order and uniqueness. */
	expect_parse_error("\"path\":\"a.c\"", "\"path\":\"z.c\"", SP_EPARSE,
	    "file 2: paths are not sorted or repeat");
	expect_parse_error("\"path\":\"a.c\"", "\"path\":\"rules/main.db\"",
	    SP_EPARSE, "paths are not sorted or repeat");
	/* Fields. */
	expect_parse_error("\"depth\":\"read\"", "\"depth\":\"skim\"",
	    SP_EPARSE, "depth is not overview");
	expect_parse_error("\"depth\":\"read\"", "\"depth\":\"none\"",
	    SP_EPARSE, "depth is not overview");
	expect_parse_error("\"verdict\":\"ok\"", "\"verdict\":\"fine\"",
	    SP_EPARSE, "verdict is not ok");
	expect_parse_error("\"sha256\":\"5891", "\"sha256\":\"5891A", SP_EPARSE,
	    "sha256 is not 64 lower-case hex");
	expect_parse_error("[[1,4],[9,9]]", "[[4,1]]", SP_EPARSE,
	    "line range 1 is out of order");
	expect_parse_error(
	    "[[1,4],[9,9]]", "[[0,1]]", SP_EPARSE, "line range 1");
	expect_parse_error("[[1,4],[9,9]]", "[[1,4],[3,9]]", SP_EPARSE,
	    "line range 2 is out of order, overlapping");
	expect_parse_error("[[1,4],[9,9]]", "[[1,4],[5,9]]", SP_EPARSE,
	    "overlapping"); /* adjacent: not canonical */
	expect_parse_error("[[1,4],[9,9]]", "[]", SP_EPARSE,
	    "lines must be an array of 1 to 64");
	expect_parse_error(
	    "[[1,4],[9,9]]", "[[1,2,3]]", SP_EPARSE, "is not [START, END]");
	expect_parse_error("[[1,4],[9,9]]", "[[1,9007199254740992]]", SP_EPARSE,
	    "out of bounds");
	expect_parse_error("\"note\":\"unchecked length\"", "\"note\":\"\"",
	    SP_EPARSE, "the note must be a string of 1 to 4096");
	expect_parse_error("\"verdict\":\"ok\"", "\"verdict\":\"ok\",\"x\":1",
	    SP_EPARSE, "a file entry has an unknown member 'x'");
	expect_parse_error("\"verdict\":\"ok\"",
	    "\"verdict\":\"ok\",\"verdict\":\"concern\"", SP_EPARSE,
	    "not valid JSON");
	expect_parse_error("\"role\":\"review\"", "\"role\":\"release\"",
	    SP_EPARSE, "role is not 'review'");
	expect_parse_error("review/v1", "review/v2", SP_EPARSE,
	    "not a review attestation: predicateType");
	expect_parse_error(
	    "Statement/v1", "Statement/v0", SP_EPARSE, "_type is not");
	expect_parse_error("2026-11-25T12:00:00Z", "2026-11-25", SP_EPARSE,
	    "signed_at is not a time");
	expect_parse_error("2026-11-25T12:00:00Z", "2026-13-25T12:00:00Z",
	    SP_EPARSE, "signed_at is not a time");
	expect_parse_error("\"reviewer\":\"ab", "\"reviewer\":\"AB", SP_EPARSE,
	    "reviewer is not a key id");
	expect_parse_error("\"kind\":\"release\"", "\"kind\":\"beta\"",
	    SP_EPARSE, "kind is not release or update");
	expect_parse_error("\"product\":\"avscan\"", "\"product\":\"a\\nb\"",
	    SP_EPARSE, "predicate.manifest.product is not a clean string");
	expect_parse_error("\"subject\":[{",
	    "\"subject\":[{\"name\":\"x\","
	    "\"digest\":{\"sha256\":\"" KEYID "\"}},{",
	    SP_EPARSE, "exactly one subject");
	expect_parse_error("\"digest\":{\"sha256\":\"",
	    "\"digest\":{\"sha512\":\"00\",\"sha256\":\"", SP_EPARSE,
	    "the subject digest has an unknown member 'sha512'");
	expect_parse_error("\"files\":[", "\"files\":[],\"x\":[", SP_EPARSE,
	    "predicate has an unknown member 'x'");
	expect_parse_error(
	    "{\"_type\"", "[{\"_type\"", SP_EPARSE, "not valid JSON");
	expect_parse_error(
	    "\"ok\"}]}}", "\"ok\"}]}", SP_EPARSE, "not valid JSON");
}

static void
test_review_attest__parser_limits(void **state)
{
	sp_review_attestation *a = NULL;
	sp_buf big = SP_BUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(
	    sp_review_attestation_parse(ctx, &a, "", 0), SP_EPARSE);
	/* More than SP_REVIEW_MAX_FILES entries. */
	assert_int_equal(sp_buf_printf(&big,
	                     "{\"_type\":\"https://in-toto.io/Statement/v1\","
	                     "\"subject\":[{\"name\":\"m\",\"digest\":{"
	                     "\"sha256\":\"%064d\"}}],\"predicateType\":"
	                     "\"https://srcproof.dev/review/v1\",\"predicate\":"
	                     "{\"role\":\"review\",\"signed_at\":"
	                     "\"2026-11-25T12:00:00Z\",\"reviewer\":\"" KEYID
	                     "\",\"manifest\":{\"kind\":\"release\"},"
	                     "\"files\":[",
	                     0),
	    0);
	for (i = 0; i <= SP_REVIEW_MAX_FILES; i++)
		assert_int_equal(sp_buf_printf(&big,
		                     "%s{\"path\":\"f%06zu\",\"sha256\":"
		                     "\"%064d\",\"depth\":\"read\",\"verdict\":"
		                     "\"ok\"}",
		                     i ? "," : "", i, 0),
		    0);
	assert_int_equal(sp_buf_puts(&big, "]}}"), 0);
	assert_int_equal(
	    sp_review_attestation_parse(ctx, &a, big.ptr, big.size), SP_ELIMIT);
	sp_buf_dispose(&big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_review_attest__names),
	    cmocka_unit_test(test_review_attest__vector),
	    cmocka_unit_test(test_review_attest__builder_refusals),
	    cmocka_unit_test(test_review_attest__sign_and_parse),
	    cmocka_unit_test(test_review_attest__parser_refusals),
	    cmocka_unit_test(test_review_attest__parser_limits),
	};

	return cmocka_run_group_tests_name(
	    "review_attest", tests, group_setup, group_teardown);
}
