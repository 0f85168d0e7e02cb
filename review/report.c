/*
 * The one-page review report for a government reviewer: what the release
 * is, who signed it, how much of it trusted reviewers read, what they are
 * worried about, whether the binaries were rebuilt, and what was NOT
 * checked. Text, self-contained HTML and JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_int.h"
#include "srcproof/sign.h"
#include "srcproof/srcproof.h"
#include "util_int.h"

#include "banned.h"

/* Items listed by name on the page, per section (the rest: JSON). */
#define PAGE_MAX 10
/* Longest note shown on the page. */
#define NOTE_PAGE 200
/* Artefacts read from one verdict attestation. */
#define MAX_ARTEFACTS 256

enum ev_status { EV_OK, EV_FAILED, EV_NOT_CHECKED };
static const char *const ev_names[] = {"OK", "FAILED", "NOT CHECKED"};
static const char *const ev_json[] = {"ok", "failed", "not-checked"};

/* One signature file over the manifest. */
struct sig_row {
	const char *file;
	enum ev_status status;
	char role[32];
	size_t valid, required;
	sp_buf reason;
};

/* One artefact of a verdict attestation. */
struct artefact {
	char *name;
	char *verdict; /* NULL when not interpretable */
	bool match;
};

/* One rebuild verdict attestation. */
struct verdict_row {
	const char *file;
	enum ev_status status; /* of the signature */
	bool interpreted;      /* every artefact has a known verdict */
	bool names_manifest;   /* the predicate names this manifest's sha256 */
	struct artefact *arts;
	size_t narts;
	json_t *not_checked; /* the predicate's own "not_checked" list */
	sp_buf reason;
};

struct report {
	sp_ctx *ctx;
	const sp_review_report_opts *o;
	const sp_review_coverage *cov;
	const sp_review_ledger *l;
	const sp_manifest *m;
	struct sig_row *sigs;
	struct verdict_row *verdicts;
	sp_review_report_result res;
	int64_t now;
};

static int
set_reason(struct report *r, sp_buf *b, const char *msg)
{
	sp_buf_clear(b);
	if (sp_buf_puts(b, msg) < 0)
		return sp_err_set(r->ctx, SP_ENOMEM, "out of memory");
	sp_err_clear(r->ctx);
	return 0;
}

static bool
trusted(const struct report *r)
{
	return r->l->trust.policy != NULL || r->l->trust.nkeys > 0;
}

static void
verify_opts(const struct report *r, sp_sign_verify_opts *vo, const char *role)
{
	vo->at = r->l->trust.at;
	if (r->l->trust.policy != NULL) {
		vo->policy = r->l->trust.policy;
		vo->role = role;
	} else {
		vo->keys = r->l->trust.keys;
		vo->nkeys = r->l->trust.nkeys;
		vo->threshold = 1;
	}
}

/* ---- signatures over the manifest ---------------------------------------- */

static int
judge_sig(struct report *r, struct sig_row *row)
{
	sp_sign_verify_opts vo = SP_SIGN_VERIFY_OPTS_INIT;
	sp_statement_info info;
	sp_sign_result res;
	sp_dsse *env = NULL;
	const char *want = sp_manifest_kind_of(r->m) == SP_MANIFEST_UPDATE
	                       ? "update"
	                       : "release";
	int error;

	memset(&info, 0, sizeof(info));
	memset(&res, 0, sizeof(res));
	sp_buf_init(&row->reason, 4096);
	row->status = EV_FAILED;
	if ((error = sp_dsse_load(r->ctx, &env, row->file)) < 0) {
		if (error != SP_EPARSE && error != SP_ELIMIT &&
		    error != SP_EUNSAFE)
			goto out;
		error = set_reason(r, &row->reason, sp_ctx_errmsg(r->ctx));
		goto out;
	}
	if ((error = sp_statement_check(r->ctx, env, r->l->md, &info)) < 0) {
		if (error == SP_ENOMEM)
			goto out;
		error = set_reason(r, &row->reason, sp_ctx_errmsg(r->ctx));
		goto out;
	}
	snprintf(row->role, sizeof(row->role), "%s",
	    info.role ? info.role : "(none)");
	if (info.role == NULL || strcmp(info.role, want) != 0) {
		sp_err_set(r->ctx, SP_EVERIFY,
		    "signed for role '%s'; a %s manifest needs role '%s'",
		    row->role, sp_manifest_kind_name(sp_manifest_kind_of(r->m)),
		    want);
		error = set_reason(r, &row->reason, sp_ctx_errmsg(r->ctx));
		goto out;
	}
	if (!trusted(r)) {
		row->status = EV_NOT_CHECKED;
		error = set_reason(
		    r, &row->reason, "no trust policy or public key given");
		goto out;
	}
	verify_opts(r, &vo, want);
	if (sp_dsse_verify(r->ctx, env, &vo, &res) < 0) {
		row->valid = res.valid;
		row->required = res.required;
		error = set_reason(r, &row->reason, sp_ctx_errmsg(r->ctx));
		goto out;
	}
	row->valid = res.valid;
	row->required = res.required;
	row->status = EV_OK;
	error = 0;
out:
	sp_statement_info_dispose(&info);
	sp_dsse_free(env);
	return error;
}

