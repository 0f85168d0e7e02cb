/*
 * Unit tests for the review ledger and coverage: which attestations count
 * (policy, keys, none), every way one does not (forged, unsigned, other
 * product, inconsistent with its manifest, duplicate, reviewer not a
 * signer, threshold), coverage carried by content hash across releases,
 * depths, line ranges, concerns, and escaping of hostile names and notes.
 */
#include <jansson.h>
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
#include "srcproof/manifest.h"
#include "srcproof/review.h"
#include "srcproof/sign.h"
#include "srcproof/srcproof.h"

#define T0 1764000000 /* 2025-11-24T16:00:00Z */

static char tmpdir[256];
static sp_ctx *ctx;
static sp_key *alice, *bob, *mallory, *rel;
static sp_policy *policy;
static sp_manifest *m1, *m2;

static void
put(const char *dir, const char *rel_path, const char *text)
{
	char path[1024], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel_path);
	slash = strrchr(path, '/');
	*slash = '\0';
	mkdir(path, 0755);
	*slash = '/';
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static sp_manifest *
make_manifest(const char *dir, const char *product, const char *release,
    const sp_manifest *prev)
{
	sp_manifest_source_options o = SP_MANIFEST_SOURCE_OPTIONS_INIT;
	sp_manifest *m = NULL;
	uint8_t md[32];

	o.path = dir;
	o.product = product;
	o.release = release;
	o.threads = 1;
	if (prev != NULL) {
		assert_int_equal(sp_manifest_digest(ctx, prev, md), 0);
		o.kind = SP_MANIFEST_UPDATE;
		o.previous_digest = md;
	}
	if (sp_manifest_create(ctx, &m, &o) < 0)
		fail_msg("manifest: %s", sp_ctx_errmsg(ctx));
	return m;
}

static char *
subdir(const char *name)
{
	static char path[4][1024];
	static int n;
	char *p = path[n++ % 4];

	snprintf(p, 1024, "%s/%s", tmpdir, name);
	mkdir(p, 0755);
	return p;
}

static int
group_setup(void **state)
{
	const char *review[] = {"review"}, *release[] = {"release"};
	char *d1, *d2;

	(void)state;
	if (sp_test_mkdtemp(tmpdir, sizeof(tmpdir), "ledger") < 0 ||
	    sp_ctx_new(&ctx) < 0)
		return -1;
	if (sp_key_generate(ctx, &alice, SP_KEY_ED25519) < 0 ||
	    sp_key_generate(ctx, &bob, SP_KEY_ED25519) < 0 ||
	    sp_key_generate(ctx, &mallory, SP_KEY_ED25519) < 0 ||
	    sp_key_generate(ctx, &rel, SP_KEY_ED25519) < 0 ||
	    sp_policy_new(ctx, &policy, NULL, T0 + 86400 * 365, "avscan") < 0 ||
	    sp_policy_add_key(ctx, policy, alice, review, 1, 0, 0) < 0 ||
	    sp_policy_add_key(ctx, policy, bob, review, 1, 0, 0) < 0 ||
	    sp_policy_add_key(ctx, policy, rel, release, 1, 0, 0) < 0)
		return -1;
	d1 = subdir("r1");
	put(d1, "a.c", "line 1\nline 2\nline 3\n");
	put(d1, "b.c", "int b;\n");
	put(d1, "rules/main.db", "sig1\n");
	m1 = make_manifest(d1, "avscan", "1.0", NULL);
	d2 = subdir("r2");
	put(d2, "a.c", "line 1\nline 2\nline 3\n");
	put(d2, "b.c", "int b;\n");
	put(d2, "rules/main.db", "sig1\nsig2\n");
	m2 = make_manifest(d2, "avscan", "1.1", m1);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	sp_manifest_free(m1);
	sp_manifest_free(m2);
	sp_policy_free(policy);
	sp_key_free(alice);
	sp_key_free(bob);
	sp_key_free(mallory);
	sp_key_free(rel);
	sp_ctx_free(ctx);
	return sp_test_rmtree(tmpdir);
}

