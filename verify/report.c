/*
 * The verification result as JSON, as a one-page text report and as a
 * self-contained HTML page (docs/spec/verify.md).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srcproof/util.h"
#include "util_int.h"
#include "verify_int.h"

#include "banned.h"

#define PUT(expr)                                                              \
	do {                                                                   \
		if ((error = (expr)) < 0)                                      \
			goto out;                                              \
	} while (0)

/* What the result does not show, whatever it is. */
static const char *const not_shown[] = {
    "that the source is free of flaws or backdoors: review coverage says "
    "which files trusted reviewers read, not what they missed",
    "that the build environment was isolated: a rebuild runs the recipe's "
    "command as this user, without a sandbox",
    "the certificate chains of Authenticode or module signatures in "
    "shipped binaries (their digests are compared)",
    "that the policy you pinned is the vendor's: it is trusted as given"};

static void
fmt_time(char out[SP_TIME_STR_LEN], int64_t t)
{
	if (sp_time_format(out, t) < 0)
		snprintf(out, SP_TIME_STR_LEN, "@%lld", (long long)t);
}

/* Names of failing checks: FAIL, or required and NOT CHECKED. */
static void
failing(const sp_verify_result *res, char *fail, size_t flen, char *nc,
    size_t nclen)
{
	size_t i, fo = 0, no = 0;

	fail[0] = nc[0] = '\0';
	for (i = 0; i < SP_VERIFY_CHECK_COUNT; i++) {
		const struct sp_verify_check_slot *c = &res->checks[i];

		if (c->status == SP_ESCROW_FAIL && fo < flen)
			fo += (size_t)snprintf(fail + fo, flen - fo, "%s%s",
			    fo ? ", " : "", sp_verify__check_names[i]);
		else if (c->status == SP_ESCROW_NOT_CHECKED && c->required &&
		         no < nclen)
			no += (size_t)snprintf(nc + no, nclen - no, "%s%s",
			    no ? ", " : "", sp_verify__check_names[i]);
	}
}

/* ---- JSON ------------------------------------------------------------------
 */

/* A JSON string of untrusted text: as is when valid UTF-8, else escaped. */
static json_t *
jstr(const char *s)
{
	sp_buf b = SP_BUF_INIT;
	json_t *j;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	if (sp_escape_terminal(&b, s, strlen(s)) < 0) {
		sp_buf_dispose(&b);
		return NULL;
	}
	j = json_string(b.ptr != NULL ? b.ptr : "");
	sp_buf_dispose(&b);
	return j;
}

static json_t *
jtime(int64_t t)
{
	char s[SP_TIME_STR_LEN];

	fmt_time(s, t);
	return json_string(s);
}

/* json_object_set_new that remembers a failure. */
static void
jset(json_t *o, const char *k, json_t *v, bool *bad)
{
	if (v == NULL || json_object_set_new(o, k, v) < 0)
		*bad = true;
}

static void
jpush(json_t *a, json_t *v, bool *bad)
{
	if (v == NULL || json_array_append_new(a, v) < 0)
		*bad = true;
}