/* ---- rebuild verdicts ------------------------------------------------------
 */

static const char *const known_verdicts[] = {"IDENTICAL",
    "IDENTICAL_MODULO_SIGNATURE", "EXPLAINED_DIFFERENCE", "DIFFERENT", "ERROR"};

static bool
verdict_known(const char *v, bool *match)
{
	size_t i;

	for (i = 0; i < SP_ARRAY_SIZE(known_verdicts); i++)
		if (strcmp(v, known_verdicts[i]) == 0) {
			*match = i < 2;
			return true;
		}
	return false;
}

/* Does any string of @p j (depth-limited) equal @p hex? */
static bool
names_digest(const json_t *j, const char *hex, int depth)
{
	const char *k;
	json_t *v;
	size_t i;

	if (depth > 8)
		return false;
	if (json_is_string(j))
		return strcmp(json_string_value(j), hex) == 0;
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			if (names_digest(v, hex, depth + 1))
				return true;
		}
		return false;
	}
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
		{
			if (names_digest(v, hex, depth + 1))
				return true;
		}
	}
	return false;
}

/* The verdict string of an artefact object or a predicate, or NULL. */
static const char *
verdict_of(const json_t *o)
{
	const json_t *v = json_object_get(o, "verdict");
	const char *nested[] = {"result", "compare", "comparison"};
	size_t i;

	if (json_is_string(v))
		return json_string_value(v);
	for (i = 0; i < SP_ARRAY_SIZE(nested); i++) {
		v = json_object_get(json_object_get(o, nested[i]), "verdict");
		if (json_is_string(v))
			return json_string_value(v);
	}
	return NULL;
}

static const char *
name_of(const json_t *o)
{
	const char *keys[] = {"name", "path", "artefact", "artifact", "file"};
	const json_t *v;
	size_t i;

	for (i = 0; i < SP_ARRAY_SIZE(keys); i++)
		if (json_is_string(v = json_object_get(o, keys[i])))
			return json_string_value(v);
	v = json_object_get(json_object_get(o, "shipped"), "path");
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
add_artefact(struct report *r, struct verdict_row *row, const char *name,
    const char *verdict)
{
	struct artefact *a;

	if (row->narts >= MAX_ARTEFACTS)
		return 0;
	a = realloc(row->arts, (row->narts + 1) * sizeof(*a));
	if (a == NULL)
		return sp_err_set(r->ctx, SP_ENOMEM, "out of memory");
	row->arts = a;
	a = &row->arts[row->narts];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name ? name : "(unnamed)");
	if (a->name == NULL)
		return sp_err_set(r->ctx, SP_ENOMEM, "out of memory");
	row->narts++;
	if (verdict != NULL && verdict_known(verdict, &a->match) &&
	    (a->verdict = strdup(verdict)) == NULL)
		return sp_err_set(r->ctx, SP_ENOMEM, "out of memory");
	return 0;
}

/* Read the artefacts and their verdicts out of a statement. */
static int
interpret(struct report *r, struct verdict_row *row, const json_t *st)
{
	const json_t *pred = json_object_get(st, "predicate");
	const json_t *list = json_object_get(pred, "artefacts"), *o;
	const char *v;
	size_t i;
	int error;

	if (list == NULL)
		list = json_object_get(pred, "artifacts");
	if (json_is_array(list) && json_array_size(list) > 0) {
		json_array_foreach(list, i, o)
		{
			if ((error = add_artefact(
			         r, row, name_of(o), verdict_of(o))) < 0)
				return error;
		}
	} else if ((v = verdict_of(pred)) != NULL) {
		const json_t *subject = json_object_get(st, "subject");

		json_array_foreach(subject, i, o)
		{
			if ((error = add_artefact(r, row, name_of(o), v)) < 0)
				return error;
		}
	}
	row->interpreted = row->narts > 0;
	for (i = 0; i < row->narts; i++)
		if (row->arts[i].verdict == NULL)
			row->interpreted = false;
	row->names_manifest = names_digest(pred, r->l->hex, 0);
	if (json_is_array(json_object_get(pred, "not_checked")))
		row->not_checked =
		    json_incref(json_object_get(pred, "not_checked"));
	return 0;
}