/* A signed attestation of @p paths of @p m, serialized into @p out. */
static void
attest(sp_buf *out, const sp_manifest *m, const sp_key *key,
    const char *const *paths, size_t n, sp_review_depth depth,
    sp_review_verdict verdict, const char *note, int64_t when)
{
	sp_review_item items[8];
	sp_dsse *env = NULL;
	size_t i;

	memset(items, 0, sizeof(items));
	for (i = 0; i < n; i++) {
		items[i].path = paths[i];
		items[i].depth = depth;
		items[i].verdict = verdict;
		items[i].note = note;
	}
	sp_buf_clear(out);
	if (sp_review_attest(ctx, &env, m, "m", items, n, when, key) < 0)
		fail_msg("attest: %s", sp_ctx_errmsg(ctx));
	assert_int_equal(sp_dsse_serialize(ctx, env, out), 0);
	sp_dsse_free(env);
}

static const char *const all3[] = {"a.c", "b.c", "rules/main.db"};

static sp_review_ledger *
ledger(const sp_manifest *m, int mode)
{
	sp_review_trust t = SP_REVIEW_TRUST_INIT;
	sp_review_ledger *l = NULL;
	static sp_key *keys[1];

	t.at = T0 + 3600;
	if (mode == 1)
		t.policy = policy;
	else if (mode == 2) {
		keys[0] = alice;
		t.keys = keys;
		t.nkeys = 1;
	}
	assert_int_equal(sp_review_ledger_new(ctx, &l, m, &t), 0);
	return l;
}

static void
add(sp_review_ledger *l, const char *label, const sp_buf *b)
{
	assert_int_equal(
	    sp_review_ledger_add(ctx, l, label, b->ptr, b->size), 0);
}

static void
expect_status(const sp_review_ledger *l, size_t i, sp_review_att_status st,
    const char *reason)
{
	const sp_review_att_info *in = sp_review_ledger_info(l, i);

	assert_non_null(in);
	if (in->status != st || strstr(in->reason, reason) == NULL)
		fail_msg(
		    "attestation %zu: status '%s' reason '%s'; wanted '%s' "
		    "with '%s'",
		    i, sp_review_att_status_name(in->status), in->reason,
		    sp_review_att_status_name(st), reason);
}

static sp_review_coverage *
coverage(const sp_review_ledger *l, sp_review_depth min, const char *source)
{
	sp_review_coverage_opts o = SP_REVIEW_COVERAGE_OPTS_INIT;
	sp_review_coverage *cov = NULL;

	o.min_depth = min;
	o.source = source;
	if (sp_review_coverage_compute(ctx, &cov, l, &o) < 0)
		fail_msg("coverage: %s", sp_ctx_errmsg(ctx));
	return cov;
}

