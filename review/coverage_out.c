/*
 * Coverage as text (escaped for a terminal) and as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_int.h"
#include "util_int.h"

#include "banned.h"

/* Longest part of a note shown in text output. */
#define NOTE_SHOWN 300

static int
put_time(sp_buf *out, int64_t t)
{
	char ts[SP_TIME_STR_LEN];

	if (sp_time_format(ts, t) < 0)
		return sp_buf_puts(out, "(bad time)");
	return sp_buf_puts(out, ts);
}

static int
put_trust(sp_buf *out, const sp_review_ledger *l)
{
	int error;

	if (l->trust.policy != NULL)
		error = sp_buf_printf(out,
		    "trust: policy version %llu, role review (threshold %u), "
		    "checked at ",
		    (unsigned long long)sp_policy_version(l->trust.policy),
		    sp_policy_threshold(l->trust.policy, SP_REVIEW_ROLE));
	else if (l->trust.nkeys > 0)
		error = sp_buf_printf(out,
		    "trust: %zu public key%s given (no policy), checked at ",
		    l->trust.nkeys, l->trust.nkeys == 1 ? "" : "s");
	else
		return sp_buf_puts(out,
		    "trust: NOT CHECKED: no trust policy or public key given; "
		    "no attestation counts\n");
	if (error < 0 || (error = put_time(out, l->trust.at)) < 0)
		return error;
	return sp_buf_putc(out, '\n');
}

static int
put_att(sp_buf *out, const sp_review_att_info *in)
{
	char id[17];
	int error;

	if (in->status != SP_REVIEW_ATT_COUNTED) {
		if ((error = sp_buf_puts(out, "  NOT COUNTED  ")) < 0 ||
		    (error = sp_review__put_term(out, in->label)) < 0 ||
		    (error = sp_buf_printf(out, ": %s: ",
		         sp_review_att_status_name(in->status))) < 0 ||
		    (error = sp_review__put_term(out, in->reason)) < 0)
			return error;
		return sp_buf_putc(out, '\n');
	}
	sp_review__short_id(id, in->reviewer);
	if ((error = sp_buf_puts(out, "  counted      ")) < 0 ||
	    (error = sp_review__put_term(out, in->label)) < 0 ||
	    (error = sp_buf_printf(out, ": reviewer %s, ", id)) < 0 ||
	    (error = put_time(out, in->time)) < 0 ||
	    (error = sp_buf_printf(out, ", %zu file%s", in->files,
	         in->files == 1 ? "" : "s")) < 0)
		return error;
	if (in->current)
		error = sp_buf_puts(out, ", for this manifest");
	else {
		if ((error = sp_buf_puts(out, ", carried from release ")) < 0 ||
		    (error = sp_review__put_term(
		         out, in->release ? in->release : "(unnamed)")) < 0)
			return error;
		error = sp_buf_printf(out, " (%.12s...%s)", in->manifest,
		    in->checked ? "" : ", entries not checked against it");
	}
	if (error == 0 && in->stale > 0)
		error = sp_buf_printf(
		    out, ", %zu no longer in this manifest", in->stale);
	return error < 0 ? error : sp_buf_putc(out, '\n');
}

static int
put_concern(sp_buf *out, const sp_review_concern *c)
{
	char id[17];
	int error;

	sp_review__short_id(id, c->reviewer);
	if ((error = sp_buf_printf(out, "      %s by %s at ",
	         sp_review_depth_name(c->depth), id)) < 0 ||
	    (error = put_time(out, c->time)) < 0 ||
	    (error = sp_buf_puts(out, ": ")) < 0 ||
	    (error = sp_review__put_term_cut(
	         out, c->note ? c->note : "(no note)", NOTE_SHOWN)) < 0)
		return error;
	return sp_buf_putc(out, '\n');
}