static int
judge_verdict(struct report *r, struct verdict_row *row)
{
	sp_sign_verify_opts vo = SP_SIGN_VERIFY_OPTS_INIT;
	sp_dsse *env = NULL;
	json_t *st = NULL;
	const char *payload;
	size_t len, i;
	int error;

	sp_buf_init(&row->reason, 4096);
	row->status = EV_FAILED;
	if ((error = sp_dsse_load(r->ctx, &env, row->file)) < 0) {
		if (error != SP_EPARSE && error != SP_ELIMIT &&
		    error != SP_EUNSAFE)
			goto out;
		error = set_reason(r, &row->reason, sp_ctx_errmsg(r->ctx));
		goto out;
	}
	payload = sp_dsse_payload(env, &len);
	if (strcmp(sp_dsse_payload_type(env), SP_DSSE_TYPE_INTOTO) != 0 ||
	    sp_review__json_parse(r->ctx, &st, payload, len,
	        SP_DSSE_MAX_PAYLOAD, "the statement") < 0 ||
	    !json_is_object(st)) {
		error = set_reason(r, &row->reason,
		    "not an in-toto statement; cannot interpret it");
		goto out;
	}
	if ((error = interpret(r, row, st)) < 0)
		goto out;
	if (!trusted(r)) {
		row->status = EV_NOT_CHECKED;
		error = set_reason(
		    r, &row->reason, "no trust policy or public key given");
		goto out;
	}
	verify_opts(r, &vo, SP_REVIEW_REBUILD_ROLE);
	if (sp_dsse_verify(r->ctx, env, &vo, NULL) < 0) {
		error = set_reason(r, &row->reason, sp_ctx_errmsg(r->ctx));
		goto out;
	}
	{
		const json_t *role =
		    json_object_get(json_object_get(st, "predicate"), "role");

		if (json_is_string(role) && strcmp(json_string_value(role),
		                                SP_REVIEW_REBUILD_ROLE) != 0) {
			error = set_reason(r, &row->reason,
			    "the predicate's role is not 'rebuild'");
			goto out;
		}
	}
	row->status = EV_OK;
	if (!row->interpreted)
		error = set_reason(r, &row->reason,
		    "signature OK, but the predicate has no verdict this "
		    "report can read");
	error = 0;
out:
	if (error == 0 && row->status == EV_OK && row->interpreted) {
		for (i = 0; i < row->narts; i++)
			if (row->arts[i].match)
				r->res.verdicts_match++;
			else
				r->res.verdicts_mismatch++;
	} else if (error == 0 && row->status == EV_FAILED)
		r->res.verdicts_mismatch++;
	else if (error == 0)
		r->res.verdicts_not_checked++;
	json_decref(st);
	sp_dsse_free(env);
	return error;
}

/* ---- rendering -------------------------------------------------------------
 */

/* What a verified verdict itself says it did not check (escaped). */
static int
verdict_not_checked(
    sp_buf *out, size_t i, const struct verdict_row *v, bool html)
{
	const json_t *item;
	size_t k;
	int error;

	json_array_foreach(v->not_checked, k, item)
	{
		if (k == PAGE_MAX || !json_is_string(item))
			break;
		if ((error = sp_buf_printf(out,
		         "verdict file %zu says it did not check: ", i + 1)) <
		        0 ||
		    (error = html ? sp_review__put_html_cut(
		                        out, json_string_value(item), 300)
		                  : sp_review__put_term_cut(out,
		                        json_string_value(item), 300)) < 0 ||
		    (error = sp_buf_putc(out, '\n')) < 0)
			return error;
	}
	return 0;
}

/*
 * What was NOT checked, one item per line: trusted sentences (plain ASCII
 * without markup) and untrusted parts escaped for @p html or a terminal.
 */
static int
not_checked(struct report *r, sp_buf *out, bool html)
{
	const sp_review_summary *s = sp_review_coverage_summary(r->cov);
	size_t i, unchecked = 0, notcounted = 0;
	int error = 0;

#define LINE(...)                                                              \
	do {                                                                   \
		if ((error = sp_buf_printf(out, __VA_ARGS__)) < 0)             \
			return error;                                          \
	} while (0)
	if (!trusted(r))
		LINE("signatures: no trust policy or public key was given; no "
		     "signature was checked and no review counts\n");
	if (r->o->nsigs == 0)
		LINE("who released this manifest: no signature over it was "
		     "given\n");
	if (!r->cov->have_source)
		LINE("the source itself: not read here (bytes and lines not "
		     "counted; run 'srcproof manifest check' to compare it "
		     "with the manifest)\n");
	if (s->files > s->files_covered)
		LINE("%llu of %llu files: no trusted review at depth %s or "
		     "deeper\n",
		    (unsigned long long)(s->files - s->files_covered),
		    (unsigned long long)s->files,
		    sp_review_depth_name(r->cov->min_depth));
	for (i = 0; i < r->l->natts; i++) {
		const sp_review_att_info *in = sp_review_ledger_info(r->l, i);

		if (in->status != SP_REVIEW_ATT_COUNTED)
			notcounted++;
		else if (!in->current && !in->checked)
			unchecked++;
	}
	if (notcounted > 0)
		LINE("%zu review attestation%s did not count (bad signature, "
		     "signer without the review role, other product, "
		     "inconsistent, duplicate or NOT CHECKED; reasons in "
		     "section 2)\n",
		    notcounted, notcounted == 1 ? "" : "s");
	if (unchecked > 0)
		LINE("%zu attestation%s for earlier manifests: entries matched "
		     "by content hash only, not checked against those "
		     "manifests (give --previous)\n",
		    unchecked, unchecked == 1 ? "" : "s");
	if (r->o->nverdicts == 0)
		LINE(
		    "that the shipped binaries were built from this source: no "
		    "rebuild verdicts were given\n");
	for (i = 0; i < r->o->nverdicts; i++) {
		const struct verdict_row *v = &r->verdicts[i];

		if (v->status == EV_OK && !v->interpreted)
			LINE("verdict file %zu: its predicate could not be "
			     "read\n",
			    i + 1);
		if (v->status == EV_OK && !v->names_manifest)
			LINE(
			    "verdict file %zu: does not name this manifest's "
			    "sha256; which source was rebuilt is NOT CHECKED\n",
			    i + 1);
		if (v->status == EV_OK &&
		    (error = verdict_not_checked(out, i, v, html)) < 0)
			return error;
	}
	LINE("reviewers' times are their own signed claims; keys and policy "
	     "were checked as of the time given (--at)\n");
	LINE("the transparency log and the escrow bundle are not part of this "
	     "report (srcproof log, srcproof escrow verify)\n");
#undef LINE
	return error;
}

