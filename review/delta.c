/*
 * Delta review packs: exactly the files that need fresh eyes between two
 * releases (new, changed, or carrying an open concern), each with a
 * unified diff against the last reviewed version (libgit2), the carried
 * coverage, and reports in text, self-contained HTML and JSON.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ledger_int.h"
#include "util_int.h"

#include "banned.h"

/* Default largest file read for a diff. */
#define DEFAULT_MAX_FILE ((uint64_t)64 << 20)
/* Longest part of one diff embedded in the HTML report, and of all. */
#define HTML_DIFF_MAX ((size_t)256 << 10)
#define HTML_TOTAL_MAX ((size_t)8 << 20)
/* Paths listed by name in the text and HTML reports, per section. */
#define LIST_MAX 200

enum fresh_reason { FRESH_ADDED, FRESH_CHANGED, FRESH_CONCERN };
static const char *const reason_names[] = {"added", "changed", "concern"};

enum base_kind {
	BASE_NONE,       /* new file: diff against nothing */
	BASE_REVIEWED,   /* a version a trusted reviewer read: the old one,
	                  * or the latest of the path in a reviewed tree */
	BASE_UNREVIEWED, /* the old version, never reviewed */
	BASE_MISSING,    /* changed, but no --old-source: whole new text */
	BASE_SAME,       /* unchanged with a concern: whole text */
};
static const char *const base_names[] = {
    "none", "last-reviewed", "previous-unreviewed", "not-available", "same"};

struct fresh {
	const sp_review_file *f;      /* coverage of the new file */
	const sp_manifest_entry *old; /* old entry, NULL when added */
	enum fresh_reason reason;
	enum base_kind base;
	const uint8_t *last_reviewed; /* sha256 last reviewed at this path */
	const uint8_t *base_sha;      /* sha256 of the base, or NULL */
	const char *base_dir;         /* the tree the base came from */
	bool diffed, binary, too_large;
	size_t added, removed;
	uint64_t bytes, lines;
	sp_buf diff;
};

struct pair {
	const sp_manifest_entry *a, *b;
};

struct delta {
	sp_ctx *ctx;
	const sp_review_delta_opts *o;
	const sp_review_coverage *cov;
	const sp_review_ledger *ledger;
	const sp_manifest *oldm, *newm;
	struct fresh *fresh;
	size_t nfresh;
	struct pair *lists[5]; /* indexed by sp_manifest_diff_kind */
	size_t nlists[5], alists[5];
	uint8_t *changed; /* per new entry: added or changed */
	sp_review_delta_summary sum;
	char oldhex[SP_SHA256_HEX_LEN + 1];
	uint64_t max_file;
	/* Where earlier reviewed versions are looked for: OLD_SRC first,
	 * then each --reviewed-source. */
	const char **trees;
	size_t ntrees;
};

static int
diff_cb(sp_manifest_diff_kind kind, const sp_manifest_entry *a,
    const sp_manifest_entry *b, void *payload)
{
	struct delta *d = payload;
	struct pair *p;

	if ((unsigned)kind >= 5)
		return SP_ERROR;
	if (d->nlists[kind] == d->alists[kind]) {
		size_t na = d->alists[kind] ? d->alists[kind] * 2 : 64;
		struct pair *n = realloc(d->lists[kind], na * sizeof(*n));

		if (n == NULL)
			return SP_ENOMEM;
		d->lists[kind] = n;
		d->alists[kind] = na;
	}
	p = &d->lists[kind][d->nlists[kind]++];
	p->a = a;
	p->b = b;
	return 0;
}

/* Index of @p e in the new manifest (entries are sorted by path). */
static size_t
entry_index(const sp_manifest *m, const sp_manifest_entry *e)
{
	size_t lo = 0, hi = sp_manifest_entry_count(m);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sp_manifest_entry_at(m, mid)->path, e->path);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

/* Pick what needs fresh eyes, in path order. */
static int
select_fresh(struct delta *d)
{
	const sp_manifest *m = d->newm;
	size_t i, n = sp_manifest_entry_count(m), k;

	if ((d->changed = sp_calloc(d->ctx, n ? n : 1, 1)) == NULL ||
	    (d->fresh = sp_calloc(d->ctx, n ? n : 1, sizeof(*d->fresh))) ==
	        NULL)
		return sp_err_set(d->ctx, SP_ENOMEM, "out of memory");
	for (k = SP_DIFF_ADDED; k <= SP_DIFF_CHANGED; k += 2)
		for (i = 0; i < d->nlists[k]; i++) {
			size_t idx = entry_index(m, d->lists[k][i].b);

			if (idx != SIZE_MAX)
				d->changed[idx] = (uint8_t)(k + 1);
		}
	for (i = 0; i < n; i++) {
		const sp_manifest_entry *e = sp_manifest_entry_at(m, i);
		const sp_review_file *f =
		    sp_review_coverage_find(d->cov, e->path);
		struct fresh *fr;

		if (f == NULL)
			return sp_err_set(d->ctx, SP_ERROR,
			    "internal error: no coverage for '%s'", e->path);
		if (d->changed[i] != 0 && f->covered && f->nconcerns == 0) {
			d->sum.already_covered++;
			continue;
		}
		if (d->changed[i] == 0 && f->nconcerns == 0) {
			if (f->covered)
				d->sum.carried++;
			else
				d->sum.unchanged_uncovered++;
			continue;
		}
		fr = &d->fresh[d->nfresh++];
		fr->f = f;
		sp_buf_init(&fr->diff, SP_BUF_DEFAULT_MAX);
		if (d->changed[i] == SP_DIFF_ADDED + 1) {
			fr->reason = FRESH_ADDED;
			d->sum.added++;
		} else if (d->changed[i] == SP_DIFF_CHANGED + 1) {
			fr->reason = FRESH_CHANGED;
			fr->old = sp_manifest_find(d->oldm, e->path);
			d->sum.changed++;
		} else {
			fr->reason = FRESH_CONCERN;
			d->sum.concerns++;
		}
	}
	d->sum.fresh = d->nfresh;
	d->sum.removed = d->nlists[SP_DIFF_REMOVED];
	d->sum.renamed = d->nlists[SP_DIFF_RENAMED];
	d->sum.mode = d->nlists[SP_DIFF_MODE];
	return 0;
}

