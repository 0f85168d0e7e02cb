/*
 * The ledger (which review attestations count, and why not) and coverage
 * of a manifest by content hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_int.h"
#include "util_int.h"

#include "banned.h"

static const char *const att_status_names[] = {"counted", "malformed",
    "NOT CHECKED", "untrusted", "other product", "inconsistent", "duplicate"};

const char *
sp_review_att_status_name(sp_review_att_status s)
{
	return (unsigned)s < SP_ARRAY_SIZE(att_status_names)
	           ? att_status_names[s]
	           : "unknown";
}

static const char *const file_status_names[] = {
    "concern", "uncovered", "partial", "shallow", "covered"};

const char *
sp_review_file_status_name(sp_review_file_status s)
{
	return (unsigned)s < SP_ARRAY_SIZE(file_status_names)
	           ? file_status_names[s]
	           : "unknown";
}

/* ---- ledger ---------------------------------------------------------------
 */

static int
md_cmp(const void *a, const void *b)
{
	return memcmp(a, b, SP_SHA256_LEN);
}

static bool
has_hash(const sp_review_ledger *l, const uint8_t md[SP_SHA256_LEN])
{
	return bsearch(md, l->hashes, l->nhashes, SP_SHA256_LEN, md_cmp) !=
	       NULL;
}