static int
put_label(sp_buf *out, const char *s, bool html)
{
	return html ? sp_review__put_html(out, s) : sp_review__put_term(out, s);
}

static int
put_cut(sp_buf *out, const char *s, size_t max, bool html)
{
	return html ? sp_review__put_html_cut(out, s, max)
	            : sp_review__put_term_cut(out, s, max);
}

static int
put_path(sp_buf *out, const sp_manifest_entry *e, bool html)
{
	return html ? sp_escape_html(out, e->path, e->path_len)
	            : sp_escape_terminal(out, e->path, e->path_len);
}

/* Render the page; @p html chooses the markup. */
static int
render(struct report *r, sp_buf *out, bool html)
{
	const sp_review_summary *s = sp_review_coverage_summary(r->cov);
	const sp_manifest *m = r->m;
	const char *product = sp_manifest_product(m);
	const char *release = sp_manifest_release(m);
	const char *h2a = html ? "<h2>" : "\n", *h2b = html ? "</h2>\n" : "\n";
	const char *li = html ? "<li>" : "  ", *lie = html ? "</li>\n" : "\n";
	const char *ula = html ? "<ul>\n" : "", *ulb = html ? "</ul>\n" : "";
	char ts[SP_TIME_STR_LEN], at[SP_TIME_STR_LEN], pct[16];
	sp_buf nc = SP_BUF_INIT;
	size_t i, k, shown;
	int error;

	(void)sp_time_format(ts, r->now);
	(void)sp_time_format(at, r->l->trust.at);
	if (html) {
		if ((error = sp_review__html_begin(
		         out, "srcproof review report")) < 0 ||
		    (error = sp_buf_puts(out, "<h1>Source review report: ")) <
		        0 ||
		    (error = put_label(
		         out, product ? product : "(no product)", true)) < 0 ||
		    (error = sp_buf_putc(out, ' ')) < 0 ||
		    (error = put_label(
		         out, release ? release : "(no release)", true)) < 0 ||
		    (error = sp_buf_puts(out, "</h1>\n<table>\n")) < 0)
			goto out;
	} else if ((error = sp_buf_puts(out, "SOURCE REVIEW REPORT\n")) < 0)
		goto out;
#define ROW(name)                                                              \
	sp_buf_printf(out, html ? "<tr><th>%s</th><td>" : "%-10s ", name)
#define ROWEND() sp_buf_puts(out, html ? "</td></tr>\n" : "\n")
	if ((error = ROW("product")) < 0 ||
	    (error = put_label(
	         out, product ? product : "(none recorded)", html)) < 0 ||
	    (error = ROWEND()) < 0 || (error = ROW("release")) < 0 ||
	    (error = put_label(
	         out, release ? release : "(none recorded)", html)) < 0 ||
	    (error = sp_buf_printf(out, " (%s%s%s)",
	         sp_manifest_kind_name(sp_manifest_kind_of(m)),
	         sp_manifest_previous(m) ? " of manifest sha256 " : "",
	         sp_manifest_previous(m) ? sp_manifest_previous(m) : "")) < 0 ||
	    (error = ROWEND()) < 0 || (error = ROW("manifest")) < 0 ||
	    (error = sp_buf_printf(out,
	         "sha256 %s (%llu files, %llu symlinks, %llu bytes; git tree "
	         "%s)",
	         r->l->hex, (unsigned long long)sp_manifest_file_count(m),
	         (unsigned long long)sp_manifest_symlink_count(m),
	         (unsigned long long)sp_manifest_total_bytes(m),
	         sp_manifest_git_tree(m))) < 0 ||
	    (error = ROWEND()) < 0 || (error = ROW("trust")) < 0)
		goto out;
	if (r->l->trust.policy != NULL) {
		char exp[SP_TIME_STR_LEN];

		(void)sp_time_format(
		    exp, sp_policy_expires(r->l->trust.policy));
		error = sp_buf_printf(out,
		    "policy version %llu (expires %s), checked at %s",
		    (unsigned long long)sp_policy_version(r->l->trust.policy),
		    exp, at);
	} else if (r->l->trust.nkeys > 0)
		error = sp_buf_printf(out,
		    "%zu public key%s given, no policy; checked at %s",
		    r->l->trust.nkeys, r->l->trust.nkeys == 1 ? "" : "s", at);
	else
		error =
		    sp_buf_puts(out, html ? "<span class=\"nc\">NOT "
		                            "CHECKED</span>: no policy or key"
		                          : "NOT CHECKED: no policy or key");
	if (error < 0 || (error = ROWEND()) < 0 ||
	    (error = ROW("generated")) < 0 ||
	    (error = sp_buf_printf(
	         out, "%s by srcproof " SRCPROOF_VERSION_STRING, ts)) < 0 ||
	    (error = ROWEND()) < 0 ||
	    (html && (error = sp_buf_puts(out, "</table>\n")) < 0))
		goto out;
#undef ROW
#undef ROWEND

	/* 1. Signatures. */
	if ((error = sp_buf_printf(out, "%s1. Signatures on the manifest%s%s",
	         h2a, h2b, ula)) < 0)
		goto out;
	if (r->o->nsigs == 0 &&
	    (error = sp_buf_printf(out, "%snone given%s", li, lie)) < 0)
		goto out;
	for (i = 0; i < r->o->nsigs; i++) {
		const struct sig_row *g = &r->sigs[i];

		if ((error = sp_buf_printf(out, "%s%s%s%s  ", li,
		         html ? (g->status == EV_OK ? "<span class=\"good\">"
		                    : g->status == EV_FAILED
		                        ? "<span class=\"bad\">"
		                        : "<span class=\"nc\">")
		              : "",
		         ev_names[g->status], html ? "</span>" : "")) < 0 ||
		    (error = put_label(out, g->file, html)) < 0)
			goto out;
		if (g->status == EV_OK)
			error = sp_buf_printf(out,
			    ": role %s, %zu of %zu required key%s", g->role,
			    g->valid, g->required, g->required == 1 ? "" : "s");
		else if ((error = sp_buf_puts(out, ": ")) == 0)
			error = put_cut(
			    out, g->reason.ptr ? g->reason.ptr : "", 400, html);
		if (error < 0 || (error = sp_buf_puts(out, lie)) < 0)
			goto out;
	}

	/* 2. Coverage. */
	sp_review_percent(pct, s->files_covered, s->files);
	if ((error = sp_buf_printf(out,
	         "%s%s2. Review coverage (required depth: %s)%s%s%sfiles: "
	         "%llu of %llu covered (%s), %llu carried from earlier "
	         "releases%s",
	         ulb, h2a, sp_review_depth_name(r->cov->min_depth), h2b, ula,
	         li, (unsigned long long)s->files_covered,
	         (unsigned long long)s->files, pct,
	         (unsigned long long)s->files_carried, lie)) < 0)
		goto out;
	if (s->bytes != UINT64_MAX) {
		sp_review_percent(pct, s->bytes_covered, s->bytes);
		error = sp_buf_printf(out, "%sbytes: %llu of %llu (%s)%s", li,
		    (unsigned long long)s->bytes_covered,
		    (unsigned long long)s->bytes, pct, lie);
		if (error == 0 && s->lines != UINT64_MAX) {
			sp_review_percent(pct, s->lines_covered, s->lines);
			error =
			    sp_buf_printf(out, "%slines: %llu of %llu (%s)%s",
			        li, (unsigned long long)s->lines_covered,
			        (unsigned long long)s->lines, pct, lie);
		}
	} else
		error = sp_buf_printf(out,
		    "%sbytes and lines: NOT COUNTED (no --source)%s", li, lie);
	if (error < 0 ||
	    (error = sp_buf_printf(out,
	         "%sby depth (files): in-depth %llu, read %llu, overview %llu, "
	         "none %llu%s%sattestations: %zu given, %zu counted%s",
	         li, (unsigned long long)s->by_depth[SP_REVIEW_DEPTH_IN_DEPTH],
	         (unsigned long long)s->by_depth[SP_REVIEW_DEPTH_READ],
	         (unsigned long long)s->by_depth[SP_REVIEW_DEPTH_OVERVIEW],
	         (unsigned long long)s->by_depth[SP_REVIEW_DEPTH_NONE], lie, li,
	         s->attestations, s->counted, lie)) < 0)
		goto out;
	for (i = 0, shown = 0; i < r->l->natts; i++) {
		const sp_review_att_info *in = sp_review_ledger_info(r->l, i);

		if (in->status == SP_REVIEW_ATT_COUNTED)
			continue;
		if (shown++ == PAGE_MAX)
			break;
		if ((error = sp_buf_printf(out, "%snot counted: ", li)) < 0 ||
		    (error = put_label(out, in->label, html)) < 0 ||
		    (error = sp_buf_printf(out, " (%s: ",
		         sp_review_att_status_name(in->status))) < 0 ||
		    (error = put_cut(out, in->reason, 200, html)) < 0 ||
		    (error = sp_buf_printf(out, ")%s", lie)) < 0)
			goto out;
	}

	/* 3. Concerns, then files not covered. */
	if ((error = sp_buf_printf(out, "%s%s3. Open concerns: %llu file%s%s%s",
	         ulb, h2a, (unsigned long long)s->concerns,
	         s->concerns == 1 ? "" : "s", h2b, ula)) < 0)
		goto out;
	for (i = 0, shown = 0; i < sp_review_coverage_count(r->cov); i++) {
		const sp_review_file *f = sp_review_coverage_file(r->cov, i);

		if (f->status != SP_REVIEW_FILE_CONCERN)
			break;
		if (shown++ == PAGE_MAX) {
			error = sp_buf_printf(out,
			    "%s... %llu more in report.json%s", li,
			    (unsigned long long)(s->concerns - PAGE_MAX), lie);
			break;
		}
		for (k = 0; k < f->nconcerns; k++) {
			const sp_review_concern *c = &f->concerns[k];
			char id[17];

			sp_review__short_id(id, c->reviewer);
			if ((error = sp_buf_puts(out, li)) < 0 ||
			    (error = put_path(out, f->entry, html)) < 0 ||
			    (error = sp_buf_printf(out, " (%s, reviewer %s): ",
			         sp_review_depth_name(c->depth), id)) < 0 ||
			    (error = put_cut(out,
			         c->note ? c->note : "(no note)", NOTE_PAGE,
			         html)) < 0 ||
			    (error = sp_buf_puts(out, lie)) < 0)
				goto out;
		}
	}
	if (error < 0 ||
	    (error = sp_buf_printf(out, "%s%s4. Files not covered: %llu%s%s",
	         ulb, h2a, (unsigned long long)(s->files - s->files_covered),
	         h2b, ula)) < 0)
		goto out;
	for (i = 0, shown = 0; i < sp_review_coverage_count(r->cov); i++) {
		const sp_review_file *f = sp_review_coverage_file(r->cov, i);

		if (f->covered)
			continue;
		if (shown++ == PAGE_MAX) {
			error = sp_buf_printf(
			    out, "%s... more in report.json%s", li, lie);
			break;
		}
		if ((error = sp_buf_printf(out, "%s%s ", li,
		         sp_review_file_status_name(f->status))) < 0 ||
		    (error = put_path(out, f->entry, html)) < 0 ||
		    (error = sp_buf_puts(out,
		         f->last_reviewed ? " (changed since reviewed)" : "")) <
		        0 ||
		    (error = sp_buf_puts(out, lie)) < 0)
			goto out;
	}

	/* 5. Verdicts. */
	if (error < 0 ||
	    (error = sp_buf_printf(
	         out, "%s%s5. Rebuild verdicts%s%s", ulb, h2a, h2b, ula)) < 0)
		goto out;
	if (r->o->nverdicts == 0 &&
	    (error = sp_buf_printf(out, "%snone given%s", li, lie)) < 0)
		goto out;
	for (i = 0; i < r->o->nverdicts; i++) {
		const struct verdict_row *v = &r->verdicts[i];

		if ((error = sp_buf_printf(out, "%ssignature %s: ", li,
		         ev_names[v->status])) < 0 ||
		    (error = put_label(out, v->file, html)) < 0)
			goto out;
		if (v->reason.size > 0 &&
		    ((error = sp_buf_puts(out, " (")) < 0 ||
		        (error = put_cut(out, v->reason.ptr, 300, html)) < 0 ||
		        (error = sp_buf_putc(out, ')')) < 0))
			goto out;
		if ((error = sp_buf_puts(out, lie)) < 0)
			goto out;
		for (k = 0; k < v->narts && k < PAGE_MAX; k++) {
			const struct artefact *a = &v->arts[k];
			const char *verdict =
			    a->verdict == NULL ? "NOT CHECKED (unknown verdict)"
			    : v->status != EV_OK ? "NOT CHECKED (signature)"
			                         : a->verdict;

			if ((error = sp_buf_printf(
			         out, "%s    %s  ", li, verdict)) < 0 ||
			    (error = put_label(out, a->name, html)) < 0 ||
			    (error = sp_buf_puts(out, lie)) < 0)
				goto out;
		}
	}

	/* 6. NOT checked. */
	if ((error = not_checked(r, &nc, html)) < 0 ||
	    (error = sp_buf_printf(out, "%s%s6. What was NOT checked%s%s", ulb,
	         h2a, h2b, ula)) < 0)
		goto out;
	for (i = 0; nc.ptr != NULL && i < nc.size;) {
		char *nl = memchr(nc.ptr + i, '\n', nc.size - i);
		size_t n = nl ? (size_t)(nl - (nc.ptr + i)) : nc.size - i;

		if ((error = sp_buf_puts(out, li)) < 0 ||
		    (error = sp_buf_put(out, nc.ptr + i, n)) < 0 ||
		    (error = sp_buf_puts(out, lie)) < 0)
			goto out;
		i += n + 1;
	}
	if ((error = sp_buf_puts(out, ulb)) < 0)
		goto out;
	if (html)
		error = sp_review__html_end(out);
out:
	sp_buf_dispose(&nc);
	return error < 0 ? sp_err_buf(r->ctx, error, "the report") : 0;
}