static void
test_review_coverage__carried_by_content(void **state)
{
	sp_buf b = SP_BUF_INIT;
	sp_review_ledger *l = ledger(m2, 1);
	sp_review_coverage *cov;
	const sp_review_summary *s;
	const sp_review_file *f;
	const sp_review_att_info *in;

	(void)state;
	attest(&b, m1, alice, all3, 3, SP_REVIEW_DEPTH_READ, SP_REVIEW_OK, NULL,
	    T0);
	add(l, "r1.att", &b);
	in = sp_review_ledger_info(l, 0);
	assert_int_equal(in->status, SP_REVIEW_ATT_COUNTED);
	assert_false(in->current);
	assert_false(in->checked);
	assert_int_equal(in->stale, 1); /* the old rules/main.db */
	assert_string_equal(in->release, "1.0");
	cov = coverage(l, SP_REVIEW_DEPTH_READ, NULL);
	s = sp_review_coverage_summary(cov);
	assert_int_equal(s->files, 3);
	assert_int_equal(s->files_covered, 2);
	assert_int_equal(s->files_carried, 2);
	assert_int_equal(s->by_status[SP_REVIEW_FILE_UNCOVERED], 1);
	assert_true(s->bytes == UINT64_MAX && s->lines == UINT64_MAX);
	f = sp_review_coverage_find(cov, "rules/main.db");
	assert_int_equal(f->status, SP_REVIEW_FILE_UNCOVERED);
	assert_false(f->covered);
	assert_non_null(f->last_reviewed);
	assert_memory_equal(f->last_reviewed,
	    sp_manifest_find(m1, "rules/main.db")->sha256, 32);
	f = sp_review_coverage_find(cov, "a.c");
	assert_int_equal(f->status, SP_REVIEW_FILE_COVERED);
	assert_true(f->carried);
	assert_int_equal(f->depth, SP_REVIEW_DEPTH_READ);
	/* Report order: the uncovered file first. */
	assert_string_equal(
	    sp_review_coverage_file(cov, 0)->entry->path, "rules/main.db");
	assert_false(sp_review_coverage_meets(cov, 66667));
	assert_true(sp_review_coverage_meets(cov, 66666));
	sp_review_coverage_free(cov);

	/* With the source: bytes and lines. */
	cov = coverage(l, SP_REVIEW_DEPTH_READ, subdir("r2"));
	s = sp_review_coverage_summary(cov);
	assert_int_equal(s->bytes, 21 + 7 + 10);
	assert_int_equal(s->bytes_covered, 28);
	assert_int_equal(s->lines, 6);
	assert_int_equal(s->lines_covered, 4);
	sp_review_coverage_free(cov);

	/* A source that is not the manifest's. */
	{
		sp_review_coverage_opts o = SP_REVIEW_COVERAGE_OPTS_INIT;

		cov = NULL;
		o.source = subdir("r1");
		assert_int_equal(
		    sp_review_coverage_compute(ctx, &cov, l, &o), SP_EVERIFY);
		assert_non_null(
		    strstr(sp_ctx_errmsg(ctx), "does not match the manifest"));
		assert_null(cov);
	}
	sp_review_ledger_free(l);

	/* Knowing m1, the carried attestation's entries are checked. */
	l = ledger(m2, 1);
	assert_int_equal(sp_review_ledger_know(ctx, l, m1), 0);
	add(l, "r1.att", &b);
	assert_true(sp_review_ledger_info(l, 0)->checked);
	expect_status(l, 0, SP_REVIEW_ATT_COUNTED, "");
	sp_review_ledger_free(l);
	sp_buf_dispose(&b);
}

static void
test_review_coverage__trust_modes(void **state)
{
	sp_buf b = SP_BUF_INIT, c = SP_BUF_INIT;
	sp_review_ledger *l;
	sp_review_coverage *cov;

	(void)state;
	attest(&b, m2, alice, all3, 3, SP_REVIEW_DEPTH_READ, SP_REVIEW_OK, NULL,
	    T0);
	attest(
	    &c, m2, bob, all3, 3, SP_REVIEW_DEPTH_READ, SP_REVIEW_OK, NULL, T0);
	/* No policy, no keys: nothing counts, and it says so. */
	l = ledger(m2, 0);
	add(l, "alice.att", &b);
	expect_status(l, 0, SP_REVIEW_ATT_NOT_CHECKED, "signature NOT CHECKED");
	assert_string_equal(sp_review_ledger_trust_mode(l), "none");
	cov = coverage(l, SP_REVIEW_DEPTH_READ, NULL);
	assert_int_equal(sp_review_coverage_summary(cov)->files_covered, 0);
	sp_review_coverage_free(cov);
	sp_review_ledger_free(l);
	/* Keys: alice's key only. */
	l = ledger(m2, 2);
	add(l, "alice.att", &b);
	add(l, "bob.att", &c);
	expect_status(l, 0, SP_REVIEW_ATT_COUNTED, "");
	expect_status(l, 1, SP_REVIEW_ATT_UNTRUSTED, "threshold not met");
	assert_true(sp_review_ledger_info(l, 0)->current);
	assert_true(sp_review_ledger_info(l, 0)->checked);
	cov = coverage(l, SP_REVIEW_DEPTH_READ, NULL);
	assert_int_equal(sp_review_coverage_summary(cov)->files_covered, 3);
	assert_int_equal(sp_review_coverage_summary(cov)->files_carried, 0);
	assert_true(sp_review_coverage_meets(cov, 100000));
	sp_review_coverage_free(cov);
	sp_review_ledger_free(l);
	sp_buf_dispose(&b);
	sp_buf_dispose(&c);
}

/* Flip one base64 character of the first signature. */
static void
forge(sp_buf *b)
{
	char *sig = strstr(b->ptr, "\"sig\":\"");

	assert_non_null(sig);
	sig += 7;
	*sig = *sig == 'A' ? 'B' : 'A';
}

