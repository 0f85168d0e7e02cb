/*
 * Review attestations: the canonical statement, signing, and the strict
 * parser (docs/spec/review.md).
 */
#include <stdlib.h>
#include <string.h>

#include "ledger_int.h"
#include "srcproof/sign.h"
#include "util_int.h"

#include "banned.h"

static const char *const depth_names[] = {
    "none", "overview", "read", "in-depth"};
static const char *const verdict_names[] = {"ok", "concern", "not-reviewed"};

const char *
sp_review_depth_name(sp_review_depth d)
{
	return (unsigned)d < SP_ARRAY_SIZE(depth_names) ? depth_names[d]
	                                                : "unknown";
}

const char *
sp_review_verdict_name(sp_review_verdict v)
{
	return (unsigned)v < SP_ARRAY_SIZE(verdict_names) ? verdict_names[v]
	                                                  : "unknown";
}

static int
depth_lookup(const char *name, sp_review_depth *out)
{
	size_t i;

	for (i = 1; i < SP_ARRAY_SIZE(depth_names); i++)
		if (strcmp(name, depth_names[i]) == 0) {
			*out = (sp_review_depth)i;
			return 0;
		}
	return -1;
}

static int
verdict_lookup(const char *name, sp_review_verdict *out)
{
	size_t i;

	for (i = 0; i < SP_ARRAY_SIZE(verdict_names); i++)
		if (strcmp(name, verdict_names[i]) == 0) {
			*out = (sp_review_verdict)i;
			return 0;
		}
	return -1;
}

int
sp_review_depth_parse(sp_ctx *ctx, sp_review_depth *out, const char *name)
{
	if (depth_lookup(name, out) < 0)
		return sp_err_set(ctx, SP_EINVALID,
		    "unknown depth '%s' (overview, read, in-depth)", name);
	return 0;
}

int
sp_review_verdict_parse(sp_ctx *ctx, sp_review_verdict *out, const char *name)
{
	if (verdict_lookup(name, out) < 0)
		return sp_err_set(ctx, SP_EINVALID,
		    "unknown verdict '%s' (ok, concern, not-reviewed)", name);
	return 0;
}

/* Parse a decimal line number 1..SP_REVIEW_MAX_LINE; *end is set past it. */
static int
parse_line(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || *p == '0')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > SP_REVIEW_MAX_LINE)
			return -1;
	}
	*end = p;
	*out = v;
	return 0;
}

int
sp_review_range_parse(sp_ctx *ctx, sp_review_range *out, const char *text)
{
	const char *p;

	if (parse_line(text, &p, &out->start) < 0)
		goto bad;
	if (*p == '\0') {
		out->end = out->start;
		return 0;
	}
	if (*p != '-' || parse_line(p + 1, &p, &out->end) < 0 || *p != '\0' ||
	    out->end < out->start)
		goto bad;
	return 0;
bad:
	return sp_err_set(ctx, SP_EINVALID,
	    "bad line range '%s' (START-END, 1 <= START <= END)", text);
}