static json_t *
text_json(const char *s)
{
	return sp_review__json_text(s, s ? strlen(s) : 0);
}

static int
render_json(struct report *r, json_t **out)
{
	const sp_manifest *m = r->m;
	json_t *doc = NULL, *cov = NULL, *sigs, *verdicts, *nc, *concerns,
	       *uncovered;
	sp_buf ncb = SP_BUF_INIT;
	char ts[SP_TIME_STR_LEN];
	size_t i, k;
	int error;

	*out = NULL;
	if ((error = sp_review_coverage_json(r->ctx, r->cov, 0, &cov)) < 0)
		return error;
	(void)sp_time_format(ts, r->now);
	sigs = json_array();
	verdicts = json_array();
	nc = json_array();
	concerns = json_array();
	uncovered = json_array();
	doc = json_pack("{s:s, s:s, s:{s:s, s:o, s:o, s:s, s:o, s:I, s:I, "
	                "s:I, s:s}, s:O, s:s, s:O, s:o, s:o, s:o, s:o, s:o}",
	    "schema", "srcproof.review-report/v1", "generated", ts, "manifest",
	    "sha256", r->l->hex, "product", text_json(sp_manifest_product(m)),
	    "release", text_json(sp_manifest_release(m)), "kind",
	    sp_manifest_kind_name(sp_manifest_kind_of(m)), "previous",
	    text_json(sp_manifest_previous(m)), "files",
	    (json_int_t)sp_manifest_file_count(m), "symlinks",
	    (json_int_t)sp_manifest_symlink_count(m), "bytes",
	    (json_int_t)sp_manifest_total_bytes(m), "git_tree",
	    sp_manifest_git_tree(m), "trust", json_object_get(cov, "trust"),
	    "min_depth", sp_review_depth_name(r->cov->min_depth), "coverage",
	    json_object_get(cov, "summary"), "signatures", sigs, "concerns",
	    concerns, "not_covered", uncovered, "verdicts", verdicts,
	    "not_checked", nc);
	if (doc == NULL)
		goto nomem;
	if (json_object_set(
	        doc, "attestations", json_object_get(cov, "attestations")) < 0)
		goto nomem;
	for (i = 0; i < r->o->nsigs; i++) {
		const struct sig_row *g = &r->sigs[i];

		if (json_array_append_new(sigs,
		        json_pack("{s:o, s:s, s:s, s:I, s:I, s:o}", "file",
		            text_json(g->file), "status", ev_json[g->status],
		            "role", g->role, "valid", (json_int_t)g->valid,
		            "required", (json_int_t)g->required, "reason",
		            text_json(g->reason.ptr ? g->reason.ptr : ""))) < 0)
			goto nomem;
	}
	for (i = 0; i < sp_review_coverage_count(r->cov); i++) {
		const sp_review_file *f = sp_review_coverage_file(r->cov, i);

		if (f->status == SP_REVIEW_FILE_CONCERN &&
		    json_array_append_new(
		        concerns, sp_review__file_json(r->cov, f)) < 0)
			goto nomem;
		if (!f->covered &&
		    json_array_append_new(uncovered,
		        json_stringn(f->entry->path, f->entry->path_len)) < 0)
			goto nomem;
	}
	for (i = 0; i < r->o->nverdicts; i++) {
		const struct verdict_row *v = &r->verdicts[i];
		json_t *arts = json_array(), *vj;

		vj = json_pack("{s:o, s:s, s:b, s:b, s:o, s:o}", "file",
		    text_json(v->file), "signature", ev_json[v->status],
		    "interpreted", v->interpreted, "names_manifest",
		    v->names_manifest, "reason",
		    text_json(v->reason.ptr ? v->reason.ptr : ""), "artefacts",
		    arts);
		if (vj == NULL || json_array_append_new(verdicts, vj) < 0)
			goto nomem;
		for (k = 0; k < v->narts; k++)
			if (json_array_append_new(arts,
			        json_pack("{s:o, s:o, s:b}", "name",
			            text_json(v->arts[k].name), "verdict",
			            v->arts[k].verdict && v->status == EV_OK
			                ? json_string(v->arts[k].verdict)
			                : json_string("NOT CHECKED"),
			            "match",
			            v->arts[k].match && v->status == EV_OK &&
			                v->arts[k].verdict != NULL)) < 0)
				goto nomem;
	}
	if ((error = not_checked(r, &ncb, false)) < 0)
		goto out;
	for (i = 0; ncb.ptr != NULL && i < ncb.size;) {
		char *nl = memchr(ncb.ptr + i, '\n', ncb.size - i);
		size_t n = nl ? (size_t)(nl - (ncb.ptr + i)) : ncb.size - i;

		if (json_array_append_new(nc, json_stringn(ncb.ptr + i, n)) < 0)
			goto nomem;
		i += n + 1;
	}
	*out = doc;
	doc = NULL;
	goto out;
nomem:
	error = sp_err_set(r->ctx, SP_ENOMEM, "out of memory building JSON");
out:
	sp_buf_dispose(&ncb);
	json_decref(doc);
	json_decref(cov);
	return error;
}