/* The unified diff of @p fr, from @p base (may be NULL) to @p now. */
static int
make_diff(
    struct delta *d, struct fresh *fr, const sp_buf *base, const sp_buf *now)
{
	git_diff_options opts;
	git_patch *patch = NULL;
	git_buf out = {NULL, 0, 0};
	const char *path = fr->f->entry->path;
	const char *oldpath = fr->old ? fr->old->path : path;
	size_t ctxl = 0, add = 0, del = 0;
	int error = 0;

	if (git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION) < 0)
		return sp_err_set(d->ctx, SP_ERROR, "cannot set up libgit2");
	opts.context_lines = 3;
	if (git_patch_from_buffers(&patch, base ? base->ptr : NULL,
	        base ? base->size : 0, oldpath, now->ptr, now->size, path,
	        &opts) < 0 ||
	    git_patch_to_buf(&out, patch) < 0 ||
	    git_patch_line_stats(&ctxl, &add, &del, patch) < 0) {
		const git_error *ge = git_error_last();

		error = sp_err_set(d->ctx, SP_ERROR, "cannot diff '%s': %s",
		    path, ge && ge->message ? ge->message : "libgit2 error");
		goto out;
	}
	fr->binary =
	    (git_patch_get_delta(patch)->flags & GIT_DIFF_FLAG_BINARY) != 0;
	fr->added = add;
	fr->removed = del;
	fr->diffed = true;
	if (out.size > 0 && sp_buf_put(&fr->diff, out.ptr, out.size) < 0)
		error = sp_err_set(d->ctx, SP_ENOMEM, "out of memory");
out:
	git_buf_dispose(&out);
	git_patch_free(patch);
	return error;
}

/*
 * Index + 1 of the latest entry of refs[0, n) (oldest first) that reviewed
 * @p md (verdict other than not-reviewed), 0 when none.
 */
static size_t
latest_match(const struct ledger_ref *refs, size_t n, const uint8_t *md)
{
	while (n > 0) {
		const sp_review_entry *e = refs[--n].e;

		if (e->verdict != SP_REVIEW_NOT_REVIEWED &&
		    memcmp(e->sha256, md, SP_SHA256_LEN) == 0)
			return n + 1;
	}
	return 0;
}

/*
 * The last reviewed version of the regular file @p e in the reviewed
 * trees: among the counted entries for its path (not not-reviewed, other
 * than the new bytes), the latest whose sha256 is the bytes of that path
 * in one of the trees. Each tree's file is read once (O_NOFOLLOW, at most
 * max_file bytes; missing, unreadable or larger files are skipped) and
 * hashed. On a match its bytes are in @p base and fr->base_sha and
 * fr->base_dir are set; nothing is set when there is none.
 */
static int
find_reviewed_base(
    struct delta *d, struct fresh *fr, const sp_manifest_entry *e, sp_buf *base)
{
	const struct ledger_ref *refs;
	sp_buf path = SP_BUF_INIT, tmp = SP_BUF_INIT;
	uint8_t md[SP_SHA256_LEN];
	size_t n, i, best = 0, k;
	int error = 0;