int
sp_verify_json(sp_ctx *ctx, const sp_verify_result *res, json_t **out)
{
	json_t *doc = json_object(), *checks = json_array(),
	       *failed = json_array(), *j;
	bool bad = doc == NULL || checks == NULL || failed == NULL;
	size_t i;

	*out = NULL;
	if (bad)
		goto out;
	jset(doc, "schema", json_string(SP_VERIFY_SCHEMA), &bad);
	jset(doc, "result", json_string(res->ok ? "PASS" : "FAIL"), &bad);
	jset(doc, "ok", json_boolean(res->ok), &bad);
	jset(doc, "bundle", jstr(res->bundle), &bad);
	jset(doc, "bundle_sha256", json_string(res->bundle_sha256), &bad);
	jset(doc, "bundle_bytes", json_integer((json_int_t)res->bundle_bytes),
	    &bad);
	jset(doc, "encrypted", json_boolean(res->encrypted), &bad);
	jset(doc, "compression", json_string(res->compression), &bad);
	jset(doc, "verified_at", jtime(res->now), &bad);
	jset(doc, "at", jtime(res->at), &bad);
	jset(doc, "at_given", json_boolean(res->at_given), &bad);
	jset(doc, "product", jstr(res->product), &bad);
	jset(doc, "release", jstr(res->release), &bad);
	jset(doc, "kind", jstr(res->kind), &bad);
	jset(doc, "manifest_sha256", json_string(res->manifest_sha256), &bad);
	jset(doc, "previous_sha256",
	    res->previous_sha256[0] ? json_string(res->previous_sha256)
	                            : json_null(),
	    &bad);
	if (res->policy_loaded) {
		j = json_object();
		if (j != NULL) {
			jset(j, "version",
			    json_integer((json_int_t)res->policy_version),
			    &bad);
			jset(j, "expires", jtime(res->policy_expires), &bad);
			jset(j, "product",
			    res->policy_product[0] ? jstr(res->policy_product)
			                           : json_null(),
			    &bad);
			jset(j, "chain",
			    json_integer((json_int_t)res->policy_chain), &bad);
			jset(j, "verified", json_boolean(res->policy_ok), &bad);
			jset(j, "witness_threshold",
			    json_integer((json_int_t)res->witness_threshold),
			    &bad);
			jset(j, "log_threshold",
			    json_integer((json_int_t)res->log_threshold), &bad);
		}
		jset(doc, "policy", j, &bad);
	} else {
		jset(doc, "policy", json_null(), &bad);
	}
	for (i = 0; i < SP_VERIFY_CHECK_COUNT; i++) {
		const struct sp_verify_check_slot *c = &res->checks[i];

		jpush(checks,
		    json_pack("{s:s, s:s, s:b, s:o}", "name",
		        sp_verify__check_names[i], "status",
		        sp_escrow_status_name(c->status), "required",
		        c->required, "detail", jstr(c->detail)),
		    &bad);
		if (c->status == SP_ESCROW_FAIL ||
		    (c->status == SP_ESCROW_NOT_CHECKED && c->required))
			jpush(failed, json_string(sp_verify__check_names[i]),
			    &bad);
	}
	jset(doc, "checks", checks, &bad);
	checks = NULL;
	jset(doc, "failed", failed, &bad);
	failed = NULL;
	if (res->have_log) {
		json_t *cos = json_array();

		for (i = 0; cos != NULL && i < res->ncosigners; i++)
			jpush(cos,
			    json_pack("{s:o, s:o}", "name",
			        jstr(res->cosigners[i].name), "time",
			        jtime(res->cosigners[i].time)),
			    &bad);
		jset(doc, "log",
		    json_pack("{s:o, s:I, s:I, s:s?, s:s?, s:I, s:o}", "origin",
		        jstr(res->log_origin), "index",
		        (json_int_t)res->log_index, "tree_size",
		        (json_int_t)res->log_size, "log_key",
		        res->log_key_source, "witness_keys",
		        res->witness_source, "quorum", (json_int_t)res->quorum,
		        "cosigned_by", cos != NULL ? cos : json_null()),
		    &bad);
	} else {
		jset(doc, "log", json_null(), &bad);
	}
	if (res->rebuilt) {
		json_t *arts = json_array();

		for (i = 0; arts != NULL && i < res->nartefacts; i++) {
			const struct sp_verify_artefact *a = &res->artefacts[i];

			jpush(arts,
			    json_pack("{s:o, s:s, s:o, s:o}", "name",
			        jstr(a->name), "verdict",
			        sp_verdict_name(a->verdict), "method",
			        jstr(a->method), "reason", jstr(a->reason)),
			    &bad);
		}
		jset(doc, "rebuild",
		    json_pack("{s:s, s:I, s:o, s:s?}", "verdict",
		        sp_verdict_name(res->verdict), "artefacts_total",
		        (json_int_t)res->artefacts_total, "artefacts",
		        arts != NULL ? arts : json_null(), "directory",
		        res->report_dir != NULL ? "rebuild/" : NULL),
		    &bad);
	} else {
		jset(doc, "rebuild", json_null(), &bad);
	}
	if (res->have_coverage) {
		const sp_review_summary *s = &res->coverage;
		json_t *atts = json_array();
		char pct[16];

		for (i = 0; atts != NULL && i < res->natts; i++)
			jpush(atts,
			    json_pack("{s:o, s:s, s:o}", "label",
			        jstr(res->atts[i].label), "status",
			        res->atts[i].status, "reason",
			        jstr(res->atts[i].reason)),
			    &bad);
		sp_review_percent(pct, s->files_covered, s->files);
		jset(doc, "coverage",
		    json_pack("{s:s, s:I, s:I, s:I, s:s, s:I, s:I, s:I, "
		              "s:I, s:o}",
		        "min_depth", sp_review_depth_name(res->min_depth),
		        "require_milli", (json_int_t)res->require_milli,
		        "files", (json_int_t)s->files, "files_covered",
		        (json_int_t)s->files_covered, "percent", pct,
		        "files_carried", (json_int_t)s->files_carried,
		        "concerns", (json_int_t)s->concerns, "attestations",
		        (json_int_t)s->attestations, "counted",
		        (json_int_t)s->counted, "attestation_status",
		        atts != NULL ? atts : json_null()),
		    &bad);
	} else {
		jset(doc, "coverage", json_null(), &bad);
	}
	jset(doc, "tool",
	    json_pack(
	        "{s:s, s:s}", "name", "srcproof", "version", res->tool_version),
	    &bad);
out:
	json_decref(checks);
	json_decref(failed);
	if (bad) {
		json_decref(doc);
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	}
	*out = doc;
	return 0;
}