static int
range_cmp(const void *a, const void *b)
{
	const sp_review_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

size_t
sp_review__ranges_normalize(sp_review_range *r, size_t n)
{
	size_t i, o = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	for (i = 1; i < n; i++) {
		if (r[i].start <= r[o].end + 1) {
			if (r[i].end > r[o].end)
				r[o].end = r[i].end;
		} else
			r[++o] = r[i];
	}
	return o + 1;
}

static int
item_cmp(const void *a, const void *b)
{
	const sp_review_item *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

static int
check_note(sp_ctx *ctx, const char *path, const char *note)
{
	size_t n;

	if (note == NULL)
		return 0;
	n = strlen(note);
	if (n == 0)
		return sp_err_set(
		    ctx, SP_EINVALID, "the note for '%s' is empty", path);
	if (n > SP_REVIEW_MAX_NOTE)
		return sp_err_set(ctx, SP_EINVALID,
		    "the note for '%s' has %zu bytes; the limit is %d", path, n,
		    SP_REVIEW_MAX_NOTE);
	if (!sp_utf8_valid(note, n))
		return sp_err_set(ctx, SP_EINVALID,
		    "the note for '%s' is not valid UTF-8", path);
	return 0;
}

/* The "lines" array of an item, or NULL (whole file); *jout is new. */
static int
item_lines(sp_ctx *ctx, const sp_review_item *it, json_t **jout)
{
	sp_review_range *r = NULL;
	json_t *arr = NULL;
	size_t i, n;
	int error = 0;

	*jout = NULL;
	if (it->nranges == 0)
		return 0;
	if (it->nranges > SP_REVIEW_MAX_RANGES)
		return sp_err_set(ctx, SP_EINVALID,
		    "'%s' has %zu line ranges; the limit is %d", it->path,
		    it->nranges, SP_REVIEW_MAX_RANGES);
	if ((r = sp_calloc(ctx, it->nranges, sizeof(*r))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	memcpy(r, it->ranges, it->nranges * sizeof(*r));
	for (i = 0; i < it->nranges; i++)
		if (r[i].start < 1 || r[i].end < r[i].start ||
		    r[i].end > SP_REVIEW_MAX_LINE) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "bad line range %llu-%llu for '%s'",
			    (unsigned long long)r[i].start,
			    (unsigned long long)r[i].end, it->path);
			goto out;
		}
	n = sp_review__ranges_normalize(r, it->nranges);
	if ((arr = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if (json_array_append_new(
		        arr, json_pack("[I, I]", (json_int_t)r[i].start,
		                 (json_int_t)r[i].end)) < 0)
			goto nomem;
	*jout = arr;
	arr = NULL;
	goto out;
nomem:
	error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
out:
	json_decref(arr);
	free(r);
	return error;
}

int
sp_review_statement(sp_ctx *ctx, sp_buf *out, const sp_manifest *m,
    const char *subject_name, const sp_review_item *items, size_t nitems,
    int64_t when, const char *keyid)
{
	const sp_review_item **sorted = NULL;
	json_t *st = NULL, *pred, *man, *files;
	uint8_t md[SP_SHA256_LEN];
	char hex[SP_SHA256_HEX_LEN + 1], ts[SP_TIME_STR_LEN];
	const char *s;
	size_t i, start = out->size;
	int error = 0;

	SP_ASSERT_ARG(ctx, m != NULL && subject_name != NULL && keyid != NULL);
	if (nitems == 0)
		return sp_err_set(ctx, SP_EINVALID, "no files to attest");
	if (nitems > SP_REVIEW_MAX_FILES) {
		sp_err_set(ctx, SP_EINVALID,
		    "%zu files in one attestation; the limit is %d", nitems,
		    SP_REVIEW_MAX_FILES);
		sp_err_hint(ctx, "split the review into several attestations");
		return SP_EINVALID;
	}
	if (subject_name[0] == '\0' ||
	    strlen(subject_name) > SP_MANIFEST_MAX_PATH ||
	    !sp_is_clean_utf8(subject_name, strlen(subject_name)))
		return sp_err_set(ctx, SP_EINVALID,
		    "subject name '%s' is not clean UTF-8", subject_name);
	if (!sp_is_lower_hex(keyid, strlen(keyid), SP_KEYID_HEX_LEN / 2))
		return sp_err_set(ctx, SP_EINVALID, "bad key id '%s'", keyid);
	if (sp_time_format(ts, when) < 0)
		return sp_err_set(ctx, SP_EINVALID, "time out of range");
	if ((error = sp_manifest_digest(ctx, m, md)) < 0)
		return error;
	sp_hex_encode(hex, md, sizeof(md));

	if ((sorted = sp_calloc(ctx, nitems, sizeof(*sorted))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	for (i = 0; i < nitems; i++)
		sorted[i] = &items[i];
	qsort(sorted, nitems, sizeof(*sorted), item_cmp);

	man = json_object();
	pred = json_pack("{s:s, s:s, s:s, s:o}", "role", SP_REVIEW_ROLE,
	    "signed_at", ts, "reviewer", keyid, "manifest", man);
	files = json_array();
	st = json_pack("{s:s, s:[{s:s, s:{s:s}}], s:s, s:o}", "_type",
	    SP_INTOTO_STATEMENT_V1, "subject", "name", subject_name, "digest",
	    "sha256", hex, "predicateType", SP_REVIEW_PREDICATE_V1, "predicate",
	    pred);
	if (st == NULL || files == NULL ||
	    json_object_set(pred, "files", files) < 0)
		goto nomem;
	if ((s = sp_manifest_product(m)) != NULL &&
	    json_object_set_new(man, "product", json_string(s)) < 0)
		goto nomem;
	if ((s = sp_manifest_release(m)) != NULL &&
	    json_object_set_new(man, "release", json_string(s)) < 0)
		goto nomem;
	if (json_object_set_new(man, "kind",
	        json_string(sp_manifest_kind_name(sp_manifest_kind_of(m)))) < 0)
		goto nomem;
	if ((s = sp_manifest_previous(m)) != NULL &&
	    json_object_set_new(man, "previous", json_string(s)) < 0)
		goto nomem;

	for (i = 0; i < nitems; i++) {
		const sp_review_item *it = sorted[i];
		const sp_manifest_entry *e;
		json_t *f, *lines = NULL;
		char fh[SP_SHA256_HEX_LEN + 1];

		if (it->path == NULL ||
		    (e = sp_manifest_find(m, it->path)) == NULL) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "'%s' is not in the manifest",
			    it->path ? it->path : "(null)");
			goto out;
		}
		if (i > 0 && strcmp(sorted[i - 1]->path, it->path) == 0) {
			error = sp_err_set(
			    ctx, SP_EINVALID, "'%s' is listed twice", it->path);
			goto out;
		}
		if (it->depth < SP_REVIEW_DEPTH_OVERVIEW ||
		    it->depth > SP_REVIEW_DEPTH_IN_DEPTH ||
		    (unsigned)it->verdict > SP_REVIEW_NOT_REVIEWED) {
			error = sp_err_set(ctx, SP_EINVALID,
			    "bad depth or verdict for '%s'", it->path);
			goto out;
		}
		if ((error = check_note(ctx, it->path, it->note)) < 0 ||
		    (error = item_lines(ctx, it, &lines)) < 0)
			goto out;
		sp_hex_encode(fh, e->sha256, sizeof(e->sha256));
		f = json_pack("{s:s, s:s, s:s, s:s}", "path", e->path, "sha256",
		    fh, "depth", sp_review_depth_name(it->depth), "verdict",
		    sp_review_verdict_name(it->verdict));
		if (f == NULL || json_array_append_new(files, f) < 0) {
			json_decref(lines);
			goto nomem;
		}
		if (lines != NULL && json_object_set_new(f, "lines", lines) < 0)
			goto nomem;
		if (it->note != NULL &&
		    json_object_set_new(f, "note", json_string(it->note)) < 0)
			goto nomem;
	}
	{
		char *text = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (text == NULL)
			goto nomem;
		if (strlen(text) > SP_DSSE_MAX_PAYLOAD) {
			error = sp_err_set(ctx, SP_ELIMIT,
			    "the statement would have %zu bytes; the limit is "
			    "%zu",
			    strlen(text), SP_DSSE_MAX_PAYLOAD);
			sp_err_hint(
			    ctx, "split the review into several attestations");
		} else if (sp_buf_puts(out, text) < 0)
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		free(text);
	}
	goto out;
nomem:
	error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
out:
	if (error < 0 && out->ptr != NULL) {
		out->size = start;
		out->ptr[start] = '\0';
	}
	json_decref(files);
	json_decref(st);
	free(sorted);
	return error;
}

int
sp_review_attest(sp_ctx *ctx, sp_dsse **env, const sp_manifest *m,
    const char *subject_name, const sp_review_item *items, size_t nitems,
    int64_t when, const sp_key *key)
{
	sp_buf st = SP_BUF_INIT;
	sp_dsse *created = NULL;
	int error;

	*env = NULL;
	if ((error = sp_review_statement(ctx, &st, m, subject_name, items,
	         nitems, when, sp_key_id(key))) < 0 ||
	    (error = sp_sign_statement(ctx, &created, st.ptr, st.size, key)) <
	        0)
		goto out;
	*env = created;
	created = NULL;
out:
	sp_dsse_free(created);
	sp_buf_dispose(&st);
	return error;
}

/* ---- parser ---------------------------------------------------------------
 */

static const char *
str_member(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A canonical "YYYY-MM-DDTHH:MM:SSZ". */
static int
parse_time(int64_t *out, const char *s)
{
	char back[SP_TIME_STR_LEN];

	if (s == NULL || strlen(s) != SP_TIME_STR_LEN - 1 ||
	    sp_time_parse(out, s) < 0 || sp_time_format(back, *out) < 0 ||
	    strcmp(back, s) != 0)
		return -1;
	return 0;
}

static int
parse_label(sp_ctx *ctx, const json_t *man, const char *key, const char **out)
{
	const json_t *v = json_object_get(man, key);
	const char *s;

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || (s = json_string_value(v))[0] == '\0' ||
	    json_string_length(v) > SP_MANIFEST_MAX_LABEL ||
	    !sp_is_clean_utf8(s, json_string_length(v)))
		return sp_err_set(ctx, SP_EPARSE,
		    "predicate.manifest.%s is not a clean string of 1 to %d "
		    "bytes",
		    key, SP_MANIFEST_MAX_LABEL);
	*out = s;
	return 0;
}

static int
parse_subject(sp_ctx *ctx, sp_review_attestation *a, const json_t *subject)
{
	static const char *const sm[] = {"name", "digest"};
	static const char *const dm[] = {"sha256"};
	const json_t *s, *d;
	const char *name, *hex;
	int error;

	if (!json_is_array(subject) || json_array_size(subject) != 1)
		return sp_err_set(ctx, SP_EPARSE,
		    "a review statement has exactly one subject (the "
		    "manifest)");
	s = json_array_get(subject, 0);
	if ((error = sp_review__json_members(
	         ctx, s, sm, SP_ARRAY_SIZE(sm), "the subject")) < 0)
		return error;
	d = json_object_get(s, "digest");
	if ((error = sp_review__json_members(
	         ctx, d, dm, SP_ARRAY_SIZE(dm), "the subject digest")) < 0)
		return error;
	name = str_member(s, "name");
	hex = str_member(d, "sha256");
	if (name == NULL || name[0] == '\0' ||
	    strlen(name) > SP_MANIFEST_MAX_PATH)
		return sp_err_set(ctx, SP_EPARSE,
		    "the subject needs a name of 1 to %d bytes",
		    SP_MANIFEST_MAX_PATH);
	if (hex == NULL || !sp_is_lower_hex(hex, strlen(hex), SP_SHA256_LEN))
		return sp_err_set(ctx, SP_EPARSE,
		    "the subject needs a lower-case hex sha256 digest");
	a->subject_name = name;
	memcpy(a->manifest, hex, sizeof(a->manifest));
	return 0;
}

static int
parse_lines(
    sp_ctx *ctx, size_t idx, const json_t *lines, sp_review_range *r, size_t *n)
{
	const json_t *pair;
	size_t i;

	*n = json_array_size(lines);
	if (!json_is_array(lines) || *n == 0 || *n > SP_REVIEW_MAX_RANGES)
		return sp_err_set(ctx, SP_EPARSE,
		    "file %zu: lines must be an array of 1 to %d ranges",
		    idx + 1, SP_REVIEW_MAX_RANGES);
	json_array_foreach(lines, i, pair)
	{
		const json_t *a = json_array_get(pair, 0);
		const json_t *b = json_array_get(pair, 1);
		json_int_t s, e;

		if (!json_is_array(pair) || json_array_size(pair) != 2 ||
		    !json_is_integer(a) || !json_is_integer(b))
			return sp_err_set(ctx, SP_EPARSE,
			    "file %zu: line range %zu is not [START, END]",
			    idx + 1, i + 1);
		s = json_integer_value(a);
		e = json_integer_value(b);
		if (s < 1 || e < s || (uint64_t)e > SP_REVIEW_MAX_LINE ||
		    (i > 0 && (uint64_t)s <= r[i - 1].end + 1))
			return sp_err_set(ctx, SP_EPARSE,
			    "file %zu: line range %zu is out of order, "
			    "overlapping or out of bounds",
			    idx + 1, i + 1);
		r[i].start = (uint64_t)s;
		r[i].end = (uint64_t)e;
	}
	return 0;
}

static int
parse_file(sp_ctx *ctx, sp_review_attestation *a, size_t idx, const json_t *f,
    sp_review_range **pool)
{
	static const char *const fm[] = {
	    "path", "sha256", "depth", "verdict", "lines", "note"};
	sp_review_entry *e = &a->entries[idx];
	const json_t *path, *note, *lines;
	const char *hex, *depth, *verdict;
	int error;

	if ((error = sp_review__json_members(
	         ctx, f, fm, SP_ARRAY_SIZE(fm), "a file entry")) < 0)
		return error;
	path = json_object_get(f, "path");
	hex = str_member(f, "sha256");
	depth = str_member(f, "depth");
	verdict = str_member(f, "verdict");
	note = json_object_get(f, "note");
	lines = json_object_get(f, "lines");
	if (!json_is_string(path) ||
	    json_string_length(path) > SP_MANIFEST_MAX_PATH ||
	    !sp_path_is_safe_relative(
	        json_string_value(path), json_string_length(path)))
		return sp_err_set(ctx, SP_EPARSE,
		    "file %zu: the path is missing or not a safe relative path",
		    idx + 1);
	e->path = json_string_value(path);
	if (idx > 0 && strcmp(a->entries[idx - 1].path, e->path) >= 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "file %zu: paths are not sorted or repeat", idx + 1);
	if (hex == NULL || !sp_is_lower_hex(hex, strlen(hex), SP_SHA256_LEN))
		return sp_err_set(ctx, SP_EPARSE,
		    "file %zu: sha256 is not 64 lower-case hex", idx + 1);
	(void)sp_hex_decode(e->sha256, sizeof(e->sha256), hex, strlen(hex));
	if (depth == NULL || depth_lookup(depth, &e->depth) < 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "file %zu: depth is not overview, read or in-depth",
		    idx + 1);
	if (verdict == NULL || verdict_lookup(verdict, &e->verdict) < 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "file %zu: verdict is not ok, concern or not-reviewed",
		    idx + 1);
	if (note != NULL) {
		if (!json_is_string(note) || json_string_length(note) == 0 ||
		    json_string_length(note) > SP_REVIEW_MAX_NOTE)
			return sp_err_set(ctx, SP_EPARSE,
			    "file %zu: the note must be a string of 1 to %d "
			    "bytes",
			    idx + 1, SP_REVIEW_MAX_NOTE);
		e->note = json_string_value(note);
	}
	if (lines != NULL) {
		if ((error = parse_lines(ctx, idx, lines, *pool, &e->nranges)) <
		    0)
			return error;
		e->ranges = *pool;
		*pool += e->nranges;
	}
	return 0;
}

int
sp_review_attestation_parse(
    sp_ctx *ctx, sp_review_attestation **out, const char *statement, size_t len)
{
	static const char *const top[] = {
	    "_type", "subject", "predicateType", "predicate"};
	static const char *const pm[] = {
	    "role", "signed_at", "reviewer", "manifest", "files"};
	static const char *const mm[] = {
	    "product", "release", "kind", "previous"};
	sp_review_attestation *a = NULL;
	const json_t *pred, *man, *files, *f;
	const char *s;
	sp_review_range *pool;
	size_t i, nranges = 0;
	int error;

	*out = NULL;
	if ((a = sp_calloc(ctx, 1, sizeof(*a))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = sp_review__json_parse(ctx, &a->root, statement, len,
	         SP_DSSE_MAX_PAYLOAD, "the statement")) < 0)
		goto out;
	if ((error = sp_review__json_members(
	         ctx, a->root, top, SP_ARRAY_SIZE(top), "the statement")) < 0)
		goto out;
	if ((s = str_member(a->root, "_type")) == NULL ||
	    strcmp(s, SP_INTOTO_STATEMENT_V1) != 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "the statement's _type is not '%s'",
		    SP_INTOTO_STATEMENT_V1);
		goto out;
	}
	if ((s = str_member(a->root, "predicateType")) == NULL ||
	    strcmp(s, SP_REVIEW_PREDICATE_V1) != 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "not a review attestation: predicateType is not '%s'",
		    SP_REVIEW_PREDICATE_V1);
		goto out;
	}
	if ((error = parse_subject(
	         ctx, a, json_object_get(a->root, "subject"))) < 0)
		goto out;
	pred = json_object_get(a->root, "predicate");
	if ((error = sp_review__json_members(
	         ctx, pred, pm, SP_ARRAY_SIZE(pm), "the predicate")) < 0)
		goto out;
	if ((s = str_member(pred, "role")) == NULL ||
	    strcmp(s, SP_REVIEW_ROLE) != 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "the predicate's role is not '%s'", SP_REVIEW_ROLE);
		goto out;
	}
	if (parse_time(&a->time, str_member(pred, "signed_at")) < 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "signed_at is not a time YYYY-MM-DDTHH:MM:SSZ");
		goto out;
	}
	if ((s = str_member(pred, "reviewer")) == NULL ||
	    !sp_is_lower_hex(s, strlen(s), SP_KEYID_HEX_LEN / 2)) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "the reviewer is not a key id (64 lower-case hex)");
		goto out;
	}
	memcpy(a->reviewer, s, sizeof(a->reviewer));
	man = json_object_get(pred, "manifest");
	if ((error = sp_review__json_members(
	         ctx, man, mm, SP_ARRAY_SIZE(mm), "predicate.manifest")) < 0 ||
	    (error = parse_label(ctx, man, "product", &a->product)) < 0 ||
	    (error = parse_label(ctx, man, "release", &a->release)) < 0)
		goto out;
	a->kind = str_member(man, "kind");
	if (a->kind == NULL || (strcmp(a->kind, "release") != 0 &&
	                           strcmp(a->kind, "update") != 0)) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "predicate.manifest.kind is not release or update");
		goto out;
	}
	if (json_object_get(man, "previous") != NULL &&
	    ((s = str_member(man, "previous")) == NULL ||
	        !sp_is_lower_hex(s, strlen(s), SP_SHA256_LEN))) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "predicate.manifest.previous is not a sha256");
		goto out;
	}
	files = json_object_get(pred, "files");
	if (!json_is_array(files) || json_array_size(files) == 0 ||
	    json_array_size(files) > SP_REVIEW_MAX_FILES) {
		error = sp_err_set(ctx,
		    json_array_size(files) > SP_REVIEW_MAX_FILES ? SP_ELIMIT
		                                                 : SP_EPARSE,
		    "predicate.files must list 1 to %d files",
		    SP_REVIEW_MAX_FILES);
		goto out;
	}
	a->nentries = json_array_size(files);
	json_array_foreach(files, i, f)
	{
		const json_t *l = json_object_get(f, "lines");

		if (json_is_array(l))
			nranges += json_array_size(l);
	}
	a->entries = sp_calloc(ctx, a->nentries, sizeof(*a->entries));
	a->ranges = sp_calloc(ctx, nranges ? nranges : 1, sizeof(*a->ranges));
	if (a->entries == NULL || a->ranges == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	pool = a->ranges;
	json_array_foreach(files, i, f)
	{
		if (!json_is_object(f)) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "file %zu is not a JSON object", i + 1);
			goto out;
		}
		if ((error = parse_file(ctx, a, i, f, &pool)) < 0)
			goto out;
	}
	*out = a;
	a = NULL;