	if (e->type == SP_MANIFEST_SYMLINK || d->ntrees == 0 ||
	    !sp_path_is_safe_relative(e->path, e->path_len))
		return 0;
	refs = sp_review__path_refs(d->cov, e->path, &n);
	for (i = 0; i < n; i++)
		if (refs[i].e->verdict != SP_REVIEW_NOT_REVIEWED &&
		    memcmp(refs[i].e->sha256, e->sha256, SP_SHA256_LEN) != 0)
			break;
	if (i == n)
		return 0;
	for (i = 0; i < d->ntrees; i++) {
		sp_buf_clear(&path);
		sp_buf_clear(&tmp);
		if (sp_buf_printf(&path, "%s/%s", d->trees[i], e->path) < 0) {
			error = sp_err_set(d->ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		error = sp_read_file(d->ctx, &tmp, path.ptr,
		    d->max_file > SIZE_MAX ? SIZE_MAX : (size_t)d->max_file,
		    SP_OPEN_NOFOLLOW);
		if (error == SP_ENOMEM)
			goto out;
		if (error < 0) {
			/* Not there, not a regular file, or too large. */
			sp_err_clear(d->ctx);
			error = 0;
			continue;
		}
		if ((error = sp_sha256(
		         d->ctx, md, tmp.ptr ? tmp.ptr : "", tmp.size)) < 0)
			goto out;
		if (memcmp(md, e->sha256, SP_SHA256_LEN) == 0)
			continue;
		if ((k = latest_match(refs, n, md)) > best) {
			sp_buf swap = *base;

			best = k;
			*base = tmp;
			tmp = swap;
			fr->base_sha = refs[k - 1].e->sha256;
			fr->base_dir = d->trees[i];
		}
	}
out:
	sp_buf_dispose(&path);
	sp_buf_dispose(&tmp);
	return error;
}

/* Read, diff and store one file of the pack as number @p n. */
static int
pack_file(
    struct delta *d, struct sp_review_outdir *od, struct fresh *fr, size_t n)
{
	const sp_review_delta_opts *o = d->o;
	const sp_manifest_entry *e = fr->f->entry;
	const struct ledger_ref *last =
	    sp_review__last_reviewed(d->cov, e->path);
	sp_buf now = SP_BUF_INIT, base = SP_BUF_INIT;
	char name[64];
	int error;

	if (last != NULL)
		fr->last_reviewed = last->e->sha256;
	error = sp_review__read_source(d->ctx, &now, o->source, e, d->max_file);
	if (error == SP_ELIMIT) {
		sp_err_clear(d->ctx);
		fr->too_large = true;
		error = 0;
		goto out;
	}
	if (error < 0)
		goto out;
	fr->bytes = now.size;
	fr->lines = sp_review__count_lines(now.ptr, now.size);
	switch (fr->reason) {
	case FRESH_ADDED:
		fr->base = BASE_NONE;
		if ((error = find_reviewed_base(d, fr, e, &base)) < 0)
			goto out;
		if (fr->base_sha != NULL)
			fr->base = BASE_REVIEWED;
		break;
	case FRESH_CONCERN:
		fr->base = BASE_SAME;
		break;
	case FRESH_CHANGED:
		fr->base = BASE_MISSING;
		if (o->old_source != NULL && fr->old != NULL) {
			error = sp_review__read_source(
			    d->ctx, &base, o->old_source, fr->old, d->max_file);
			if (error == SP_ELIMIT) {
				sp_err_clear(d->ctx);
				fr->too_large = true;
				error = 0;
				goto out;
			}
			if (error < 0)
				goto out;
			fr->base_sha = fr->old->sha256;
			fr->base_dir = o->old_source;
			if (sp_review__sha_reviewed(d->cov, fr->old->sha256)) {
				fr->base = BASE_REVIEWED;
				break;
			}
			fr->base = BASE_UNREVIEWED;
		}
		{
			/* The old bytes were never reviewed (or are not
			 * at hand): an earlier reviewed version instead. */
			sp_buf found = SP_BUF_INIT;
			const uint8_t *sha = fr->base_sha;
			const char *dir = fr->base_dir;

			fr->base_sha = NULL;
			if ((error = find_reviewed_base(d, fr, e, &found)) <
			    0) {
				sp_buf_dispose(&found);
				goto out;
			}
			if (fr->base_sha != NULL) {
				sp_buf_dispose(&base);
				base = found;
				fr->base = BASE_REVIEWED;
			} else {
				sp_buf_dispose(&found);
				fr->base_sha = sha;
				fr->base_dir = dir;
			}
		}
		break;
	}
	if ((error = make_diff(
	         d, fr, fr->base_sha != NULL ? &base : NULL, &now)) < 0)
		goto out;
	if (fr->reason != FRESH_CONCERN) {
		/* A concern's whole text is not a change. */
		d->sum.lines_added += fr->added;
		d->sum.lines_removed += fr->removed;
	}
	snprintf(name, sizeof(name), "diffs/%04zu.diff", n);
	if ((error = sp_review__outdir_write(od, name,
	         fr->diff.ptr ? fr->diff.ptr : "", fr->diff.size)) < 0)
		goto out;
	snprintf(name, sizeof(name), "files/%04zu", n);
	error =
	    sp_review__outdir_write(od, name, now.ptr ? now.ptr : "", now.size);
out:
	sp_buf_dispose(&now);
	sp_buf_dispose(&base);
	return error;
}

/* ---- reports --------------------------------------------------------------
 */

static int
put_manifest_label(sp_buf *out, const sp_manifest *m, bool html)
{
	const char *p = sp_manifest_product(m), *r = sp_manifest_release(m);
	int error;

	if (html) {
		if ((error = sp_review__put_html(out, p ? p : "(no product)")) <
		        0 ||
		    (error = sp_buf_putc(out, ' ')) < 0)
			return error;
		return sp_review__put_html(out, r ? r : "(no release)");
	}
	if ((error = sp_review__put_term(out, p ? p : "(no product)")) < 0 ||
	    (error = sp_buf_putc(out, ' ')) < 0)
		return error;
	return sp_review__put_term(out, r ? r : "(no release)");
}

static const char *
base_text(const struct fresh *fr)
{
	if (fr->too_large)
		return "too large to diff";
	switch (fr->base) {
	case BASE_NONE:
		return "new file: whole text";
	case BASE_REVIEWED:
		return "diff against the last reviewed version";
	case BASE_UNREVIEWED:
		return "diff against the previous version, which was never "
		       "reviewed: review the whole file";
	case BASE_MISSING:
		return "whole text (no --old-source to diff against)";
	case BASE_SAME:
		return "unchanged since the concern: whole text";
	}
	return "";
}

/* After base_text: which bytes the diff starts from, and where from. */
static int
put_base_detail(sp_buf *out, const struct fresh *fr, bool html)
{
	char hex[SP_SHA256_HEX_LEN + 1];
	int error;

	if (fr->too_large || fr->base_sha == NULL)
		return 0;
	sp_hex_encode(hex, fr->base_sha, SP_SHA256_LEN);
	if ((error = sp_buf_printf(out,
	         html ? " (sha256 <code>%s</code> in <code>"
	              : " (sha256 %s in ",
	         hex)) < 0 ||
	    (error = html ? sp_review__put_html(out, fr->base_dir)
	                  : sp_review__put_term(out, fr->base_dir)) < 0)
		return error;
	return sp_buf_puts(out, html ? "</code>)" : ")");
}

static int
text_report(struct delta *d, sp_buf *out)
{
	const sp_review_delta_summary *s = &d->sum;
	const sp_review_summary *cs = sp_review_coverage_summary(d->cov);
	char pct[16];
	size_t i, k;
	int error;

	if ((error = sp_buf_puts(out, "delta review pack: ")) < 0 ||
	    (error = put_manifest_label(out, d->oldm, false)) < 0 ||
	    (error = sp_buf_puts(out, " -> ")) < 0 ||
	    (error = put_manifest_label(out, d->newm, false)) < 0 ||
	    (error = sp_buf_printf(out,
	         "\nold manifest sha256 %s\nnew manifest sha256 %s\n"
	         "required depth: %s, trust: %s\n\n",
	         d->oldhex, sp_review_ledger_digest(d->ledger),
	         sp_review_depth_name(d->cov->min_depth),
	         strcmp(sp_review_ledger_trust_mode(d->ledger), "none") == 0
	             ? "NOT CHECKED (no policy or key: no attestation counts)"
	             : sp_review_ledger_trust_mode(d->ledger))) < 0)
		return error;
	if ((error = sp_buf_printf(out,
	         "needs fresh eyes: %llu file%s (%llu changed, %llu added, "
	         "%llu with an open concern); changes +%llu -%llu lines\n",
	         (unsigned long long)s->fresh, s->fresh == 1 ? "" : "s",
	         (unsigned long long)s->changed, (unsigned long long)s->added,
	         (unsigned long long)s->concerns,
	         (unsigned long long)s->lines_added,
	         (unsigned long long)s->lines_removed)) < 0)
		return error;
	for (i = 0; i < d->nfresh; i++) {
		const struct fresh *fr = &d->fresh[i];

		if ((error = sp_buf_printf(out, "  %04zu  %-7s  ", i + 1,
		         reason_names[fr->reason])) < 0 ||
		    (error = sp_escape_terminal(out, fr->f->entry->path,
		         fr->f->entry->path_len)) < 0 ||
		    (error = sp_buf_printf(out, "  +%zu -%zu%s  %s", fr->added,
		         fr->removed, fr->binary ? " (binary)" : "",
		         base_text(fr))) < 0 ||
		    (error = put_base_detail(out, fr, false)) < 0 ||
		    (error = sp_buf_putc(out, '\n')) < 0)
			return error;
		for (k = 0; k < fr->f->nconcerns; k++) {
			const sp_review_concern *c = &fr->f->concerns[k];
			char id[17];

			sp_review__short_id(id, c->reviewer);
			if ((error = sp_buf_printf(
			         out, "        concern by %s: ", id)) < 0 ||
			    (error = sp_review__put_term_cut(out,
			         c->note ? c->note : "(no note)", 300)) < 0 ||
			    (error = sp_buf_putc(out, '\n')) < 0)
				return error;
		}
	}
	sp_review_percent(pct, cs->files_covered, cs->files);
	if ((error = sp_buf_printf(out,
	         "\nno fresh review needed:\n"
	         "  changed, new bytes already covered: %llu\n"
	         "  renamed (same bytes): %llu\n"
	         "  executable bit changed (same bytes): %llu\n"
	         "  removed: %llu\n"
	         "carried coverage: %llu unchanged file%s stay covered; %llu "
	         "unchanged file%s were never covered\n"
	         "coverage of the new release before this pack is reviewed: "
	         "%llu of %llu files (%s)\n",
	         (unsigned long long)s->already_covered,
	         (unsigned long long)s->renamed, (unsigned long long)s->mode,
	         (unsigned long long)s->removed, (unsigned long long)s->carried,
	         s->carried == 1 ? "" : "s",
	         (unsigned long long)s->unchanged_uncovered,
	         s->unchanged_uncovered == 1 ? "" : "s",
	         (unsigned long long)cs->files_covered,
	         (unsigned long long)cs->files, pct)) < 0)
		return error;
	for (k = SP_DIFF_REMOVED; k <= SP_DIFF_MODE; k++) {
		static const char *const what[] = {
		    "", "removed", "", "renamed", "executable bit changed"};

		if (k == SP_DIFF_CHANGED)
			continue;
		for (i = 0; i < d->nlists[k] && i < LIST_MAX; i++) {
			const struct pair *p = &d->lists[k][i];

			if ((error = sp_buf_printf(out, "  %s: ", what[k])) <
			        0 ||
			    (error = sp_review__put_term(
			         out, p->a ? p->a->path : p->b->path)) < 0)
				return error;
			if (k == SP_DIFF_RENAMED &&
			    ((error = sp_buf_puts(out, " -> ")) < 0 ||
			        (error = sp_review__put_term(out, p->b->path)) <
			            0))
				return error;
			if ((error = sp_buf_putc(out, '\n')) < 0)
				return error;
		}
		if (d->nlists[k] > LIST_MAX &&
		    (error = sp_buf_printf(out,
		         "  ... %zu more %s (see delta.json)\n",
		         d->nlists[k] - LIST_MAX, what[k])) < 0)
			return error;
	}
	return sp_buf_puts(out,
	    "\nAfter reviewing: srcproof review attest NEW_MANIFEST --from "
	    "review-list.txt ...\n");
}

/* Append diff text as HTML: every line escaped, tabs kept, classes for
 * added, removed and hunk lines. */
static int
html_diff(sp_buf *out, const char *s, size_t len)
{
	size_t pos = 0;
	int error;

	while (pos < len) {
		const char *line = s + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos, a = 0;
		const char *cls = NULL;

		if (n > 0 && line[0] == '+' &&
		    !(n >= 3 && !memcmp(line, "+++", 3)))
			cls = "add";
		else if (n > 0 && line[0] == '-' &&
		         !(n >= 3 && !memcmp(line, "---", 3)))
			cls = "del";
		else if (n >= 2 && !memcmp(line, "@@", 2))
			cls = "hunk";
		if (cls != NULL && (error = sp_buf_printf(
		                        out, "<span class=\"%s\">", cls)) < 0)
			return error;
		while (a < n) {
			const char *tab = memchr(line + a, '\t', n - a);
			size_t seg = tab ? (size_t)(tab - (line + a)) : n - a;

			if ((error = sp_escape_html(out, line + a, seg)) < 0)
				return error;
			a += seg;
			if (tab != NULL) {
				if ((error = sp_buf_putc(out, '\t')) < 0)
					return error;
				a++;
			}
		}
		if ((cls != NULL &&
		        (error = sp_buf_puts(out, "</span>")) < 0) ||
		    (error = sp_buf_putc(out, '\n')) < 0)
			return error;
		pos += n + 1;
	}
	return 0;
}

static int
html_report(struct delta *d, sp_buf *out)
{
	const sp_review_delta_summary *s = &d->sum;
	const sp_review_summary *cs = sp_review_coverage_summary(d->cov);
	size_t i, k, total = 0;
	char pct[16];
	int error;

	if ((error = sp_review__html_begin(out, "srcproof delta review pack")) <
	        0 ||
	    (error = sp_buf_puts(out, "<h1>Delta review pack: ")) < 0 ||
	    (error = put_manifest_label(out, d->oldm, true)) < 0 ||
	    (error = sp_buf_puts(out, " &rarr; ")) < 0 ||
	    (error = put_manifest_label(out, d->newm, true)) < 0 ||
	    (error = sp_buf_printf(out,
	         "</h1>\n<table>\n<tr><th>old manifest</th><td><code>%s"
	         "</code></td></tr>\n<tr><th>new manifest</th><td><code>%s"
	         "</code></td></tr>\n<tr><th>required depth</th><td>%s</td>"
	         "</tr>\n<tr><th>trust</th><td>%s</td></tr>\n</table>\n",
	         d->oldhex, sp_review_ledger_digest(d->ledger),
	         sp_review_depth_name(d->cov->min_depth),
	         strcmp(sp_review_ledger_trust_mode(d->ledger), "none") == 0
	             ? "<span class=\"nc\">NOT CHECKED</span> (no policy or "
	               "key: no attestation counts)"
	             : sp_review_ledger_trust_mode(d->ledger))) < 0)
		return error;
	sp_review_percent(pct, cs->files_covered, cs->files);
	if ((error = sp_buf_printf(out,
	         "<h2>Needs fresh eyes: %llu file%s</h2>\n<p>%llu changed, "
	         "%llu added, %llu with an open concern; +%llu &minus;%llu "
	         "lines.</p>\n<p>No fresh review needed: %llu changed but "
	         "already covered, %llu renamed, %llu with the executable bit "
	         "changed, %llu removed. Carried coverage: %llu unchanged "
	         "files "
	         "stay covered; %llu unchanged files were never covered. "
	         "Coverage of the new release before this pack is reviewed: "
	         "%llu of %llu files (%s).</p>\n<table>\n<tr><th>#</th>"
	         "<th>why</th><th>path</th><th>lines</th><th>base</th></tr>\n",
	         (unsigned long long)s->fresh, s->fresh == 1 ? "" : "s",
	         (unsigned long long)s->changed, (unsigned long long)s->added,
	         (unsigned long long)s->concerns,
	         (unsigned long long)s->lines_added,
	         (unsigned long long)s->lines_removed,
	         (unsigned long long)s->already_covered,
	         (unsigned long long)s->renamed, (unsigned long long)s->mode,
	         (unsigned long long)s->removed, (unsigned long long)s->carried,
	         (unsigned long long)s->unchanged_uncovered,
	         (unsigned long long)cs->files_covered,
	         (unsigned long long)cs->files, pct)) < 0)
		return error;
	for (i = 0; i < d->nfresh; i++) {
		const struct fresh *fr = &d->fresh[i];

		if ((error = sp_buf_printf(out,
		         "<tr><td><a href=\"#f%zu\">%04zu</a></td><td>%s</td>"
		         "<td><code>",
		         i + 1, i + 1, reason_names[fr->reason])) < 0 ||
		    (error = sp_escape_html(out, fr->f->entry->path,
		         fr->f->entry->path_len)) < 0 ||
		    (error = sp_buf_printf(out,
		         "</code></td><td>+%zu &minus;%zu</td><td>%s",
		         fr->added, fr->removed, base_text(fr))) < 0 ||
		    (error = put_base_detail(out, fr, true)) < 0 ||
		    (error = sp_buf_puts(out, "</td></tr>\n")) < 0)
			return error;
	}
	if ((error = sp_buf_puts(out, "</table>\n")) < 0)
		return error;
	for (i = 0; i < d->nfresh; i++) {
		const struct fresh *fr = &d->fresh[i];
		size_t shown = fr->diff.size;

		if ((error = sp_buf_printf(
		         out, "<h2 id=\"f%zu\">%04zu ", i + 1, i + 1)) < 0 ||
		    (error = sp_escape_html(out, fr->f->entry->path,
		         fr->f->entry->path_len)) < 0 ||
		    (error = sp_buf_printf(out, "</h2>\n<p>%s: %s",
		         reason_names[fr->reason], base_text(fr))) < 0 ||
		    (error = put_base_detail(out, fr, true)) < 0 ||
		    (error = sp_buf_putc(out, '.')) < 0)
			return error;
		for (k = 0; k < fr->f->nconcerns; k++) {
			const sp_review_concern *c = &fr->f->concerns[k];
			char id[17];

			sp_review__short_id(id, c->reviewer);
			if ((error = sp_buf_printf(out,
			         " <span class=\"bad\">Concern</span> by "
			         "<code>%s</code>: ",
			         id)) < 0 ||
			    (error = sp_review__put_html_cut(out,
			         c->note ? c->note : "(no note)", 1000)) < 0)
				return error;
		}
		if ((error = sp_buf_puts(out, "</p>\n")) < 0)
			return error;
		if (!fr->diffed)
			continue;
		if (shown > HTML_DIFF_MAX)
			shown = HTML_DIFF_MAX;
		if (total + shown > HTML_TOTAL_MAX)
			shown =
			    total < HTML_TOTAL_MAX ? HTML_TOTAL_MAX - total : 0;
		total += shown;
		if ((error = sp_buf_puts(out, "<pre>")) < 0 ||
		    (error = html_diff(
		         out, fr->diff.ptr ? fr->diff.ptr : "", shown)) < 0 ||
		    (error = sp_buf_puts(out, "</pre>\n")) < 0)
			return error;
		if (shown < fr->diff.size &&
		    (error = sp_buf_printf(out,
		         "<p class=\"nc\">Diff cut here; the whole diff is in "
		         "diffs/%04zu.diff.</p>\n",
		         i + 1)) < 0)
			return error;
	}
	return sp_review__html_end(out);
}

static json_t *
manifest_json(const sp_manifest *m, const char *hex)
{
	const char *p = sp_manifest_product(m), *r = sp_manifest_release(m);

	return json_pack("{s:s, s:o, s:o, s:s}", "sha256", hex, "product",
	    p ? json_string(p) : json_null(), "release",
	    r ? json_string(r) : json_null(), "kind",
	    sp_manifest_kind_name(sp_manifest_kind_of(m)));
}

static json_t *
hex_json(const uint8_t *md)
{
	char hex[SP_SHA256_HEX_LEN + 1];

	if (md == NULL)
		return json_null();
	sp_hex_encode(hex, md, SP_SHA256_LEN);
	return json_string(hex);
}

static int
json_report(struct delta *d, sp_buf *out)
{
	const sp_review_delta_summary *s = &d->sum;
	const sp_review_ledger *l = d->ledger;
	json_t *doc, *files, *lists[5] = {NULL}, *atts;
	char name[64];
	size_t i, k;
	char *text;
	int error = SP_ENOMEM;

	files = json_array();
	atts = json_array();
	lists[SP_DIFF_REMOVED] = json_array();
	lists[SP_DIFF_RENAMED] = json_array();
	lists[SP_DIFF_MODE] = json_array();
	doc = json_pack("{s:s, s:o, s:o, s:s, s:s, s:{s:I, s:I, s:I, s:I, "
	                "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o, s:o, "
	                "s:o, s:o, s:o, s:o}",
	    "schema", "srcproof.review-delta/v1", "old",
	    manifest_json(d->oldm, d->oldhex), "new",
	    manifest_json(d->newm, sp_review_ledger_digest(l)), "trust",
	    sp_review_ledger_trust_mode(l), "min_depth",
	    sp_review_depth_name(d->cov->min_depth), "summary", "fresh",
	    (json_int_t)s->fresh, "added", (json_int_t)s->added, "changed",
	    (json_int_t)s->changed, "concerns", (json_int_t)s->concerns,
	    "removed", (json_int_t)s->removed, "renamed",
	    (json_int_t)s->renamed, "mode", (json_int_t)s->mode,
	    "already_covered", (json_int_t)s->already_covered, "carried",
	    (json_int_t)s->carried, "unchanged_uncovered",
	    (json_int_t)s->unchanged_uncovered, "lines_added",
	    (json_int_t)s->lines_added, "lines_removed",
	    (json_int_t)s->lines_removed, "files", files, "removed",
	    lists[SP_DIFF_REMOVED], "renamed", lists[SP_DIFF_RENAMED], "mode",
	    lists[SP_DIFF_MODE], "changed_already_covered", json_array(),
	    "attestations", atts);
	if (doc == NULL)
		goto out;
	for (i = 0; i < d->nfresh; i++) {
		const struct fresh *fr = &d->fresh[i];
		json_t *fj = sp_review__file_json(d->cov, fr->f), *o;

		snprintf(name, sizeof(name), "%04zu", i + 1);
		o = json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:b, s:b, "
		              "s:I, s:I, s:o, s:o, s:o}",
		    "n", name, "reason", reason_names[fr->reason], "old_sha256",
		    hex_json(fr->old ? fr->old->sha256 : NULL), "base",
		    fr->too_large ? "too-large" : base_names[fr->base],
		    "base_sha256",
		    hex_json(fr->too_large ? NULL : fr->base_sha),
		    "base_source",
		    fr->too_large || fr->base_dir == NULL
		        ? json_null()
		        : sp_review__json_text(
		              fr->base_dir, strlen(fr->base_dir)),
		    "last_reviewed", hex_json(fr->last_reviewed), "binary",
		    fr->binary, "too_large", fr->too_large, "lines_added",
		    (json_int_t)fr->added, "lines_removed",
		    (json_int_t)fr->removed, "diff",
		    fr->diffed ? json_sprintf("diffs/%s.diff", name)
		               : json_null(),
		    "content",
		    fr->too_large ? json_null()
		                  : json_sprintf("files/%s", name),
		    "coverage", fj);
		if (o == NULL || json_array_append_new(files, o) < 0)
			goto out;
	}
	for (k = SP_DIFF_REMOVED; k <= SP_DIFF_MODE; k++) {
		if (k == SP_DIFF_CHANGED)
			continue;
		for (i = 0; i < d->nlists[k]; i++) {
			const struct pair *p = &d->lists[k][i];
			json_t *v;

			if (k == SP_DIFF_RENAMED)
				v = json_pack("{s:s%, s:s%}", "from",
				    p->a->path, p->a->path_len, "to",
				    p->b->path, p->b->path_len);
			else
				v = json_stringn((p->b ? p->b : p->a)->path,
				    (p->b ? p->b : p->a)->path_len);
			if (json_array_append_new(lists[k], v) < 0)
				goto out;
		}
	}
	for (i = 0; i < d->nlists[SP_DIFF_ADDED] + d->nlists[SP_DIFF_CHANGED];
	     i++) {
		/* Changed or added files whose new bytes are covered. */
		const struct pair *p =
		    i < d->nlists[SP_DIFF_ADDED]
		        ? &d->lists[SP_DIFF_ADDED][i]
		        : &d->lists[SP_DIFF_CHANGED]
		                   [i - d->nlists[SP_DIFF_ADDED]];
		const sp_review_file *f =
		    sp_review_coverage_find(d->cov, p->b->path);

		if (f != NULL && f->covered && f->nconcerns == 0 &&
		    json_array_append_new(
		        json_object_get(doc, "changed_already_covered"),
		        json_stringn(p->b->path, p->b->path_len)) < 0)
			goto out;
	}
	for (i = 0; i < sp_review_ledger_count(l); i++)
		if (json_array_append_new(atts,
		        sp_review__att_json(sp_review_ledger_info(l, i))) < 0)
			goto out;
	if ((text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	                                JSON_ENSURE_ASCII)) == NULL)
		goto out;
	error = sp_buf_puts(out, text) < 0 || sp_buf_putc(out, '\n') < 0
	            ? SP_ENOMEM
	            : 0;
	free(text);
out:
	json_decref(doc);
	return error < 0 ? sp_err_set(d->ctx, error,
	                       "out of memory building "
	                       "delta.json")
	                 : 0;
}