static void
test_review_coverage__not_counted(void **state)
{
	sp_buf b = SP_BUF_INIT, st = SP_BUF_INIT, mod = SP_BUF_INIT;
	sp_review_ledger *l = ledger(m2, 1);
	sp_review_item item;
	sp_dsse *env = NULL;
	sp_manifest *other, *m3;
	char h1[65], h2[65], *at;
	uint8_t md[32];
	char *d;

	(void)state;
	/* 0: signed by a key the policy does not know. */
	attest(&b, m2, mallory, all3, 3, SP_REVIEW_DEPTH_READ, SP_REVIEW_OK,
	    NULL, T0);
	add(l, "mallory.att", &b);
	expect_status(
	    l, 0, SP_REVIEW_ATT_UNTRUSTED, "signature by a wrong key");
	/* 1: by a key without the review role. */
	attest(
	    &b, m2, rel, all3, 3, SP_REVIEW_DEPTH_READ, SP_REVIEW_OK, NULL, T0);
	add(l, "rel.att", &b);
	expect_status(l, 1, SP_REVIEW_ATT_UNTRUSTED, "role is not allowed");
	/* 2: forged signature. */
	attest(&b, m2, alice, all3, 3, SP_REVIEW_DEPTH_READ, SP_REVIEW_OK, NULL,
	    T0);
	forge(&b);
	add(l, "forged.att", &b);
	expect_status(l, 2, SP_REVIEW_ATT_UNTRUSTED, "bad signature");
	/* 3: unsigned. */
	memset(&item, 0, sizeof(item));
	item.path = "a.c";
	item.depth = SP_REVIEW_DEPTH_READ;
	assert_int_equal(sp_review_statement(
	                     ctx, &st, m2, "m", &item, 1, T0, sp_key_id(alice)),
	    0);
	assert_int_equal(
	    sp_dsse_new(ctx, &env, SP_DSSE_TYPE_INTOTO, st.ptr, st.size), 0);
	sp_buf_clear(&b);
	assert_int_equal(sp_dsse_serialize(ctx, env, &b), 0);
	sp_dsse_free(env);
	env = NULL;
	add(l, "unsigned.att", &b);
	expect_status(l, 3, SP_REVIEW_ATT_UNTRUSTED, "no signatures");
	/* 4: names alice as the reviewer, signed by bob. */
	assert_int_equal(sp_sign_statement(ctx, &env, st.ptr, st.size, bob), 0);
	sp_buf_clear(&b);
	assert_int_equal(sp_dsse_serialize(ctx, env, &b), 0);
	sp_dsse_free(env);
	env = NULL;
	add(l, "impostor.att", &b);
	expect_status(
	    l, 4, SP_REVIEW_ATT_UNTRUSTED, "not among its valid signers");
	/* 5: another product. */
	d = subdir("other");
	put(d, "a.c", "line 1\nline 2\nline 3\n");
	other = make_manifest(d, "othertool", "1.0", NULL);
	attest(&b, other, alice, all3, 1, SP_REVIEW_DEPTH_READ, SP_REVIEW_OK,
	    NULL, T0);
	add(l, "other.att", &b);
	expect_status(l, 5, SP_REVIEW_ATT_OTHER_PRODUCT,
	    "it is for product 'othertool', not 'avscan'");
	/* 6: claims to be about m2 but gives m1's bytes for the db. */
	sp_buf_clear(&st);
	assert_int_equal(sp_review_statement(
	                     ctx, &st, m1, "m", NULL, 0, T0, sp_key_id(alice)),
	    SP_EINVALID);
	{
		sp_review_item items[3];
		size_t i;

		memset(items, 0, sizeof(items));
		for (i = 0; i < 3; i++) {
			items[i].path = all3[i];
			items[i].depth = SP_REVIEW_DEPTH_READ;
		}
		assert_int_equal(sp_review_statement(ctx, &st, m1, "m", items,
		                     3, T0, sp_key_id(alice)),
		    0);
	}
	assert_int_equal(sp_manifest_digest(ctx, m1, md), 0);
	sp_hex_encode(h1, md, 32);
	assert_int_equal(sp_manifest_digest(ctx, m2, md), 0);
	sp_hex_encode(h2, md, 32);
	at = strstr(st.ptr, h1);
	assert_non_null(at);
	memcpy(at, h2, 64);
	at = strstr(st.ptr, "\"release\":\"1.0\"");
	assert_non_null(at);
	assert_int_equal(sp_buf_put(&mod, st.ptr, (size_t)(at - st.ptr)), 0);
	assert_int_equal(sp_buf_puts(&mod, "\"release\":\"1.1\""), 0);
	assert_int_equal(sp_buf_puts(&mod, at + 15), 0);
	assert_int_equal(
	    sp_sign_statement(ctx, &env, mod.ptr, mod.size, alice), 0);
	sp_buf_clear(&b);
	assert_int_equal(sp_dsse_serialize(ctx, env, &b), 0);
	sp_dsse_free(env);
	env = NULL;
	add(l, "wrong-hash.att", &b);
	expect_status(l, 6, SP_REVIEW_ATT_INCONSISTENT,
	    "the sha256 it gives for 'rules/main.db' is not the manifest's");
	/* 7: a file the manifest it names does not have. */
	d = subdir("r3");
	put(d, "a.c", "line 1\nline 2\nline 3\n");
	put(d, "extra.c", "int extra;\n");
	m3 = make_manifest(d, "avscan", "1.1", m1);
	{
		const char *p[] = {"extra.c"};

		attest(&b, m3, alice, p, 1, SP_REVIEW_DEPTH_READ, SP_REVIEW_OK,
		    NULL, T0);
	}
	assert_int_equal(sp_manifest_digest(ctx, m3, md), 0);
	sp_hex_encode(h1, md, 32);
	{
		sp_review_attestation *a = NULL;
		sp_dsse *e2 = NULL;
		const char *p;
		size_t len;

		assert_int_equal(sp_dsse_parse(ctx, &e2, b.ptr, b.size), 0);
		p = sp_dsse_payload(e2, &len);
		sp_buf_clear(&mod);
		assert_int_equal(sp_buf_put(&mod, p, len), 0);
		sp_dsse_free(e2);
		at = strstr(mod.ptr, h1);
		assert_non_null(at);
		memcpy(at, h2, 64);
		assert_int_equal(
		    sp_review_attestation_parse(ctx, &a, mod.ptr, mod.size), 0);
		sp_review_attestation_free(a);
	}
	assert_int_equal(
	    sp_sign_statement(ctx, &env, mod.ptr, mod.size, alice), 0);
	sp_buf_clear(&b);
	assert_int_equal(sp_dsse_serialize(ctx, env, &b), 0);
	sp_dsse_free(env);
	env = NULL;
	add(l, "extra.att", &b);
	expect_status(l, 7, SP_REVIEW_ATT_INCONSISTENT,
	    "'extra.c' is not in the manifest it names");
	/* 8, 9: garbage, and a signature statement that is not a review. */
	assert_int_equal(
	    sp_review_ledger_add(ctx, l, "junk", "{\"x\":1}", 7), 0);
	expect_status(l, 8, SP_REVIEW_ATT_MALFORMED, "malformed envelope");
	sp_buf_clear(&st);
	assert_int_equal(
	    sp_sign_file_statement(ctx, &st, d, "m", "review", T0) < 0,
	    1); /* d is a directory: refused, nothing written */
	sp_buf_clear(&st);
	{
		char path[1100];

		snprintf(path, sizeof(path), "%s/a.c", d);
		assert_int_equal(
		    sp_sign_file_statement(ctx, &st, path, "m", "review", T0),
		    0);
	}
	assert_int_equal(
	    sp_sign_statement(ctx, &env, st.ptr, st.size, alice), 0);
	sp_buf_clear(&b);
	assert_int_equal(sp_dsse_serialize(ctx, env, &b), 0);
	sp_dsse_free(env);
	add(l, "sign.att", &b);
	expect_status(l, 9, SP_REVIEW_ATT_MALFORMED,
	    "not a review attestation: not a review attestation: "
	    "predicateType");
	assert_int_equal(sp_review_ledger_count(l), 10);
	sp_manifest_free(other);
	sp_manifest_free(m3);
	sp_review_ledger_free(l);
	sp_buf_dispose(&b);
	sp_buf_dispose(&st);
	sp_buf_dispose(&mod);
}