static int
put_file(sp_buf *out, const sp_review_coverage *cov, const sp_review_file *f)
{
	static const char *const label[] = {
	    "CONCERN  ", "UNCOVERED", "PARTIAL  ", "SHALLOW  ", "covered  "};
	char hex[SP_SHA256_HEX_LEN + 1];
	size_t i;
	int error;

	if ((error = sp_buf_printf(out, "  %s  ", label[f->status])) < 0 ||
	    (error = sp_escape_terminal(
	         out, f->entry->path, f->entry->path_len)) < 0)
		return error;
	switch (f->status) {
	case SP_REVIEW_FILE_PARTIAL:
		if (f->lines != UINT64_MAX)
			error = sp_buf_printf(out,
			    "  (%llu of %llu lines at %s or deeper)",
			    (unsigned long long)f->lines_covered,
			    (unsigned long long)f->lines,
			    sp_review_depth_name(cov->min_depth));
		else
			error = sp_buf_puts(out,
			    "  (some lines; line count unknown without "
			    "--source)");
		break;
	case SP_REVIEW_FILE_SHALLOW:
		error = sp_buf_printf(out, "  (whole file at %s only)",
		    sp_review_depth_name(f->depth));
		break;
	case SP_REVIEW_FILE_COVERED:
		error = sp_buf_printf(out, "  (%s%s)",
		    sp_review_depth_name(f->depth),
		    f->carried ? ", carried" : "");
		break;
	case SP_REVIEW_FILE_CONCERN:
		error = sp_buf_printf(out, "  (%s)",
		    f->covered ? sp_review_depth_name(f->depth)
		               : "not covered at the required depth");
		break;
	default:
		break;
	}
	if (error == 0 && f->marked_not_reviewed && !f->covered)
		error = sp_buf_puts(out, "  (marked not-reviewed)");
	if (error == 0 && f->last_reviewed != NULL) {
		sp_hex_encode(hex, f->last_reviewed, SP_SHA256_LEN);
		error = sp_buf_printf(out,
		    "  (changed since reviewed: last reviewed sha256 %.16s...)",
		    hex);
	}
	if (error < 0 || (error = sp_buf_putc(out, '\n')) < 0)
		return error;
	for (i = 0; i < f->nconcerns; i++)
		if ((error = put_concern(out, &f->concerns[i])) < 0)
			return error;
	return 0;
}

static int
put_count(sp_buf *out, const char *what, uint64_t num, uint64_t den)
{
	char pct[16];

	if (num == UINT64_MAX || den == UINT64_MAX)
		return sp_buf_printf(out,
		    "%s not counted (give --source to count them)\n", what);
	sp_review_percent(pct, num, den);
	return sp_buf_printf(out, "%s %llu of %llu (%s)\n", what,
	    (unsigned long long)num, (unsigned long long)den, pct);
}

int
sp_review_coverage_text(
    sp_ctx *ctx, const sp_review_coverage *cov, sp_buf *out, unsigned flags)
{
	const sp_review_ledger *l = cov->ledger;
	const sp_review_summary *s = &cov->sum;
	const sp_manifest *m = l->m;
	size_t i, start = out->size;
	const char *md = sp_review_depth_name(cov->min_depth);
	bool listed_todo = false, listed_covered = false;
	char pct[16];
	int error;

	if ((error = sp_buf_puts(out, "review coverage of ")) < 0 ||
	    (error = sp_review__put_term(out, sp_manifest_product(m)
	                                          ? sp_manifest_product(m)
	                                          : "(no product)")) < 0 ||
	    (error = sp_buf_putc(out, ' ')) < 0 ||
	    (error = sp_review__put_term(out, sp_manifest_release(m)
	                                          ? sp_manifest_release(m)
	                                          : "(no release)")) < 0 ||
	    (error = sp_buf_printf(out, " (%s), manifest sha256 %s\n",
	         sp_manifest_kind_name(sp_manifest_kind_of(m)), l->hex)) < 0 ||
	    (error = put_trust(out, l)) < 0 ||
	    (error = sp_buf_printf(out, "required depth: %s\n\n", md)) < 0)
		goto out;

	if ((error =
	            sp_buf_printf(out, "attestations: %zu given, %zu counted\n",
	                s->attestations, s->counted)) < 0)
		goto out;
	for (i = 0; i < l->natts; i++)
		if ((error = put_att(out, sp_review_ledger_info(l, i))) < 0)
			goto out;

	if (s->by_status[SP_REVIEW_FILE_CONCERN] > 0 &&
	    (error = sp_buf_printf(out, "\nopen concerns (%llu file%s):\n",
	         (unsigned long long)s->by_status[SP_REVIEW_FILE_CONCERN],
	         s->by_status[SP_REVIEW_FILE_CONCERN] == 1 ? "" : "s")) < 0)
		goto out;
	for (i = 0; i < cov->nfiles; i++) {
		const sp_review_file *f = &cov->files[cov->order[i]];
		uint64_t todo = s->by_status[SP_REVIEW_FILE_UNCOVERED] +
		                s->by_status[SP_REVIEW_FILE_PARTIAL] +
		                s->by_status[SP_REVIEW_FILE_SHALLOW];

		if (f->status == SP_REVIEW_FILE_COVERED &&
		    !(flags & SP_REVIEW_TEXT_ALL))
			break;
		if (f->status != SP_REVIEW_FILE_CONCERN &&
		    f->status != SP_REVIEW_FILE_COVERED && !listed_todo) {
			listed_todo = true;
			if ((error = sp_buf_printf(out,
			         "\nfiles needing review (%llu):\n",
			         (unsigned long long)todo)) < 0)
				goto out;
		}
		if (f->status == SP_REVIEW_FILE_COVERED && !listed_covered) {
			listed_covered = true;
			if ((error = sp_buf_printf(out,
			         "\ncovered files (%llu):\n",
			         (unsigned long long)
			             s->by_status[SP_REVIEW_FILE_COVERED])) < 0)
				goto out;
		}
		if ((error = put_file(out, cov, f)) < 0)
			goto out;
	}

	sp_review_percent(pct, s->files_covered, s->files);
	if ((error = sp_buf_printf(out,
	         "\nfiles: %llu of %llu covered at depth %s or deeper (%s); "
	         "%llu carried from earlier releases\n",
	         (unsigned long long)s->files_covered,
	         (unsigned long long)s->files, md, pct,
	         (unsigned long long)s->files_carried)) < 0 ||
	    (error = put_count(out, "bytes:", s->bytes_covered, s->bytes)) <
	        0 ||
	    (error = put_count(out, "lines:", s->lines_covered, s->lines)) <
	        0 ||
	    (error = sp_buf_printf(out,
	         "by depth: in-depth %llu, read %llu, overview %llu, none "
	         "%llu\n",
	         (unsigned long long)s->by_depth[SP_REVIEW_DEPTH_IN_DEPTH],
	         (unsigned long long)s->by_depth[SP_REVIEW_DEPTH_READ],
	         (unsigned long long)s->by_depth[SP_REVIEW_DEPTH_OVERVIEW],
	         (unsigned long long)s->by_depth[SP_REVIEW_DEPTH_NONE])) < 0 ||
	    (error = sp_buf_printf(out, "open concerns: %llu file%s\n",
	         (unsigned long long)s->concerns,
	         s->concerns == 1 ? "" : "s")) < 0)
		goto out;
	if (l->trust.policy == NULL && l->trust.nkeys == 0)
		error = sp_buf_puts(out,
		    "NOT CHECKED: signatures were not checked against a "
		    "policy; coverage counts nothing\n");
out:
	if (error < 0) {
		if (out->ptr != NULL) {
			out->size = start;
			out->ptr[start] = '\0';
		}
		return sp_err_buf(ctx, error, "the coverage report");
	}
	return 0;
}