/* The paths to attest after review, in the --from format. */
static int
review_list(struct delta *d, sp_buf *out)
{
	size_t i, j;
	int error;

	if ((error = sp_buf_puts(out, "# srcproof review attest NEW_MANIFEST "
	                              "--from review-list.txt ...\n")) < 0)
		return error;
	for (i = 0; i < d->nfresh; i++) {
		const sp_manifest_entry *e = d->fresh[i].f->entry;

		for (j = 0; j < e->path_len; j++) {
			const char *esc = NULL;

			switch (e->path[j]) {
			case '\\':
				esc = "\\\\";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\r':
				esc = "\\r";
				break;
			case '\t':
				esc = "\\t";
				break;
			default:
				break;
			}
			if ((error = esc ? sp_buf_puts(out, esc)
			                 : sp_buf_putc(out, e->path[j])) < 0)
				return error;
		}
		if ((error = sp_buf_putc(out, '\n')) < 0)
			return error;
	}
	return 0;
}

static int
write_reports(struct delta *d, struct sp_review_outdir *od)
{
	sp_buf b = SP_BUF_INIT;
	int error;

	if ((error = text_report(d, &b)) < 0 ||
	    (error = sp_review__outdir_write(od, "report.txt", b.ptr, b.size)) <
	        0)
		goto out;
	sp_buf_clear(&b);
	if ((error = html_report(d, &b)) < 0 ||
	    (error = sp_review__outdir_write(
	         od, "report.html", b.ptr, b.size)) < 0)
		goto out;
	sp_buf_clear(&b);
	if ((error = review_list(d, &b)) < 0 ||
	    (error = sp_review__outdir_write(
	         od, "review-list.txt", b.ptr, b.size)) < 0)
		goto out;
	sp_buf_clear(&b);
	if ((error = json_report(d, &b)) < 0)
		goto out;
	error = sp_review__outdir_write(od, "delta.json", b.ptr, b.size);
out:
	if (error == SP_ENOMEM || error == SP_ELIMIT)
		error = sp_err_buf(d->ctx, error, "the delta report");
	sp_buf_dispose(&b);
	return error;
}

