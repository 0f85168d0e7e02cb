/*
 * Fuzz the review attestation parser, and what consumes a parsed
 * attestation: the input is tried as a statement and as a DSSE envelope;
 * a statement that parses is signed with a key of the harness and judged
 * by a ledger, whose coverage is computed and rendered as text and JSON.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/manifest.h"
#include "srcproof/review.h"
#include "srcproof/sign.h"
#include "srcproof/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The manifest of the test vector (docs/spec/review.md, section 8). */
static const char manifest_text[] =
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

static sp_ctx *ctx;
static sp_manifest *manifest;
static sp_key *key;

static void
check_entries(const sp_review_attestation *a)
{
	size_t i, j;

	for (i = 0; i < sp_review_attestation_count(a); i++) {
		const sp_review_entry *e = sp_review_attestation_entry(a, i);

		if (!sp_path_is_safe_relative(e->path, strlen(e->path)))
			abort();
		if (i > 0 && strcmp(sp_review_attestation_entry(a, i - 1)->path,
		                 e->path) >= 0)
			abort();
		if (e->depth < SP_REVIEW_DEPTH_OVERVIEW ||
		    e->depth > SP_REVIEW_DEPTH_IN_DEPTH)
			abort();
		if (e->note != NULL && strlen(e->note) > SP_REVIEW_MAX_NOTE)
			abort();
		for (j = 0; j < e->nranges; j++)
			if (e->ranges[j].start < 1 ||
			    e->ranges[j].end < e->ranges[j].start ||
			    (j > 0 &&
			        e->ranges[j].start <= e->ranges[j - 1].end + 1))
				abort();
	}
}

/* Sign the statement, judge it, compute and render coverage. */
static void
judge(const char *stmt, size_t len)
{
	sp_review_trust t = SP_REVIEW_TRUST_INIT;
	sp_review_coverage_opts o = SP_REVIEW_COVERAGE_OPTS_INIT;
	sp_review_ledger *l = NULL;
	sp_review_coverage *cov = NULL;
	sp_dsse *env = NULL;
	sp_buf b = SP_BUF_INIT, text = SP_BUF_INIT;
	json_t *doc = NULL;
	size_t i;

	json_t *st = json_loadb(stmt, len, 0, NULL);
	char *own = NULL;

	t.keys = &key;
	t.nkeys = 1;
	t.at = 1764000000;
	/* Name the harness key as the reviewer, so the attestation counts. */
	if (st == NULL ||
	    json_object_set_new(json_object_get(st, "predicate"), "reviewer",
	        json_string(sp_key_id(key))) < 0 ||
	    (own = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		goto out;
	if (sp_sign_statement(ctx, &env, own, strlen(own), key) < 0 ||
	    sp_dsse_serialize(ctx, env, &b) < 0 ||
	    sp_review_ledger_new(ctx, &l, manifest, &t) < 0 ||
	    sp_review_ledger_add(ctx, l, "fuzz\x1b.att", b.ptr, b.size) < 0 ||
	    sp_review_ledger_add(ctx, l, "again", b.ptr, b.size) < 0)
		goto out;
	if (sp_review_ledger_info(l, 1)->status == SP_REVIEW_ATT_COUNTED)
		abort(); /* a duplicate never counts twice */
	o.min_depth = (sp_review_depth)(1 + len % 3);
	if (sp_review_coverage_compute(ctx, &cov, l, &o) < 0)
		goto out;
	if (sp_review_coverage_summary(cov)->files_covered >
	    sp_review_coverage_summary(cov)->files)
		abort();
	if (sp_review_coverage_text(ctx, cov, &text, SP_REVIEW_TEXT_ALL) == 0) {
		for (i = 0; i < text.size; i++)
			if ((unsigned char)text.ptr[i] == 0x1b)
				abort();
	}
	if (sp_review_coverage_json(ctx, cov, 0, &doc) == 0)
		json_decref(doc);
	if (sp_review_ledger_info(l, 0)->status != SP_REVIEW_ATT_COUNTED &&
	    sp_review_ledger_info(l, 0)->status != SP_REVIEW_ATT_INCONSISTENT &&
	    sp_review_ledger_info(l, 0)->status != SP_REVIEW_ATT_OTHER_PRODUCT)
		abort(); /* signed by the trusted key, it can fail no other way
		          */
out:
	free(own);
	json_decref(st);
	sp_review_coverage_free(cov);
	sp_review_ledger_free(l);
	sp_dsse_free(env);
	sp_buf_dispose(&b);
	sp_buf_dispose(&text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sp_review_attestation *a = NULL;
	sp_dsse *env = NULL;

	if (ctx == NULL) {
		if (sp_ctx_new(&ctx) < 0 ||
		    sp_manifest_parse(ctx, &manifest, manifest_text,
		        strlen(manifest_text)) < 0 ||
		    sp_key_generate(ctx, &key, SP_KEY_ED25519) < 0)
			abort();
	}
	if (sp_review_attestation_parse(ctx, &a, (const char *)data, size) ==
	    0) {
		check_entries(a);
		sp_review_attestation_free(a);
		a = NULL;
		judge((const char *)data, size);
	}
	if (sp_dsse_parse(ctx, &env, (const char *)data, size) == 0) {
		if (sp_review_attestation_from_dsse(ctx, &a, env) == 0)
			check_entries(a);
		sp_review_attestation_free(a);
		sp_dsse_free(env);
	}
	return 0;
}