/* ---- JSON -----------------------------------------------------------------
 */

static json_t *
json_time(int64_t t)
{
	char ts[SP_TIME_STR_LEN];

	return sp_time_format(ts, t) < 0 ? json_null() : json_string(ts);
}

static json_t *
json_count(uint64_t v)
{
	return v == UINT64_MAX ? json_null() : json_integer((json_int_t)v);
}

json_t *
sp_review__att_json(const sp_review_att_info *in)
{
	json_t *o = json_pack("{s:o, s:s, s:o, s:i}", "file",
	    sp_review__json_text(in->label, strlen(in->label)), "status",
	    sp_review_att_status_name(in->status), "reason",
	    sp_review__json_text(in->reason, strlen(in->reason)), "signatures",
	    (int)in->signatures);

	if (o == NULL || in->manifest == NULL)
		return o;
	if (json_object_set_new(o, "manifest", json_string(in->manifest)) < 0 ||
	    json_object_set_new(o, "reviewer", json_string(in->reviewer)) < 0 ||
	    json_object_set_new(o, "product",
	        in->product ? json_string(in->product) : json_null()) < 0 ||
	    json_object_set_new(o, "release",
	        in->release ? json_string(in->release) : json_null()) < 0 ||
	    json_object_set_new(o, "signed_at", json_time(in->time)) < 0 ||
	    json_object_set_new(
	        o, "files", json_integer((json_int_t)in->files)) < 0 ||
	    json_object_set_new(o, "current", json_boolean(in->current)) < 0 ||
	    json_object_set_new(o, "checked", json_boolean(in->checked)) < 0 ||
	    json_object_set_new(
	        o, "stale", json_integer((json_int_t)in->stale)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
sp_review__file_json(const sp_review_coverage *cov, const sp_review_file *f)
{
	char hex[SP_SHA256_HEX_LEN + 1];
	json_t *o, *cs;
	size_t i;

	(void)cov;
	sp_hex_encode(hex, f->entry->sha256, SP_SHA256_LEN);
	cs = json_array();
	o = json_pack("{s:o, s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:b, s:o}",
	    "path", sp_review__json_text(f->entry->path, f->entry->path_len),
	    "sha256", hex, "status", sp_review_file_status_name(f->status),
	    "depth", sp_review_depth_name(f->depth), "covered", f->covered,
	    "carried", f->carried, "bytes", json_count(f->bytes), "lines",
	    json_count(f->lines), "lines_covered", json_count(f->lines_covered),
	    "marked_not_reviewed", f->marked_not_reviewed, "concerns", cs);
	if (o == NULL)
		return NULL;
	if (f->last_reviewed != NULL) {
		sp_hex_encode(hex, f->last_reviewed, SP_SHA256_LEN);
		if (json_object_set_new(o, "last_reviewed", json_string(hex)) <
		    0)
			goto fail;
	}
	for (i = 0; i < f->nconcerns; i++) {
		const sp_review_concern *c = &f->concerns[i];

		if (json_array_append_new(cs,
		        json_pack("{s:s, s:s, s:o, s:o, s:o}", "reviewer",
		            c->reviewer, "depth",
		            sp_review_depth_name(c->depth), "signed_at",
		            json_time(c->time), "note",
		            c->note
		                ? sp_review__json_text(c->note, strlen(c->note))
		                : json_null(),
		            "attestation",
		            sp_review__json_text(
		                c->attestation, strlen(c->attestation)))) < 0)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

int
sp_review_coverage_file_json(
    sp_ctx *ctx, const sp_review_coverage *cov, size_t i, json_t **out)
{
	*out = NULL;
	if (i >= cov->nfiles)
		return sp_err_set(ctx, SP_EINVALID, "no file %zu", i);
	if ((*out = sp_review__file_json(cov, &cov->files[cov->order[i]])) ==
	    NULL)
		return sp_err_set(
		    ctx, SP_ENOMEM, "out of memory building JSON");
	return 0;
}

int
sp_review_coverage_json(
    sp_ctx *ctx, const sp_review_coverage *cov, unsigned flags, json_t **out)
{
	const sp_review_ledger *l = cov->ledger;
	const sp_review_summary *s = &cov->sum;
	const sp_manifest *m = l->m;
	json_t *doc = NULL, *atts, *files, *trust;
	char pct[16];
	size_t i;

	*out = NULL;
	sp_review_percent(pct, s->files_covered, s->files);
	pct[strlen(pct) - 1] = '\0';
	atts = json_array();
	files = json_array();
	trust =
	    json_pack("{s:s, s:b, s:o}", "mode", sp_review_ledger_trust_mode(l),
	        "checked", l->trust.policy != NULL || l->trust.nkeys > 0, "at",
	        json_time(l->trust.at));
	if (trust != NULL && l->trust.policy != NULL &&
	    json_object_set_new(trust, "policy_version",
	        json_integer((json_int_t)sp_policy_version(l->trust.policy))) <
	        0)
		goto fail;
	doc = json_pack("{s:{s:s, s:o, s:o, s:s}, s:o, s:s, s:o, s:{s:I, "
	                "s:I, s:s, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I}, "
	                "s:{s:I, s:I, s:I, s:I}, s:o, s:o, s:o, s:o}, s:o}",
	    "manifest", "sha256", l->hex, "product",
	    sp_manifest_product(m) ? json_string(sp_manifest_product(m))
	                           : json_null(),
	    "release",
	    sp_manifest_release(m) ? json_string(sp_manifest_release(m))
	                           : json_null(),
	    "kind", sp_manifest_kind_name(sp_manifest_kind_of(m)), "trust",
	    trust, "min_depth", sp_review_depth_name(cov->min_depth),
	    "attestations", atts, "summary", "files", (json_int_t)s->files,
	    "files_covered", (json_int_t)s->files_covered, "percent", pct,
	    "files_carried", (json_int_t)s->files_carried, "concerns",
	    (json_int_t)s->concerns, "by_status", "concern",
	    (json_int_t)s->by_status[SP_REVIEW_FILE_CONCERN], "uncovered",
	    (json_int_t)s->by_status[SP_REVIEW_FILE_UNCOVERED], "partial",
	    (json_int_t)s->by_status[SP_REVIEW_FILE_PARTIAL], "shallow",
	    (json_int_t)s->by_status[SP_REVIEW_FILE_SHALLOW], "covered",
	    (json_int_t)s->by_status[SP_REVIEW_FILE_COVERED], "by_depth",
	    "none", (json_int_t)s->by_depth[0], "overview",
	    (json_int_t)s->by_depth[1], "read", (json_int_t)s->by_depth[2],
	    "in-depth", (json_int_t)s->by_depth[3], "bytes",
	    json_count(s->bytes), "bytes_covered", json_count(s->bytes_covered),
	    "lines", json_count(s->lines), "lines_covered",
	    json_count(s->lines_covered), "files", files);
	if (doc == NULL)
		goto fail;
	for (i = 0; i < l->natts; i++)
		if (json_array_append_new(atts,
		        sp_review__att_json(sp_review_ledger_info(l, i))) < 0)
			goto fail;
	for (i = 0; i < cov->nfiles && !(flags & SP_REVIEW_JSON_NO_FILES); i++)
		if (json_array_append_new(files,
		        sp_review__file_json(cov, &cov->files[cov->order[i]])) <
		    0)
			goto fail;
	*out = doc;
	return 0;
fail:
	json_decref(doc);
	return sp_err_set(ctx, SP_ENOMEM, "out of memory building JSON");
}