int
sp_review_delta(sp_ctx *ctx, const sp_review_delta_opts *o,
    sp_review_delta_summary *summary)
{
	struct sp_review_outdir od;
	struct delta d;
	uint8_t md[SP_SHA256_LEN];
	size_t i;
	int error;

	memset(&d, 0, sizeof(d));
	memset(&od, 0, sizeof(od));
	SP_ASSERT_ARG(ctx, o != NULL && o->old_manifest != NULL &&
	                       o->coverage != NULL && o->source != NULL &&
	                       o->output != NULL);
	git_libgit2_init();
	d.ctx = ctx;
	d.o = o;
	d.oldm = o->old_manifest;
	d.cov = o->coverage;
	d.ledger = d.cov->ledger;
	d.newm = sp_review_ledger_manifest(d.ledger);
	d.max_file = o->max_file ? o->max_file : DEFAULT_MAX_FILE;
	if (o->nreviewed_sources > SIZE_MAX / sizeof(*d.trees) - 1 ||
	    (d.trees = sp_calloc(
	         ctx, o->nreviewed_sources + 1, sizeof(*d.trees))) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (o->old_source != NULL)
		d.trees[d.ntrees++] = o->old_source;
	for (i = 0; i < o->nreviewed_sources; i++) {
		struct stat st;
		const char *t = o->reviewed_sources[i];

		if (t == NULL)
			continue;
		if (stat(t, &st) < 0 || !S_ISDIR(st.st_mode)) {
			error = sp_err_set(ctx, SP_ENOTFOUND,
			    "the reviewed source '%s' is not a directory", t);
			goto out;
		}
		d.trees[d.ntrees++] = t;
	}
	if ((error = sp_manifest_digest(ctx, d.oldm, md)) < 0)
		goto out;
	sp_hex_encode(d.oldhex, md, sizeof(md));
	if ((error = sp_manifest_diff(
	         ctx, d.oldm, d.newm, diff_cb, &d, NULL)) != 0) {
		if (error > 0 || sp_ctx_errcode(ctx) == 0)
			error = sp_err_set(ctx,
			    error == SP_ENOMEM ? SP_ENOMEM : SP_ERROR,
			    "cannot compare the manifests (out of memory)");
		goto out;
	}
	if ((error = select_fresh(&d)) < 0 ||
	    (error = sp_review__outdir_begin(ctx, &od, o->output)) < 0 ||
	    (error = sp_review__outdir_mkdir(&od, "diffs")) < 0 ||
	    (error = sp_review__outdir_mkdir(&od, "files")) < 0)
		goto out;
	for (i = 0; i < d.nfresh; i++) {
		if ((error = pack_file(&d, &od, &d.fresh[i], i + 1)) < 0)
			goto out;
		sp_progress(ctx, "delta", i + 1, 0, d.nfresh);
	}
	if ((error = write_reports(&d, &od)) < 0 ||
	    (error = sp_review__outdir_commit(&od)) < 0)
		goto out;
	if (summary != NULL)
		*summary = d.sum;
out:
	sp_review__outdir_abort(&od);
	for (i = 0; i < d.nfresh; i++)
		sp_buf_dispose(&d.fresh[i].diff);
	for (i = 0; i < 5; i++)
		free(d.lists[i]);
	free(d.fresh);
	free(d.changed);
	free(d.trees);
	git_libgit2_shutdown();
	return error;
}