/* ---- text ------------------------------------------------------------------
 */

static int
term(sp_buf *b, const char *s)
{
	return sp_escape_terminal(b, s, strlen(s));
}

int
sp_verify_text(sp_ctx *ctx, const sp_verify_result *res, sp_buf *b)
{
	char t1[SP_TIME_STR_LEN], t2[SP_TIME_STR_LEN], fail[512], nc[512];
	size_t i;
	int error = 0;

	failing(res, fail, sizeof(fail), nc, sizeof(nc));
	PUT(sp_buf_printf(
	    b, "srcproof verify: %s\n", res->ok ? "PASS" : "FAIL"));
	if (res->ok)
		PUT(sp_buf_puts(b, "  every required check passed\n"));
	if (fail[0])
		PUT(sp_buf_printf(b, "  failed: %s\n", fail));
	if (nc[0])
		PUT(sp_buf_printf(b, "  required but NOT CHECKED: %s\n", nc));

	PUT(sp_buf_puts(b, "\nWhat was verified\n  bundle     "));
	PUT(term(b, res->bundle));
	PUT(sp_buf_printf(b, "\n             sha256 %s  (%llu bytes, %s%s%s)\n",
	    res->bundle_sha256, (unsigned long long)res->bundle_bytes,
	    res->compression, res->encrypted ? ", encrypted CMS " : "",
	    res->encrypted ? res->cipher : ""));
	if (res->manifest_sha256[0]) {
		PUT(sp_buf_puts(b, "  manifest   "));
		PUT(term(b, res->product[0] ? res->product : "(no product)"));
		PUT(sp_buf_puts(b, " "));
		PUT(term(b, res->release[0] ? res->release : "(no release)"));
		PUT(sp_buf_printf(
		    b, " (%s)  sha256 %s\n", res->kind, res->manifest_sha256));
	}
	if (res->previous_sha256[0])
		PUT(sp_buf_printf(
		    b, "  previous   sha256 %s\n", res->previous_sha256));
	if (res->policy_loaded) {
		fmt_time(t1, res->policy_expires);
		PUT(sp_buf_printf(b,
		    "  policy     version %llu (chain of %zu from the pinned "
		    "one), expires %s, product ",
		    (unsigned long long)res->policy_version, res->policy_chain,
		    t1));
		PUT(term(
		    b, res->policy_product[0] ? res->policy_product : "(any)"));
		PUT(sp_buf_printf(
		    b, "%s\n", res->policy_ok ? "" : " -- DOES NOT VERIFY"));
	}
	fmt_time(t1, res->now);
	fmt_time(t2, res->at);
	PUT(sp_buf_printf(b,
	    "  time       verified %s; keys, policy expiry and witness "
	    "cosignatures judged at %s%s\n",
	    t1, t2, res->at_given ? " (--at)" : " (now)"));
	if (res->have_log) {
		PUT(sp_buf_printf(b, "  log        entry %llu of ",
		    (unsigned long long)res->log_index));
		PUT(term(b, res->log_origin));
		PUT(sp_buf_printf(
		    b, " (tree size %llu)", (unsigned long long)res->log_size));
		for (i = 0; i < res->ncosigners; i++) {
			fmt_time(t1, res->cosigners[i].time);
			PUT(sp_buf_puts(b, i == 0 ? "; cosigned by " : ", "));
			PUT(term(b, res->cosigners[i].name));
			PUT(sp_buf_printf(b, " at %s", t1));
		}
		PUT(sp_buf_puts(b, "\n"));
	}

	PUT(sp_buf_puts(b, "\nChecks\n"));
	for (i = 0; i < SP_VERIFY_CHECK_COUNT; i++) {
		const struct sp_verify_check_slot *c = &res->checks[i];

		PUT(sp_buf_printf(b, "  %-12s %-11s ",
		    sp_verify__check_names[i],
		    sp_escrow_status_name(c->status)));
		PUT(term(b, c->detail));
		PUT(sp_buf_printf(b, "%s\n",
		    c->status != SP_ESCROW_PASS
		        ? (c->required ? " (required)" : " (not required)")
		        : ""));
	}
	if (res->rebuilt) {
		PUT(sp_buf_printf(
		    b, "\nRebuild: %s\n", sp_verdict_name(res->verdict)));
		for (i = 0; i < res->nartefacts; i++) {
			const struct sp_verify_artefact *a = &res->artefacts[i];

			/* Artefact strings come escaped from the rebuild. */
			PUT(sp_buf_printf(b, "  %-27s %s  %s: %s\n",
			    sp_verdict_name(a->verdict), a->name, a->method,
			    a->reason));
		}
		if (res->artefacts_total > res->nartefacts)
			PUT(sp_buf_printf(b, "  ... and %zu more\n",
			    res->artefacts_total - res->nartefacts));
	}
	if (res->have_coverage) {
		const sp_review_summary *s = &res->coverage;
		char pct[16];

		sp_review_percent(pct, s->files_covered, s->files);
		PUT(sp_buf_printf(b,
		    "\nReview coverage\n  %llu of %llu files covered at depth "
		    "%s or deeper (%s), %llu carried from earlier releases; "
		    "%llu open concern(s)\n  attestations: %zu given, %zu "
		    "counted\n",
		    (unsigned long long)s->files_covered,
		    (unsigned long long)s->files,
		    sp_review_depth_name(res->min_depth), pct,
		    (unsigned long long)s->files_carried,
		    (unsigned long long)s->concerns, s->attestations,
		    s->counted));
		for (i = 0; i < res->natts; i++) {
			PUT(sp_buf_puts(b, "    "));
			PUT(term(b, res->atts[i].label));
			PUT(sp_buf_printf(b, ": %s", res->atts[i].status));
			if (res->atts[i].reason[0]) {
				PUT(sp_buf_puts(b, ": "));
				PUT(term(b, res->atts[i].reason));
			}
			PUT(sp_buf_puts(b, "\n"));
		}
	}
	PUT(sp_buf_puts(b, "\nWhat this result does not show\n"));
	for (i = 0; i < SP_ARRAY_SIZE(not_shown); i++)
		PUT(sp_buf_printf(b, "  - %s\n", not_shown[i]));
	PUT(sp_buf_printf(b, "\nsrcproof %s, schema %s\n", res->tool_version,
	    SP_VERIFY_SCHEMA));
out:
	if (error < 0)
		return sp_err_buf(ctx, error, "text report");
	return 0;
}