static void
test_review_coverage__duplicates_and_threshold(void **state)
{
	sp_buf b = SP_BUF_INIT;
	sp_review_ledger *l = ledger(m2, 1);
	sp_review_coverage *cov;
	sp_dsse *env = NULL;
	sp_review_trust t = SP_REVIEW_TRUST_INIT;
	sp_policy *p2 = NULL;
	const char *review[] = {"review"};

	(void)state;
	attest(&b, m2, alice, all3, 3, SP_REVIEW_DEPTH_READ, SP_REVIEW_OK, NULL,
	    T0);
	add(l, "one.att", &b);
	add(l, "copy.att", &b);
	expect_status(l, 0, SP_REVIEW_ATT_COUNTED, "");
	expect_status(l, 1, SP_REVIEW_ATT_DUPLICATE,
	    "same statement as 'one.att' (counted once)");
	cov = coverage(l, SP_REVIEW_DEPTH_READ, NULL);
	assert_int_equal(sp_review_coverage_summary(cov)->counted, 1);
	assert_int_equal(sp_review_coverage_summary(cov)->files_covered, 3);
	sp_review_coverage_free(cov);
	sp_review_ledger_free(l);

	/* A policy asking two reviewers to sign each attestation. */
	assert_int_equal(
	    sp_policy_new(ctx, &p2, NULL, T0 + 86400, "avscan"), 0);
	assert_int_equal(sp_policy_add_key(ctx, p2, alice, review, 1, 0, 0), 0);
	assert_int_equal(sp_policy_add_key(ctx, p2, bob, review, 1, 0, 0), 0);
	assert_int_equal(sp_policy_set_threshold(ctx, p2, "review", 2), 0);
	t.policy = p2;
	t.at = T0 + 60;
	assert_int_equal(sp_review_ledger_new(ctx, &l, m2, &t), 0);
	add(l, "alice-only.att", &b);
	expect_status(
	    l, 0, SP_REVIEW_ATT_UNTRUSTED, "threshold not met: 1 of 2");
	assert_int_equal(sp_dsse_parse(ctx, &env, b.ptr, b.size), 0);
	assert_int_equal(sp_dsse_add_signature(ctx, env, bob), 0);
	sp_buf_clear(&b);
	assert_int_equal(sp_dsse_serialize(ctx, env, &b), 0);
	sp_dsse_free(env);
	add(l, "both.att", &b);
	expect_status(l, 1, SP_REVIEW_ATT_COUNTED, "");
	sp_review_ledger_free(l);
	/* The policy expired: nothing counts. */
	t.at = T0 + 86400;
	assert_int_equal(sp_review_ledger_new(ctx, &l, m2, &t), 0);
	add(l, "both.att", &b);
	expect_status(l, 0, SP_REVIEW_ATT_UNTRUSTED, "expired");
	sp_review_ledger_free(l);
	sp_policy_free(p2);
	sp_buf_dispose(&b);
}