out:
	sp_review_attestation_free(a);
	return error;
}

int
sp_review_attestation_from_dsse(
    sp_ctx *ctx, sp_review_attestation **out, const sp_dsse *env)
{
	const char *p;
	size_t len;

	*out = NULL;
	if (strcmp(sp_dsse_payload_type(env), SP_DSSE_TYPE_INTOTO) != 0)
		return sp_err_set(ctx, SP_EPARSE,
		    "wrong payload type '%s' (expected '%s')",
		    sp_dsse_payload_type(env), SP_DSSE_TYPE_INTOTO);
	p = sp_dsse_payload(env, &len);
	return sp_review_attestation_parse(ctx, out, p, len);
}

void
sp_review_attestation_free(sp_review_attestation *a)
{
	if (a == NULL)
		return;
	json_decref(a->root);
	free(a->entries);
	free(a->ranges);
	free(a);
}

const char *
sp_review_attestation_manifest(const sp_review_attestation *a)
{
	return a->manifest;
}

const char *
sp_review_attestation_subject_name(const sp_review_attestation *a)
{
	return a->subject_name;
}

const char *
sp_review_attestation_reviewer(const sp_review_attestation *a)
{
	return a->reviewer;
}

int64_t
sp_review_attestation_time(const sp_review_attestation *a)
{
	return a->time;
}

const char *
sp_review_attestation_product(const sp_review_attestation *a)
{
	return a->product;
}

const char *
sp_review_attestation_release(const sp_review_attestation *a)
{
	return a->release;
}

const char *
sp_review_attestation_kind(const sp_review_attestation *a)
{
	return a->kind;
}

size_t
sp_review_attestation_count(const sp_review_attestation *a)
{
	return a->nentries;
}

const sp_review_entry *
sp_review_attestation_entry(const sp_review_attestation *a, size_t i)
{
	return i < a->nentries ? &a->entries[i] : NULL;
}