/* ---- HTML ------------------------------------------------------------------
 */

static int
html(sp_buf *b, const char *s)
{
	return sp_escape_html(b, s, strlen(s));
}

static const char *
status_class(sp_escrow_check_status st, bool required)
{
	return st == SP_ESCROW_PASS               ? "good"
	       : st == SP_ESCROW_FAIL || required ? "bad"
	                                          : "nc";
}

int
sp_verify_html(sp_ctx *ctx, const sp_verify_result *res, sp_buf *b)
{
	char t1[SP_TIME_STR_LEN], t2[SP_TIME_STR_LEN], fail[512], nc[512];
	size_t i;
	int error = 0;

	failing(res, fail, sizeof(fail), nc, sizeof(nc));
	PUT(sp_buf_puts(b,
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" "
	    "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	    "<title>srcproof verify: "));
	PUT(sp_buf_puts(b, res->ok ? "PASS" : "FAIL"));
	PUT(sp_buf_puts(b, " &ndash; "));
	PUT(html(b, res->product[0] ? res->product : res->bundle));
	PUT(sp_buf_puts(b, " "));
	PUT(html(b, res->release));
	PUT(sp_buf_puts(b,
	    "</title>\n<style>\n"
	    "body{font-family:sans-serif;max-width:62em;margin:1em auto;"
	    "color:#111}\nh1{font-size:1.4em}h2{font-size:1.1em;"
	    "border-bottom:1px solid #999}\ntable{border-collapse:collapse}"
	    "td,th{padding:2px 8px;text-align:left;vertical-align:top}\n"
	    "code{font-family:monospace;word-break:break-all}\n"
	    ".bad{color:#a00;font-weight:bold}.good{color:#060;"
	    "font-weight:bold}.nc{color:#a60;font-weight:bold}\n"
	    "#result{font-size:1.6em}\n"
	    "@media print{body{font-size:10pt;max-width:none}}\n"
	    "</style>\n</head>\n<body>\n<h1>srcproof verify</h1>\n"));
	PUT(sp_buf_printf(b, "<p id=\"result\" class=\"%s\">%s</p>\n",
	    res->ok ? "good" : "bad", res->ok ? "PASS" : "FAIL"));
	PUT(sp_buf_puts(b, "<p id=\"summary\">"));
	if (res->ok)
		PUT(sp_buf_puts(b, "Every required check passed."));
	if (fail[0])
		PUT(sp_buf_printf(b, "Failed: %s. ", fail));
	if (nc[0])
		PUT(sp_buf_printf(b, "Required but NOT CHECKED: %s.", nc));
	PUT(sp_buf_puts(b, "</p>\n<h2>What was verified</h2>\n<table>\n"
	                   "<tr><th>bundle</th><td><code>"));
	PUT(html(b, res->bundle));
	PUT(sp_buf_printf(b,
	    "</code><br>sha256 <code id=\"bundle-sha256\">%s</code> (%llu "
	    "bytes, %s%s%s)</td></tr>\n",
	    res->bundle_sha256, (unsigned long long)res->bundle_bytes,
	    res->compression, res->encrypted ? ", encrypted CMS " : "",
	    res->encrypted ? res->cipher : ""));
	if (res->manifest_sha256[0]) {
		PUT(sp_buf_puts(b, "<tr><th>manifest</th><td>"));
		PUT(html(b, res->product[0] ? res->product : "(no product)"));
		PUT(sp_buf_puts(b, " "));
		PUT(html(b, res->release[0] ? res->release : "(no release)"));
		PUT(sp_buf_printf(b,
		    " (%s)<br>sha256 <code id=\"manifest-sha256\">%s</code>"
		    "</td></tr>\n",
		    res->kind, res->manifest_sha256));
	}
	if (res->previous_sha256[0])
		PUT(sp_buf_printf(b,
		    "<tr><th>previous</th><td>sha256 "
		    "<code>%s</code></td></tr>\n",
		    res->previous_sha256));
	if (res->policy_loaded) {
		fmt_time(t1, res->policy_expires);
		PUT(sp_buf_printf(b,
		    "<tr><th>policy</th><td>version %llu (chain of %zu from "
		    "the pinned one), expires %s, product ",
		    (unsigned long long)res->policy_version, res->policy_chain,
		    t1));
		PUT(html(
		    b, res->policy_product[0] ? res->policy_product : "(any)"));
		PUT(sp_buf_printf(b, "%s</td></tr>\n",
		    res->policy_ok
		        ? ""
		        : " <span class=\"bad\">does not verify</span>"));
	}
	fmt_time(t1, res->now);
	fmt_time(t2, res->at);
	PUT(sp_buf_printf(b,
	    "<tr><th>time</th><td>verified %s; keys, policy expiry and "
	    "witness cosignatures judged at <span id=\"at\">%s</span>%s"
	    "</td></tr>\n",
	    t1, t2, res->at_given ? " (--at)" : " (now)"));
	if (res->have_log) {
		PUT(sp_buf_printf(b, "<tr><th>log</th><td>entry %llu of ",
		    (unsigned long long)res->log_index));
		PUT(html(b, res->log_origin));
		PUT(sp_buf_printf(
		    b, " (tree size %llu)", (unsigned long long)res->log_size));
		for (i = 0; i < res->ncosigners; i++) {
			fmt_time(t1, res->cosigners[i].time);
			PUT(sp_buf_puts(b, i == 0 ? "; cosigned by " : ", "));
			PUT(html(b, res->cosigners[i].name));
			PUT(sp_buf_printf(b, " at %s", t1));
		}
		PUT(sp_buf_puts(b, "</td></tr>\n"));
	}
	PUT(sp_buf_puts(b, "</table>\n<h2>Checks</h2>\n<table>\n<tr><th>check"
	                   "</th><th>status</th><th>required</th><th>detail"
	                   "</th></tr>\n"));
	for (i = 0; i < SP_VERIFY_CHECK_COUNT; i++) {
		const struct sp_verify_check_slot *c = &res->checks[i];

		PUT(sp_buf_printf(b,
		    "<tr id=\"check-%s\"><td>%s</td><td class=\"%s\">%s</td>"
		    "<td>%s</td><td>",
		    sp_verify__check_names[i], sp_verify__check_names[i],
		    status_class(c->status, c->required),
		    sp_escrow_status_name(c->status),
		    c->required ? "yes" : "no"));
		PUT(html(b, c->detail));
		PUT(sp_buf_puts(b, "</td></tr>\n"));
	}
	PUT(sp_buf_puts(b, "</table>\n"));
	if (res->rebuilt) {
		PUT(sp_buf_printf(b,
		    "<h2>Rebuild: <span id=\"rebuild-verdict\">%s</span></h2>\n"
		    "<table>\n",
		    sp_verdict_name(res->verdict)));
		for (i = 0; i < res->nartefacts; i++) {
			const struct sp_verify_artefact *a = &res->artefacts[i];

			PUT(sp_buf_printf(b, "<tr><td class=\"%s\">%s</td><td>",
			    sp_verdict_is_match(a->verdict) ? "good" : "bad",
			    sp_verdict_name(a->verdict)));
			PUT(html(b, a->name));
			PUT(sp_buf_puts(b, "</td><td>"));
			PUT(html(b, a->method));
			PUT(sp_buf_puts(b, "</td><td>"));
			PUT(html(b, a->reason));
			PUT(sp_buf_puts(b, "</td></tr>\n"));
		}
		PUT(sp_buf_puts(b, "</table>\n"));
		if (res->report_dir != NULL)
			PUT(sp_buf_puts(b,
			    "<p>The rebuild's own report, build log and "
			    "per-artefact comparisons are in the "
			    "<code>rebuild/</code> directory beside this "
			    "page.</p>\n"));
	}
	if (res->have_coverage) {
		const sp_review_summary *s = &res->coverage;
		char pct[16];

		sp_review_percent(pct, s->files_covered, s->files);
		PUT(sp_buf_printf(b,
		    "<h2>Review coverage</h2>\n<p>%llu of %llu files covered "
		    "at depth %s or deeper (<span id=\"coverage\">%s</span>), "
		    "%llu carried from earlier releases; %llu open "
		    "concern(s); %zu of %zu attestations counted.</p>\n"
		    "<table>\n",
		    (unsigned long long)s->files_covered,
		    (unsigned long long)s->files,
		    sp_review_depth_name(res->min_depth), pct,
		    (unsigned long long)s->files_carried,
		    (unsigned long long)s->concerns, s->counted,
		    s->attestations));
		for (i = 0; i < res->natts; i++) {
			PUT(sp_buf_puts(b, "<tr><td><code>"));
			PUT(html(b, res->atts[i].label));
			PUT(sp_buf_printf(b, "</code></td><td>%s</td><td>",
			    res->atts[i].status));
			PUT(html(b, res->atts[i].reason));
			PUT(sp_buf_puts(b, "</td></tr>\n"));
		}
		PUT(sp_buf_puts(b, "</table>\n"));
	}
	PUT(sp_buf_puts(b, "<h2>What this result does not show</h2>\n<ul>\n"));
	for (i = 0; i < SP_ARRAY_SIZE(not_shown); i++)
		PUT(sp_buf_printf(b, "<li>%s</li>\n", not_shown[i]));
	PUT(sp_buf_printf(b,
	    "</ul>\n<p><small>srcproof %s, schema %s</small></p>\n"
	    "</body>\n</html>\n",
	    res->tool_version, SP_VERIFY_SCHEMA));
out:
	if (error < 0)
		return sp_err_buf(ctx, error, "HTML report");
	return 0;
}

/* ---- files -----------------------------------------------------------------
 */

static int
write_one(sp_ctx *ctx, const char *dir, const char *name, const char *data,
    size_t len)
{
	sp_buf p = SP_BUF_INIT;
	int error;

	if (sp_buf_printf(&p, "%s/%s", dir, name) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	error = sp_write_file_atomic(
	    ctx, p.ptr, data != NULL ? data : "", len, 0644, SP_ATOMIC_EXCL);
	sp_buf_dispose(&p);
	return error;
}

int
sp_verify__write_reports(
    sp_ctx *ctx, const sp_verify_result *res, const char *dir)
{
	sp_buf text = SP_BUF_INIT, page = SP_BUF_INIT;
	json_t *doc = NULL;
	char *js = NULL;
	int error;

	if ((error = sp_verify_text(ctx, res, &text)) < 0 ||
	    (error = sp_verify_html(ctx, res, &page)) < 0 ||
	    (error = sp_verify_json(ctx, res, &doc)) < 0)
		goto out;
	if ((js = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII)) ==
	    NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = write_one(ctx, dir, "report.txt", text.ptr, text.size)) <
	        0 ||
	    (error = write_one(ctx, dir, "report.html", page.ptr, page.size)) <
	        0)
		goto out;
	sp_buf_clear(&text);
	if ((error = sp_buf_printf(&text, "%s\n", js)) < 0) {
		error = sp_err_buf(ctx, error, "JSON report");
		goto out;
	}
	if ((error = write_one(ctx, dir, "report.json", text.ptr, text.size)) <
	    0)
		goto out;
out:
	free(js);
	json_decref(doc);
	sp_buf_dispose(&text);
	sp_buf_dispose(&page);
	return error;
}