int
sp_review_report(sp_ctx *ctx, const sp_review_report_opts *o, sp_buf *text,
    json_t **json, sp_review_report_result *result)
{
	struct report r;
	struct sp_review_outdir od;
	sp_buf t = SP_BUF_INIT, h = SP_BUF_INIT;
	json_t *doc = NULL;
	char *js = NULL;
	size_t i;
	int error = 0;

	memset(&r, 0, sizeof(r));
	memset(&od, 0, sizeof(od));
	if (json != NULL)
		*json = NULL;
	SP_ASSERT_ARG(ctx, o != NULL && o->coverage != NULL);
	r.ctx = ctx;
	r.o = o;
	r.cov = o->coverage;
	r.l = r.cov->ledger;
	r.m = r.l->m;
	r.now = o->now ? o->now : (int64_t)time(NULL);
	r.sigs = sp_calloc(ctx, o->nsigs ? o->nsigs : 1, sizeof(*r.sigs));
	r.verdicts = sp_calloc(
	    ctx, o->nverdicts ? o->nverdicts : 1, sizeof(*r.verdicts));
	if (r.sigs == NULL || r.verdicts == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < o->nsigs; i++) {
		r.sigs[i].file = o->sigs[i];
		if ((error = judge_sig(&r, &r.sigs[i])) < 0)
			goto out;
		if (r.sigs[i].status == EV_OK)
			r.res.sigs_ok++;
		else if (r.sigs[i].status == EV_FAILED)
			r.res.sigs_failed++;
		else
			r.res.sigs_not_checked++;
	}
	for (i = 0; i < o->nverdicts; i++) {
		r.verdicts[i].file = o->verdicts[i];
		if ((error = judge_verdict(&r, &r.verdicts[i])) < 0)
			goto out;
	}
	r.res.open_concerns = sp_review_coverage_summary(r.cov)->concerns;
	if ((error = render(&r, &t, false)) < 0 ||
	    (error = render(&r, &h, true)) < 0 ||
	    (error = render_json(&r, &doc)) < 0)
		goto out;
	if (o->output != NULL) {
		if ((js = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		                              JSON_ENSURE_ASCII)) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if ((error = sp_review__outdir_begin(ctx, &od, o->output)) <
		        0 ||
		    (error = sp_review__outdir_write(
		         &od, "report.txt", t.ptr, t.size)) < 0 ||
		    (error = sp_review__outdir_write(
		         &od, "report.html", h.ptr, h.size)) < 0 ||
		    (error = sp_review__outdir_write(
		         &od, "report.json", js, strlen(js))) < 0 ||
		    (error = sp_review__outdir_commit(&od)) < 0)
			goto out;
	}
	if (text != NULL && sp_buf_put(text, t.ptr, t.size) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (json != NULL) {
		*json = doc;
		doc = NULL;
	}
	if (result != NULL)
		*result = r.res;
out:
	sp_review__outdir_abort(&od);
	free(js);
	json_decref(doc);
	for (i = 0; r.sigs != NULL && i < o->nsigs; i++)
		sp_buf_dispose(&r.sigs[i].reason);
	for (i = 0; r.verdicts != NULL && i < o->nverdicts; i++) {
		size_t k;

		for (k = 0; k < r.verdicts[i].narts; k++) {
			free(r.verdicts[i].arts[k].name);
			free(r.verdicts[i].arts[k].verdict);
		}
		free(r.verdicts[i].arts);
		json_decref(r.verdicts[i].not_checked);
		sp_buf_dispose(&r.verdicts[i].reason);
	}
	free(r.sigs);
	free(r.verdicts);
	sp_buf_dispose(&t);
	sp_buf_dispose(&h);
	return error;
}