int
sp_review_ledger_new(sp_ctx *ctx, sp_review_ledger **out, const sp_manifest *m,
    const sp_review_trust *trust)
{
	sp_review_ledger *l = NULL;
	size_t i, n;
	int error;

	*out = NULL;
	SP_ASSERT_ARG(ctx, m != NULL && trust != NULL);
	if (trust->policy != NULL && trust->nkeys > 0)
		return sp_err_set(ctx, SP_EINVALID,
		    "give either a trust policy or keys, not both");
	if ((l = sp_calloc(ctx, 1, sizeof(*l))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	l->m = m;
	l->trust = *trust;
	if (l->trust.at == 0)
		l->trust.at = (int64_t)time(NULL);
	if ((error = sp_manifest_digest(ctx, m, l->md)) < 0)
		goto out;
	sp_hex_encode(l->hex, l->md, sizeof(l->md));
	n = sp_manifest_entry_count(m);
	if ((l->hashes = sp_calloc(ctx, n ? n : 1, SP_SHA256_LEN)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		memcpy(l->hashes[i], sp_manifest_entry_at(m, i)->sha256,
		    SP_SHA256_LEN);
	qsort(l->hashes, n, SP_SHA256_LEN, md_cmp);
	l->nhashes = n;
	*out = l;
	l = NULL;
out:
	sp_review_ledger_free(l);
	return error;
}

int
sp_review_ledger_know(
    sp_ctx *ctx, sp_review_ledger *l, const sp_manifest *other)
{
	struct ledger_known *k;
	int error;

	k = realloc(l->known, (l->nknown + 1) * sizeof(*k));
	if (k == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	l->known = k;
	k = &l->known[l->nknown];
	k->m = other;
	if ((error = sp_manifest_digest(ctx, other, k->md)) < 0)
		return error;
	sp_hex_encode(k->hex, k->md, sizeof(k->md));
	l->nknown++;
	return 0;
}

void
sp_review_ledger_free(sp_review_ledger *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->natts; i++) {
		free(l->atts[i].label);
		sp_buf_dispose(&l->atts[i].reason);
		sp_review_attestation_free(l->atts[i].a);
	}
	free(l->atts);
	free(l->known);
	free(l->hashes);
	free(l);
}

static bool
same_label(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Record why @p att does not count; the message comes from @p ctx or the
 * format. */
static int
reject(sp_ctx *ctx, struct ledger_att *att, sp_review_att_status status,
    const char *prefix)
{
	att->info.status = status;
	sp_buf_clear(&att->reason);
	if (sp_buf_printf(&att->reason, "%s%s", prefix, sp_ctx_errmsg(ctx)) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	sp_err_clear(ctx);
	return 0;
}

/* The manifest the attestation names, if the ledger knows it. */
static const sp_manifest *
named_manifest(const sp_review_ledger *l, const char *hex)
{
	size_t i;

	if (strcmp(hex, l->hex) == 0)
		return l->m;
	for (i = 0; i < l->nknown; i++)
		if (strcmp(hex, l->known[i].hex) == 0)
			return l->known[i].m;
	return NULL;
}

/* Entries and header must agree with the manifest the statement names. */
static int
check_consistent(
    sp_ctx *ctx, const sp_review_attestation *a, const sp_manifest *m)
{
	size_t i;

	if (!same_label(a->product, sp_manifest_product(m)) ||
	    !same_label(a->release, sp_manifest_release(m)))
		return sp_err_set(ctx, SP_EVERIFY,
		    "its product or release differs from the manifest it "
		    "names");
	for (i = 0; i < a->nentries; i++) {
		const sp_review_entry *e = &a->entries[i];
		const sp_manifest_entry *me = sp_manifest_find(m, e->path);

		if (me == NULL)
			return sp_err_set(ctx, SP_EVERIFY,
			    "'%s' is not in the manifest it names", e->path);
		if (!sp_ct_equal(me->sha256, e->sha256, SP_SHA256_LEN))
			return sp_err_set(ctx, SP_EVERIFY,
			    "the sha256 it gives for '%s' is not the "
			    "manifest's",
			    e->path);
	}
	return 0;
}

static int
check_signature(sp_ctx *ctx, const sp_review_ledger *l, const sp_dsse *env,
    const sp_review_attestation *a)
{
	sp_sign_verify_opts vo = SP_SIGN_VERIFY_OPTS_INIT;
	sp_sign_result res;
	size_t i;
	int error;

	vo.at = l->trust.at;
	if (l->trust.policy != NULL) {
		vo.policy = l->trust.policy;
		vo.role = SP_REVIEW_ROLE;
	} else {
		vo.keys = l->trust.keys;
		vo.nkeys = l->trust.nkeys;
		vo.threshold = 1;
	}
	if ((error = sp_dsse_verify(ctx, env, &vo, &res)) < 0)
		return error;
	for (i = 0; i < res.valid && i < SP_ARRAY_SIZE(res.keyids); i++)
		if (strcmp(res.keyids[i], a->reviewer) == 0)
			return 0;
	return sp_err_set(ctx, SP_EVERIFY,
	    "it names reviewer %.16s, who is not among its valid signers",
	    a->reviewer);
}

static void
fill_info(const sp_review_ledger *l, struct ledger_att *att)
{
	const sp_review_attestation *a = att->a;
	size_t i;

	att->info.manifest = a->manifest;
	att->info.reviewer = a->reviewer;
	att->info.product = a->product;
	att->info.release = a->release;
	att->info.time = a->time;
	att->info.files = a->nentries;
	att->info.current = strcmp(a->manifest, l->hex) == 0;
	for (i = 0; i < a->nentries; i++)
		if (!has_hash(l, a->entries[i].sha256))
			att->info.stale++;
}

/* Judge @p att; every "no" is recorded, only ENOMEM is returned. */
static int
judge(sp_ctx *ctx, sp_review_ledger *l, struct ledger_att *att,
    const char *data, size_t len)
{
	sp_dsse *env = NULL;
	const sp_manifest *named;
	const char *payload;
	size_t plen, i;
	int error;

	if ((error = sp_dsse_parse(ctx, &env, data, len)) < 0) {
		if (error == SP_ENOMEM)
			goto out;
		error = reject(
		    ctx, att, SP_REVIEW_ATT_MALFORMED, "malformed envelope: ");
		goto out;
	}
	att->info.signatures = sp_dsse_sig_count(env);
	if ((error = sp_review_attestation_from_dsse(ctx, &att->a, env)) < 0) {
		if (error == SP_ENOMEM)
			goto out;
		error = reject(ctx, att, SP_REVIEW_ATT_MALFORMED,
		    "not a review attestation: ");
		goto out;
	}
	payload = sp_dsse_payload(env, &plen);
	if ((error = sp_sha256(ctx, att->payload_md, payload, plen)) < 0)
		goto out;
	fill_info(l, att);
	if (!same_label(att->a->product, sp_manifest_product(l->m))) {
		sp_err_set(ctx, SP_EVERIFY, "it is for product '%s', not '%s'",
		    att->a->product ? att->a->product : "(none)",
		    sp_manifest_product(l->m) ? sp_manifest_product(l->m)
		                              : "(none)");
		error = reject(ctx, att, SP_REVIEW_ATT_OTHER_PRODUCT, "");
		goto out;
	}
	if ((named = named_manifest(l, att->a->manifest)) != NULL) {
		att->info.checked = true;
		if (check_consistent(ctx, att->a, named) < 0) {
			error =
			    reject(ctx, att, SP_REVIEW_ATT_INCONSISTENT, "");
			goto out;
		}
	}
	if (l->trust.policy == NULL && l->trust.nkeys == 0) {
		sp_err_set(ctx, SP_EVERIFY,
		    "signature NOT CHECKED: no trust policy or public key "
		    "given");
		error = reject(ctx, att, SP_REVIEW_ATT_NOT_CHECKED, "");
		goto out;
	}
	if (check_signature(ctx, l, env, att->a) < 0) {
		error = reject(ctx, att, SP_REVIEW_ATT_UNTRUSTED, "");
		goto out;
	}
	for (i = 0; i < l->natts; i++) {
		const struct ledger_att *o = &l->atts[i];

		if (o != att && o->info.status == SP_REVIEW_ATT_COUNTED &&
		    memcmp(o->payload_md, att->payload_md, SP_SHA256_LEN) ==
		        0) {
			sp_err_set(ctx, SP_EVERIFY,
			    "same statement as '%s' (counted once)", o->label);
			error = reject(ctx, att, SP_REVIEW_ATT_DUPLICATE, "");
			goto out;
		}
	}
	att->info.status = SP_REVIEW_ATT_COUNTED;
out:
	sp_dsse_free(env);
	return error;
}

int
sp_review_ledger_add(sp_ctx *ctx, sp_review_ledger *l, const char *label,
    const char *data, size_t len)
{
	struct ledger_att *att;
	int error;

	if (l->natts >= SP_REVIEW_MAX_ATTESTATIONS)
		return sp_err_set(ctx, SP_ELIMIT, "more than %d attestations",
		    SP_REVIEW_MAX_ATTESTATIONS);
	if (l->natts == l->aatts) {
		size_t na = l->aatts ? l->aatts * 2 : 16;
		struct ledger_att *n = realloc(l->atts, na * sizeof(*n));

		if (n == NULL)
			return sp_err_set(ctx, SP_ENOMEM, "out of memory");
		l->atts = n;
		l->aatts = na;
	}
	att = &l->atts[l->natts];
	memset(att, 0, sizeof(*att));
	sp_buf_init(&att->reason, 8192);
	if ((att->label = strdup(label)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	l->natts++;
	att->info.label = att->label;
	if ((error = judge(ctx, l, att, data, len)) < 0)
		return error;
	return 0;
}

int
sp_review_ledger_add_file(sp_ctx *ctx, sp_review_ledger *l, const char *path)
{
	sp_buf data = SP_BUF_INIT;
	int error;

	error =
	    sp_read_file(ctx, &data, path, SP_DSSE_MAX_SIZE, SP_OPEN_NOFOLLOW);
	if (error == SP_ELIMIT) {
		/* Too big to be an envelope: judged as malformed. */
		sp_buf_dispose(&data);
		return sp_review_ledger_add(ctx, l, path, "", 0);
	}
	if (error == 0)
		error = sp_review_ledger_add(ctx, l, path, data.ptr, data.size);
	sp_buf_dispose(&data);
	return error;
}

const sp_manifest *
sp_review_ledger_manifest(const sp_review_ledger *l)
{
	return l->m;
}

const char *
sp_review_ledger_digest(const sp_review_ledger *l)
{
	return l->hex;
}

const char *
sp_review_ledger_trust_mode(const sp_review_ledger *l)
{
	if (l->trust.policy != NULL)
		return "policy";
	return l->trust.nkeys > 0 ? "keys" : "none";
}

size_t
sp_review_ledger_count(const sp_review_ledger *l)
{
	return l->natts;
}

const sp_review_att_info *
sp_review_ledger_info(const sp_review_ledger *l, size_t i)
{
	struct ledger_att *att;

	if (i >= l->natts)
		return NULL;
	att = &l->atts[i];
	att->info.reason = att->reason.ptr ? att->reason.ptr : "";
	return &att->info;
}

/* ---- coverage -------------------------------------------------------------
 */

static int
ref_time_cmp(const struct ledger_ref *x, const struct ledger_ref *y)
{
	if (x->att->info.time != y->att->info.time)
		return x->att->info.time < y->att->info.time ? -1 : 1;
	if (x->att != y->att)
		return x->att < y->att ? -1 : 1;
	return 0;
}

static int
ref_sha_cmp(const void *a, const void *b)
{
	const struct ledger_ref *x = a, *y = b;
	int c = memcmp(x->e->sha256, y->e->sha256, SP_SHA256_LEN);

	return c != 0 ? c : ref_time_cmp(x, y);
}

static int
ref_path_cmp(const void *a, const void *b)
{
	const struct ledger_ref *x = a, *y = b;
	int c = strcmp(x->e->path, y->e->path);

	return c != 0 ? c : ref_time_cmp(x, y);
}

const struct ledger_ref *
sp_review__path_refs(
    const sp_review_coverage *cov, const char *path, size_t *count)
{
	size_t lo = 0, hi = cov->nbypath, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(cov->bypath[mid].e->path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo;
	     end < cov->nbypath && strcmp(cov->bypath[end].e->path, path) == 0;
	     end++)
		;
	*count = end - lo;
	return cov->bypath + lo;
}

const struct ledger_ref *
sp_review__last_reviewed(const sp_review_coverage *cov, const char *path)
{
	size_t n;
	const struct ledger_ref *refs = sp_review__path_refs(cov, path, &n);

	while (n > 0)
		if (refs[--n].e->verdict != SP_REVIEW_NOT_REVIEWED)
			return &refs[n];
	return NULL;
}

static size_t
sha_lower_bound(const struct ledger_ref *refs, size_t n, const uint8_t *md)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(refs[mid].e->sha256, md, SP_SHA256_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool
sp_review__sha_reviewed(const sp_review_coverage *cov, const uint8_t *sha256)
{
	const struct ledger_ref *bysha = cov->refs;
	size_t i = sha_lower_bound(bysha, cov->nbypath, sha256);

	for (; i < cov->nbypath &&
	       memcmp(bysha[i].e->sha256, sha256, SP_SHA256_LEN) == 0;
	     i++)
		if (bysha[i].e->verdict != SP_REVIEW_NOT_REVIEWED)
			return true;
	return false;
}

/* A growable scratch array of ranges. */
struct range_vec {
	sp_review_range *r;
	size_t n, a;
};

/*
 * Lines of [1, lines] covered by the ranges of refs[lo, hi) at depth >= d
 * (verdict other than not-reviewed). Returns UINT64_MAX on ENOMEM.
 */
static uint64_t
lines_at(struct range_vec *v, const struct ledger_ref *refs, size_t lo,
    size_t hi, sp_review_depth d, uint64_t lines)
{
	uint64_t covered = 0;
	size_t i, j;

	v->n = 0;
	for (i = lo; i < hi; i++) {
		const sp_review_entry *e = refs[i].e;

		if (e->depth < d || e->verdict == SP_REVIEW_NOT_REVIEWED ||
		    e->nranges == 0)
			continue;
		if (v->n + e->nranges > v->a) {
			size_t na = (v->n + e->nranges) * 2;
			sp_review_range *nr = realloc(v->r, na * sizeof(*nr));

			if (nr == NULL)
				return UINT64_MAX;
			v->r = nr;
			v->a = na;
		}
		for (j = 0; j < e->nranges; j++)
			v->r[v->n++] = e->ranges[j];
	}
	v->n = sp_review__ranges_normalize(v->r, v->n);
	for (i = 0; i < v->n && v->r[i].start <= lines; i++)
		covered += (v->r[i].end < lines ? v->r[i].end : lines) -
		           v->r[i].start + 1;
	return covered;
}

/* Is a concern of refs[c] withdrawn by a later whole-file "ok" of the same
 * reviewer? */
static bool
withdrawn(const struct ledger_ref *refs, size_t lo, size_t hi, size_t c)
{
	size_t i;

	for (i = lo; i < hi; i++) {
		const struct ledger_ref *r = &refs[i];

		if (r->e->verdict == SP_REVIEW_OK && r->e->nranges == 0 &&
		    r->att->info.time > refs[c].att->info.time &&
		    strcmp(r->att->info.reviewer, refs[c].att->info.reviewer) ==
		        0)
			return true;
	}
	return false;
}

struct cov_build {
	struct range_vec v;
	size_t *cstart; /* per file: first concern index */
};

static int
push_concern(sp_ctx *ctx, sp_review_coverage *cov, size_t *acon,
    const struct ledger_ref *r)
{
	sp_review_concern *c;

	if (cov->nconcerns == *acon) {
		size_t na = *acon ? *acon * 2 : 16;
		sp_review_concern *n = realloc(cov->concerns, na * sizeof(*n));

		if (n == NULL)
			return sp_err_set(ctx, SP_ENOMEM, "out of memory");
		cov->concerns = n;
		*acon = na;
	}
	c = &cov->concerns[cov->nconcerns++];
	c->reviewer = r->att->info.reviewer;
	c->note = r->e->note;
	c->depth = r->e->depth;
	c->time = r->att->info.time;
	c->attestation = r->att->label;
	return 0;
}

/* Coverage of file @p f from the trusted entries refs[lo, hi). */
static int
judge_file(sp_ctx *ctx, sp_review_coverage *cov, struct cov_build *b,
    sp_review_file *f, const struct ledger_ref *refs, size_t lo, size_t hi,
    size_t *acon)
{
	sp_review_depth d, min = cov->min_depth;
	bool full[4] = {false, false, false, false}, partial = false;
	bool current = false;
	size_t i, before = cov->nconcerns;
	int error;

	for (i = lo; i < hi; i++) {
		const sp_review_entry *e = refs[i].e;

		if (e->verdict == SP_REVIEW_NOT_REVIEWED) {
			f->marked_not_reviewed = true;
			continue;
		}
		for (d = SP_REVIEW_DEPTH_OVERVIEW; d <= e->depth; d++)
			if (e->nranges == 0)
				full[d] = true;
		if (e->depth >= min) {
			if (e->nranges > 0)
				partial = true;
			if (refs[i].att->info.current)
				current = true;
		}
		if (e->verdict == SP_REVIEW_CONCERN &&
		    !withdrawn(refs, lo, hi, i) &&
		    (error = push_concern(ctx, cov, acon, &refs[i])) < 0)
			return error;
	}
	for (d = SP_REVIEW_DEPTH_OVERVIEW; d <= SP_REVIEW_DEPTH_IN_DEPTH; d++) {
		uint64_t n;

		if (full[d] || f->lines == UINT64_MAX)
			continue;
		if ((n = lines_at(&b->v, refs, lo, hi, d, f->lines)) ==
		    UINT64_MAX)
			return sp_err_set(ctx, SP_ENOMEM, "out of memory");
		full[d] = n == f->lines && (n > 0 || b->v.n > 0);
	}
	for (d = SP_REVIEW_DEPTH_IN_DEPTH; d >= SP_REVIEW_DEPTH_OVERVIEW; d--)
		if (full[d]) {
			f->depth = d;
			break;
		}
	f->covered = f->depth >= min;
	f->carried = f->covered && !current;
	if (f->lines != UINT64_MAX) {
		if (f->covered)
			f->lines_covered = f->lines;
		else if ((f->lines_covered = lines_at(&b->v, refs, lo, hi, min,
		              f->lines)) == UINT64_MAX)
			return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	}
	f->nconcerns = cov->nconcerns - before;
	if (f->nconcerns > 0)
		f->status = SP_REVIEW_FILE_CONCERN;
	else if (f->covered)
		f->status = SP_REVIEW_FILE_COVERED;
	else if (partial)
		f->status = SP_REVIEW_FILE_PARTIAL;
	else if (f->depth > SP_REVIEW_DEPTH_NONE)
		f->status = SP_REVIEW_FILE_SHALLOW;
	else
		f->status = SP_REVIEW_FILE_UNCOVERED;
	if (!f->covered) {
		const struct ledger_ref *last =
		    sp_review__last_reviewed(cov, f->entry->path);

		if (last != NULL && memcmp(last->e->sha256, f->entry->sha256,
		                        SP_SHA256_LEN) != 0)
			f->last_reviewed = last->e->sha256;
	}
	return 0;
}

/* Report order: status rank, then manifest (path) order. */
static void
order_files(sp_review_coverage *cov)
{
	size_t count[5] = {0}, start[5], i, s;

	for (i = 0; i < cov->nfiles; i++)
		count[cov->files[i].status]++;
	for (s = 0, i = 0; s < 5; s++) {
		start[s] = i;
		i += count[s];
	}
	for (i = 0; i < cov->nfiles; i++)
		cov->order[start[cov->files[i].status]++] = i;
}

static void
add_u64(uint64_t *acc, uint64_t v)
{
	if (*acc == UINT64_MAX || v == UINT64_MAX)
		*acc = UINT64_MAX;
	else
		*acc += v;
}

static void
summarize(sp_review_coverage *cov)
{
	sp_review_summary *s = &cov->sum;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->files = cov->nfiles;
	for (i = 0; i < cov->nfiles; i++) {
		const sp_review_file *f = &cov->files[i];

		s->by_status[f->status]++;
		s->by_depth[f->depth]++;
		add_u64(&s->by_depth_bytes[f->depth], f->bytes);
		add_u64(&s->bytes, f->bytes);
		add_u64(&s->lines, f->lines);
		add_u64(&s->lines_covered, f->lines_covered);
		if (f->covered) {
			s->files_covered++;
			add_u64(&s->bytes_covered, f->bytes);
		}
		if (f->carried)
			s->files_carried++;
		s->concerns += f->nconcerns > 0;
	}
	if (!cov->have_source) {
		/* Sizes of files are not in a parsed manifest: unknown. */
		s->bytes = s->bytes_covered = UINT64_MAX;
		s->lines = s->lines_covered = UINT64_MAX;
		for (i = 0; i < 4; i++)
			s->by_depth_bytes[i] = UINT64_MAX;
	}
	s->attestations = cov->ledger->natts;
	for (i = 0; i < cov->ledger->natts; i++)
		s->counted +=
		    cov->ledger->atts[i].info.status == SP_REVIEW_ATT_COUNTED;
}

int
sp_review_coverage_compute(sp_ctx *ctx, sp_review_coverage **out,
    const sp_review_ledger *l, const sp_review_coverage_opts *opts)
{
	sp_review_coverage *cov = NULL;
	struct cov_build b;
	const sp_manifest *m = l->m;
	struct ledger_ref *bysha;
	size_t i, j, nrefs = 0, acon = 0;
	int error = 0;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	if ((cov = sp_calloc(ctx, 1, sizeof(*cov))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	cov->ledger = l;
	cov->min_depth = opts->min_depth == SP_REVIEW_DEPTH_NONE
	                     ? SP_REVIEW_DEPTH_READ
	                     : opts->min_depth;
	cov->have_source = opts->source != NULL;
	for (i = 0; i < l->natts; i++)
		if (l->atts[i].info.status == SP_REVIEW_ATT_COUNTED)
			nrefs += l->atts[i].a->nentries;
	cov->nfiles = sp_manifest_entry_count(m);
	cov->refs = sp_calloc(ctx, nrefs ? 2 * nrefs : 1, sizeof(*cov->refs));
	cov->files =
	    sp_calloc(ctx, cov->nfiles ? cov->nfiles : 1, sizeof(*cov->files));
	cov->order =
	    sp_calloc(ctx, cov->nfiles ? cov->nfiles : 1, sizeof(*cov->order));
	b.cstart =
	    sp_calloc(ctx, cov->nfiles ? cov->nfiles : 1, sizeof(*b.cstart));
	if (cov->refs == NULL || cov->files == NULL || cov->order == NULL ||
	    b.cstart == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	bysha = cov->refs;
	/* Fill both orders. */
	{
		size_t k = 0;

		for (i = 0; i < l->natts; i++) {
			const struct ledger_att *att = &l->atts[i];

			if (att->info.status != SP_REVIEW_ATT_COUNTED)
				continue;
			for (j = 0; j < att->a->nentries; j++) {
				bysha[k].e = &att->a->entries[j];
				bysha[k].att = att;
				k++;
			}
		}
		nrefs = k;
	}
	memcpy(cov->refs + nrefs, bysha, nrefs * sizeof(*bysha));
	qsort(bysha, nrefs, sizeof(*bysha), ref_sha_cmp);
	cov->bypath = cov->refs + nrefs;
	cov->nbypath = nrefs;
	qsort(cov->refs + nrefs, nrefs, sizeof(*bysha), ref_path_cmp);

	for (i = 0; i < cov->nfiles; i++) {
		sp_review_file *f = &cov->files[i];
		const sp_manifest_entry *e = sp_manifest_entry_at(m, i);
		size_t lo, hi;

		f->entry = e;
		f->bytes = f->lines = f->lines_covered = UINT64_MAX;
		if (opts->source != NULL) {
			if ((error = sp_review__scan_source(ctx, opts->source,
			         e, &f->bytes, &f->lines)) < 0)
				goto out;
			sp_progress(ctx, "coverage", i + 1, 0, cov->nfiles);
		} else if (e->type == SP_MANIFEST_SYMLINK &&
		           e->link_target != NULL) {
			f->bytes = strlen(e->link_target);
			f->lines = 1;
		}
		lo = sha_lower_bound(bysha, nrefs, e->sha256);
		for (hi = lo; hi < nrefs && memcmp(bysha[hi].e->sha256,
		                                e->sha256, SP_SHA256_LEN) == 0;
		     hi++)
			;
		b.cstart[i] = cov->nconcerns;
		if ((error = judge_file(
		         ctx, cov, &b, f, bysha, lo, hi, &acon)) < 0)
			goto out;
	}
	for (i = 0; i < cov->nfiles; i++) {
		cov->files[i].concerns = cov->files[i].nconcerns
		                             ? &cov->concerns[b.cstart[i]]
		                             : NULL;
	}
	order_files(cov);
	summarize(cov);
	*out = cov;
	cov = NULL;
out:
	free(b.v.r);
	free(b.cstart);
	sp_review_coverage_free(cov);
	return error;
}

void
sp_review_coverage_free(sp_review_coverage *cov)
{
	if (cov == NULL)
		return;
	free(cov->files);
	free(cov->order);
	free(cov->concerns);
	free(cov->refs);
	free(cov);
}

const sp_review_summary *
sp_review_coverage_summary(const sp_review_coverage *cov)
{
	return &cov->sum;
}

size_t
sp_review_coverage_count(const sp_review_coverage *cov)
{
	return cov->nfiles;
}

const sp_review_file *
sp_review_coverage_file(const sp_review_coverage *cov, size_t i)
{
	return i < cov->nfiles ? &cov->files[cov->order[i]] : NULL;
}

const sp_review_file *
sp_review_coverage_find(const sp_review_coverage *cov, const char *path)
{
	size_t lo = 0, hi = cov->nfiles;

	/* Files are in manifest (path byte) order. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(cov->files[mid].entry->path, path);

		if (c == 0)
			return &cov->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

sp_review_depth
sp_review_coverage_min_depth(const sp_review_coverage *cov)
{
	return cov->min_depth;
}

bool
sp_review_coverage_meets(const sp_review_coverage *cov, uint64_t percent_milli)
{
	const sp_review_summary *s = &cov->sum;

	if (s->files == 0)
		return true;
	if (percent_milli > 100000)
		return false;
	/* covered / files >= milli / 100000, exactly (files < 2^32). */
	return s->files_covered * 100000u >= percent_milli * s->files;
}

void
sp_review_percent(char out[16], uint64_t num, uint64_t den)
{
	uint64_t tenths;

	if (den == 0 || num >= den) {
		snprintf(
		    out, 16, "%s", num > den ? "more than 100%" : "100.0%");
		return;
	}
	/* Integers only (same result everywhere): for huge values drop low
	 * bits of both until num * 1000 fits. */
	while (num > UINT64_MAX / 1000u) {
		num >>= 1;
		den >>= 1;
	}
	tenths = den ? num * 1000u / den : 0;
	if (tenths >= 1000)
		tenths = 999; /* never round up to 100% */
	snprintf(out, 16, "%llu.%llu%%", (unsigned long long)(tenths / 10),
	    (unsigned long long)(tenths % 10));
}