static void
test_review_coverage__depth_lines_concerns(void **state)
{
	sp_buf b = SP_BUF_INIT;
	sp_review_ledger *l = ledger(m2, 1);
	sp_review_coverage *cov;
	sp_review_item item;
	sp_review_range r;
	sp_dsse *env = NULL;
	const sp_review_file *f;
	const char *ac[] = {"a.c"}, *bc[] = {"b.c"}, *db[] = {"rules/main.db"};

	(void)state;
	/* a.c: lines 1-2 read by alice, line 3 in-depth by bob. */
	memset(&item, 0, sizeof(item));
	item.path = "a.c";
	item.depth = SP_REVIEW_DEPTH_READ;
	item.ranges = &r;
	item.nranges = 1;
	r = (sp_review_range){1, 2};
	assert_int_equal(
	    sp_review_attest(ctx, &env, m2, "m", &item, 1, T0, alice), 0);
	assert_int_equal(sp_dsse_serialize(ctx, env, &b), 0);
	sp_dsse_free(env);
	add(l, "a-lines-1-2", &b);
	cov = coverage(l, SP_REVIEW_DEPTH_READ, NULL);
	f = sp_review_coverage_find(cov, "a.c");
	assert_int_equal(f->status, SP_REVIEW_FILE_PARTIAL);
	assert_true(f->lines_covered == UINT64_MAX);
	sp_review_coverage_free(cov);
	cov = coverage(l, SP_REVIEW_DEPTH_READ, subdir("r2"));
	f = sp_review_coverage_find(cov, "a.c");
	assert_int_equal(f->status, SP_REVIEW_FILE_PARTIAL);
	assert_int_equal(f->lines, 3);
	assert_int_equal(f->lines_covered, 2);
	sp_review_coverage_free(cov);
	r = (sp_review_range){3, 3};
	item.depth = SP_REVIEW_DEPTH_IN_DEPTH;
	env = NULL;
	assert_int_equal(
	    sp_review_attest(ctx, &env, m2, "m", &item, 1, T0, bob), 0);
	sp_buf_clear(&b);
	assert_int_equal(sp_dsse_serialize(ctx, env, &b), 0);
	sp_dsse_free(env);
	add(l, "a-line-3", &b);
	cov = coverage(l, SP_REVIEW_DEPTH_READ, subdir("r2"));
	f = sp_review_coverage_find(cov, "a.c");
	assert_int_equal(f->status, SP_REVIEW_FILE_COVERED);
	assert_int_equal(f->depth, SP_REVIEW_DEPTH_READ);
	assert_int_equal(f->lines_covered, 3);
	sp_review_coverage_free(cov);
	cov = coverage(l, SP_REVIEW_DEPTH_IN_DEPTH, subdir("r2"));
	f = sp_review_coverage_find(cov, "a.c");
	assert_int_equal(f->status, SP_REVIEW_FILE_PARTIAL);
	assert_int_equal(f->lines_covered, 1);
	sp_review_coverage_free(cov);

	/* b.c: an overview only. */
	attest(&b, m2, alice, bc, 1, SP_REVIEW_DEPTH_OVERVIEW, SP_REVIEW_OK,
	    NULL, T0);
	add(l, "b-overview", &b);
	cov = coverage(l, SP_REVIEW_DEPTH_READ, NULL);
	f = sp_review_coverage_find(cov, "b.c");
	assert_int_equal(f->status, SP_REVIEW_FILE_SHALLOW);
	assert_false(f->covered);
	sp_review_coverage_free(cov);
	cov = coverage(l, SP_REVIEW_DEPTH_OVERVIEW, NULL);
	assert_true(sp_review_coverage_find(cov, "b.c")->covered);
	sp_review_coverage_free(cov);

	/* The db: marked not-reviewed, then a concern by alice, which bob's
	 * "ok" does not withdraw but alice's later "ok" does. */
	attest(&b, m2, bob, db, 1, SP_REVIEW_DEPTH_READ, SP_REVIEW_NOT_REVIEWED,
	    NULL, T0);
	add(l, "db-not-reviewed", &b);
	cov = coverage(l, SP_REVIEW_DEPTH_READ, NULL);
	f = sp_review_coverage_find(cov, "rules/main.db");
	assert_int_equal(f->status, SP_REVIEW_FILE_UNCOVERED);
	assert_true(f->marked_not_reviewed);
	sp_review_coverage_free(cov);
	attest(&b, m2, alice, db, 1, SP_REVIEW_DEPTH_OVERVIEW,
	    SP_REVIEW_CONCERN, "sig2 matches every file", T0 + 10);
	add(l, "db-concern", &b);
	attest(&b, m2, bob, db, 1, SP_REVIEW_DEPTH_IN_DEPTH, SP_REVIEW_OK, NULL,
	    T0 + 20);
	add(l, "db-bob-ok", &b);
	cov = coverage(l, SP_REVIEW_DEPTH_READ, NULL);
	f = sp_review_coverage_find(cov, "rules/main.db");
	assert_int_equal(f->status, SP_REVIEW_FILE_CONCERN);
	assert_true(f->covered);
	assert_int_equal(f->nconcerns, 1);
	assert_string_equal(f->concerns[0].note, "sig2 matches every file");
	assert_string_equal(f->concerns[0].reviewer, sp_key_id(alice));
	assert_string_equal(f->concerns[0].attestation, "db-concern");
	assert_int_equal(sp_review_coverage_summary(cov)->concerns, 1);
	/* Concerns come first. */
	assert_ptr_equal(sp_review_coverage_file(cov, 0), f);
	sp_review_coverage_free(cov);
	attest(&b, m2, alice, db, 1, SP_REVIEW_DEPTH_READ, SP_REVIEW_OK, NULL,
	    T0 + 30);
	add(l, "db-alice-ok", &b);
	cov = coverage(l, SP_REVIEW_DEPTH_READ, NULL);
	f = sp_review_coverage_find(cov, "rules/main.db");
	assert_int_equal(f->status, SP_REVIEW_FILE_COVERED);
	assert_int_equal(f->depth, SP_REVIEW_DEPTH_IN_DEPTH);
	assert_int_equal(sp_review_coverage_summary(cov)->concerns, 0);
	sp_review_coverage_free(cov);
	(void)ac;
	sp_review_ledger_free(l);
	sp_buf_dispose(&b);
}

static void
test_review_coverage__percent(void **state)
{
	char p[16];

	(void)state;
	sp_review_percent(p, 999, 1000);
	assert_string_equal(p, "99.9%");
	sp_review_percent(p, 9999, 10000);
	assert_string_equal(p, "99.9%"); /* never rounded up to 100% */
	sp_review_percent(p, 1, 3);
	assert_string_equal(p, "33.3%");
	sp_review_percent(p, 0, 5);
	assert_string_equal(p, "0.0%");
	sp_review_percent(p, 5, 5);
	assert_string_equal(p, "100.0%");
	sp_review_percent(p, UINT64_MAX / 2, UINT64_MAX);
	assert_string_equal(p, "49.9%");
}

static void
test_review_coverage__hostile_text(void **state)
{
	sp_buf b = SP_BUF_INIT, text = SP_BUF_INIT;
	sp_review_ledger *l;
	sp_review_coverage *cov;
	sp_manifest *m;
	json_t *doc = NULL;
	char *d, *dump;
	const char *evil[] = {"evil\x1b[2J\n.c"};

	(void)state;
	d = subdir("evil");
	put(d, "evil\x1b[2J\n.c", "x\n");
	put(d, "ok.c", "y\n");
	m = make_manifest(d, "avscan", "2.0", NULL);
	l = ledger(m, 1);
	attest(&b, m, alice, evil, 1, SP_REVIEW_DEPTH_READ, SP_REVIEW_CONCERN,
	    "\x1b]0;pwned\x07 <script>alert(1)</script>", T0);
	add(l, "evil\x1b[31m.att", &b);
	cov = coverage(l, SP_REVIEW_DEPTH_READ, d);
	assert_int_equal(sp_review_coverage_text(ctx, cov, &text, 0), 0);
	assert_null(memchr(text.ptr, 0x1b, text.size));
	assert_null(memchr(text.ptr, 0x07, text.size));
	assert_non_null(strstr(text.ptr, "evil\\x1b[2J\\n.c"));
	assert_non_null(strstr(text.ptr, "\\x1b]0;pwned\\x07"));
	assert_non_null(strstr(text.ptr, "evil\\x1b[31m.att"));
	assert_non_null(strstr(text.ptr, "open concerns (1 file)"));
	assert_int_equal(sp_review_coverage_json(ctx, cov, 0, &doc), 0);
	dump = json_dumps(doc, JSON_COMPACT);
	assert_non_null(dump);
	assert_null(strchr(dump, 0x1b));
	assert_non_null(strstr(dump, "\"files_covered\":1"));
	assert_non_null(strstr(dump, "evil\\u001B[2J\\n.c"));
	free(dump);
	json_decref(doc);
	sp_review_coverage_free(cov);
	sp_review_ledger_free(l);
	sp_manifest_free(m);
	sp_buf_dispose(&b);
	sp_buf_dispose(&text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_review_coverage__carried_by_content),
	    cmocka_unit_test(test_review_coverage__trust_modes),
	    cmocka_unit_test(test_review_coverage__not_counted),
	    cmocka_unit_test(test_review_coverage__duplicates_and_threshold),
	    cmocka_unit_test(test_review_coverage__depth_lines_concerns),
	    cmocka_unit_test(test_review_coverage__percent),
	    cmocka_unit_test(test_review_coverage__hostile_text),
	};

	return cmocka_run_group_tests_name(
	    "review_coverage", tests, group_setup, group_teardown);
}
