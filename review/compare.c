/*
 * Shipped-versus-rebuilt comparison: format dispatch, the streaming
 * differ, normalization (PE certificate table, CheckSum, padding to 8;
 * module signature trailer) and the verdict ladder. See
 * docs/spec/compare.md.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare_int.h"
#include "util_int.h"

#include "banned.h"

#define CHUNK ((size_t)1 << 20)
#define MERGE_GAP 8
#define PREVIEW 16

int pe_load_pkcs7(sp_ctx *ctx, sp_buf *der, const char *path);
int pe_attach_prepare(sp_ctx *ctx, cmp_view *view, uint8_t **tail,
    pe_sig **sigs, size_t *nsigs, const pe_image *u, const cmp_file *fu,
    const uint8_t *der, size_t derlen, cmp_findings *fs);
int cmp_run_diffoscope(sp_ctx *ctx, json_t **out, const char *shipped,
    const char *rebuilt, const sp_compare_options *opts);

struct sp_compare_result {
	sp_compare_summary sum;
	char *reason;
	char *error;
	char *hint;
	json_t *doc;
};

static const char *const verdict_names[] = {"IDENTICAL",
    "IDENTICAL_MODULO_SIGNATURE", "EXPLAINED_DIFFERENCE", "DIFFERENT", "ERROR"};

const char *
sp_verdict_name(sp_verdict v)
{
	if ((unsigned)v < SP_ARRAY_SIZE(verdict_names))
		return verdict_names[v];
	return "ERROR";
}

bool
sp_verdict_is_match(sp_verdict v)
{
	return v == SP_VERDICT_IDENTICAL ||
	       v == SP_VERDICT_IDENTICAL_MODULO_SIGNATURE;
}

/* ---- the differ ------------------------------------------------------------
 */

typedef struct differ {
	sp_ctx *ctx;
	const cmp_view *vs, *vu;
	const cmp_regions *rs_s, *rs_u;
	json_t *ranges;
	size_t max;
	size_t kept;
	uint64_t total, bytes;
	bool all_explained;
	bool in_run;
	uint64_t run_start, run_end;
} differ;

typedef struct hooks {
	EVP_MD_CTX *raw[2];  /* SHA-256 of each whole file */
	EVP_MD_CTX *view[2]; /* SHA-256 of each logical view */
	EVP_MD_CTX *extra_u; /* another digest of u's view (module) */
	pe_auth_hash *auth_u;
	pe_csum csum[2];
	uint64_t csum_off[2]; /* CheckSum offset or UINT64_MAX */
} hooks;

static void
preview(differ *d, const cmp_view *v, uint64_t off, uint64_t len, char *out)
{
	uint8_t b[PREVIEW];
	size_t n = len < PREVIEW ? (size_t)len : PREVIEW;

	out[0] = '\0';
	if (off >= cmp_view_size(v))
		return;
	if (n > cmp_view_size(v) - off)
		n = (size_t)(cmp_view_size(v) - off);
	if (cmp_view_read(d->ctx, v, off, b, n, NULL, NULL) < 0) {
		sp_err_clear(d->ctx);
		return;
	}
	sp_hex_encode(out, b, n);
}

static int
emit(differ *d, uint64_t a, uint64_t b)
{
	while (a < b) {
		const cmp_regions *rs =
		    a < cmp_view_size(d->vs) ? d->rs_s : d->rs_u;
		const cmp_region *r = NULL;
		uint64_t end = UINT64_MAX, e;
		const char *label = "data";
		int kind = CMP_RK_PLAIN;
		bool explained;

		if (rs != NULL) {
			r = cmp_regions_find(rs, a, &end);
			if (r != NULL) {
				label = r->label;
				kind = r->kind;
			} else if (rs->gap_label != NULL)
				label = rs->gap_label;
		}
		e = end < b ? end : b;
		explained =
		    kind == CMP_RK_BUILD_ID || kind == CMP_RK_DEBUGLINK_CRC;
		if (!explained)
			d->all_explained = false;
		d->total++;
		d->bytes += e - a;
		if (d->kept < d->max) {
			char ps[2 * PREVIEW + 1], pu[2 * PREVIEW + 1];
			json_t *o;

			preview(d, d->vs, a, e - a, ps);
			preview(d, d->vu, a, e - a, pu);
			o = json_pack("{s:I, s:I, s:s, s:b, s:s, s:s}",
			    "offset", (json_int_t)a, "length",
			    (json_int_t)(e - a), "region", label, "explained",
			    explained, "shipped", ps, "rebuilt", pu);
			if (o == NULL ||
			    json_array_append_new(d->ranges, o) < 0)
				return sp_err_set(
				    d->ctx, SP_ENOMEM, "out of memory");
			d->kept++;
		}
		a = e;
	}
	return 0;
}

static int
diff_at(differ *d, uint64_t a, uint64_t b)
{
	int error;

	if (d->in_run && a <= d->run_end + MERGE_GAP) {
		if (b > d->run_end)
			d->run_end = b;
		return 0;
	}
	if (d->in_run && (error = emit(d, d->run_start, d->run_end)) < 0)
		return error;
	d->in_run = true;
	d->run_start = a;
	d->run_end = b;
	return 0;
}

static int
diff_flush(differ *d)
{
	int error = 0;

	if (d->in_run)
		error = emit(d, d->run_start, d->run_end);
	d->in_run = false;
	return error;
}

static int
feed_raw(sp_ctx *ctx, hooks *h, int side, uint64_t off, uint8_t *p, size_t n)
{
	uint64_t c = h->csum_off[side];

	if (h->raw[side] != NULL && EVP_DigestUpdate(h->raw[side], p, n) != 1)
		return sp_err_set(ctx, SP_ERROR, "digest failed");
	if (c != UINT64_MAX) {
		/* The CheckSum field counts as zero. */
		uint64_t i;

		for (i = c; i < c + 4; i++)
			if (i >= off && i < off + n)
				p[i - off] = 0;
		pe_csum_update(&h->csum[side], p, n);
	}
	return 0;
}

/* Feed the file bytes a view does not cover (e.g. the certificate table). */
static int
feed_rest(sp_ctx *ctx, hooks *h, int side, const cmp_view *v, uint8_t *buf)
{
	uint64_t off;
	int error;

	for (off = v->file_len; off < v->f->size; off += CHUNK) {
		size_t n = v->f->size - off < CHUNK ? (size_t)(v->f->size - off)
		                                    : CHUNK;

		if ((error = cmp_read(ctx, v->f, off, buf, n, "data")) < 0 ||
		    (error = feed_raw(ctx, h, side, off, buf, n)) < 0)
			return error;
	}
	return 0;
}

static void
find_diffs(const uint8_t *a, const uint8_t *b, size_t n, uint64_t base,
    differ *d, int *error)
{
	size_t i = 0, blk;

	while (i < n && *error == 0) {
		blk = n - i < 64 ? n - i : 64;
		if (memcmp(a + i, b + i, blk) == 0) {
			i += blk;
			continue;
		}
		for (; blk > 0; blk--, i++)
			if (a[i] != b[i] &&
			    (*error = diff_at(d, base + i, base + i + 1)) < 0)
				return;
	}
}

static int
stream_compare(sp_ctx *ctx, differ *d, hooks *h)
{
	uint8_t *bs = NULL, *bu = NULL, *raw = NULL;
	uint64_t ss = cmp_view_size(d->vs), su = cmp_view_size(d->vu);
	uint64_t n = ss > su ? ss : su, off;
	size_t rawlen;
	int error = 0;

	if ((bs = malloc(CHUNK)) == NULL || (bu = malloc(CHUNK)) == NULL ||
	    (raw = malloc(CHUNK)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (off = 0; off < n; off += CHUNK) {
		size_t ls =
		    off < ss ? (ss - off < CHUNK ? (size_t)(ss - off) : CHUNK)
		             : 0;
		size_t lu =
		    off < su ? (su - off < CHUNK ? (size_t)(su - off) : CHUNK)
		             : 0;
		size_t common = ls < lu ? ls : lu, more = ls > lu ? ls : lu;

		if (ls > 0) {
			if ((error = cmp_view_read(
			         ctx, d->vs, off, bs, ls, raw, &rawlen)) < 0 ||
			    (error = feed_raw(ctx, h, 0, off, raw, rawlen)) < 0)
				goto out;
			if (h->view[0] != NULL &&
			    EVP_DigestUpdate(h->view[0], bs, ls) != 1)
				goto digest_fail;
		}
		if (lu > 0) {
			if ((error = cmp_view_read(
			         ctx, d->vu, off, bu, lu, raw, &rawlen)) < 0 ||
			    (error = feed_raw(ctx, h, 1, off, raw, rawlen)) < 0)
				goto out;
			if (h->view[1] != NULL &&
			    EVP_DigestUpdate(h->view[1], bu, lu) != 1)
				goto digest_fail;
			if (h->extra_u != NULL &&
			    EVP_DigestUpdate(h->extra_u, bu, lu) != 1)
				goto digest_fail;
			if (h->auth_u != NULL &&
			    (error = pe_auth_hash_update(
			         ctx, h->auth_u, off, bu, lu)) < 0)
				goto out;
		}
		if (common > 0 && memcmp(bs, bu, common) != 0)
			find_diffs(bs, bu, common, off, d, &error);
		if (error == 0 && more > common)
			error = diff_at(d, off + common, off + more);
		if (error < 0)
			goto out;
		sp_progress(ctx, "compare", 0, off + more, 0);
	}
	if ((error = diff_flush(d)) < 0 ||
	    (error = feed_rest(ctx, h, 0, d->vs, bs)) < 0 ||
	    (error = feed_rest(ctx, h, 1, d->vu, bu)) < 0)
		goto out;
	goto out;
digest_fail:
	error = sp_err_set(ctx, SP_ERROR, "digest failed");
out:
	free(bs);
	free(bu);
	free(raw);
	return error;
}

/* ---- result assembly
 * ----------------------------------------------------------
 */

typedef struct job {
	sp_ctx *ctx;
	sp_compare_result *res;
	const sp_compare_options *opts;
	cmp_file fs, fu;
	const char *fmt_s, *fmt_u;
	cmp_regions rs_s, rs_u;
	cmp_findings findings;
	json_t *sigs; /* array */
	json_t *ranges;
	differ d;
	hooks h;
	uint8_t sha_s[32], sha_u[32], sha_norm[32];
	bool have_norm;
	uint64_t norm_size;
	size_t nsig, nsig_ok;
} job;

static int
set_new(sp_ctx *ctx, json_t *o, const char *k, json_t *v)
{
	if (v == NULL || json_object_set_new(o, k, v) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	return 0;
}

static json_t *
hexj(const uint8_t *p, size_t n)
{
	char h[2 * EVP_MAX_MD_SIZE + 1];

	if (n > EVP_MAX_MD_SIZE)
		n = EVP_MAX_MD_SIZE;
	sp_hex_encode(h, p, n);
	return json_string(h);
}

static json_t *
strj(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static int set_reason(job *j, sp_verdict v, const char *fmt, ...)
    SP_PRINTF(3, 4);

static int
set_reason(job *j, sp_verdict v, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
	free(j->res->reason);
	if ((j->res->reason = strdup(buf)) == NULL)
		return sp_err_set(j->ctx, SP_ENOMEM, "out of memory");
	j->res->sum.verdict = v;
	j->res->sum.reason = j->res->reason;
	return 0;
}

static int
hooks_init(job *j)
{
	int i;

	memset(&j->h, 0, sizeof(j->h));
	j->h.csum_off[0] = j->h.csum_off[1] = UINT64_MAX;
	pe_csum_init(&j->h.csum[0]);
	pe_csum_init(&j->h.csum[1]);
	for (i = 0; i < 2; i++) {
		if ((j->h.raw[i] = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(j->h.raw[i], EVP_sha256(), NULL) != 1)
			return sp_err_set(j->ctx, SP_ENOMEM, "out of memory");
	}
	return 0;
}

static void
hooks_dispose(hooks *h)
{
	int i;

	for (i = 0; i < 2; i++) {
		EVP_MD_CTX_free(h->raw[i]);
		EVP_MD_CTX_free(h->view[i]);
	}
	EVP_MD_CTX_free(h->extra_u);
}

static int
hooks_final(job *j)
{
	unsigned n;

	if (EVP_DigestFinal_ex(j->h.raw[0], j->sha_s, &n) != 1 ||
	    EVP_DigestFinal_ex(j->h.raw[1], j->sha_u, &n) != 1)
		return sp_err_set(j->ctx, SP_ERROR, "digest failed");
	j->res->sum.have_digests = true;
	memcpy(j->res->sum.shipped_sha256, j->sha_s, 32);
	memcpy(j->res->sum.rebuilt_sha256, j->sha_u, 32);
	if (j->h.view[1] != NULL) {
		if (EVP_DigestFinal_ex(j->h.view[1], j->sha_norm, &n) != 1)
			return sp_err_set(j->ctx, SP_ERROR, "digest failed");
		j->have_norm = true;
	}
	return 0;
}

static int
start_differ(job *j, const cmp_view *vs, const cmp_view *vu)
{
	int error;

	memset(&j->d, 0, sizeof(j->d));
	j->d.ctx = j->ctx;
	j->d.vs = vs;
	j->d.vu = vu;
	j->d.rs_s = &j->rs_s;
	j->d.rs_u = &j->rs_u;
	j->d.ranges = j->ranges;
	j->d.max = j->opts->max_ranges ? j->opts->max_ranges
	                               : SP_COMPARE_DEFAULT_MAX_RANGES;
	j->d.all_explained = true;
	if ((error = cmp_regions_finish(j->ctx, &j->rs_s)) < 0 ||
	    (error = cmp_regions_finish(j->ctx, &j->rs_u)) < 0)
		return error;
	return stream_compare(j->ctx, &j->d, &j->h);
}

static bool
whole_identical(const job *j)
{
	return j->fs.size == j->fu.size && memcmp(j->sha_s, j->sha_u, 32) == 0;
}

static int
sig_json(job *j, const pe_sig *s, const char *origin)
{
	json_t *o = json_object(), *ts = NULL;
	int error;
	bool ok = s->checked && s->digest_match && s->sig_valid;

	if (o == NULL)
		return sp_err_set(j->ctx, SP_ENOMEM, "out of memory");
	if (s->timestamp_kind != NULL)
		ts = json_pack("{s:s, s:o}", "kind", s->timestamp_kind, "time",
		    strj(s->timestamp_time));
	error = set_new(j->ctx, o, "where", json_string(s->where));
	if (!error)
		error = set_new(j->ctx, o, "origin", json_string(origin));
	if (!error)
		error = set_new(j->ctx, o, "entry", json_integer(s->entry));
	if (!error)
		error = set_new(
		    j->ctx, o, "nested", json_boolean(s->nested_depth > 0));
	if (!error)
		error = set_new(
		    j->ctx, o, "digest_algorithm", json_string(s->md_name));
	if (!error)
		error = set_new(
		    j->ctx, o, "digest", hexj(s->digest, s->digest_len));
	if (!error)
		error = set_new(j->ctx, o, "rebuilt_digest",
		    s->checked ? hexj(s->computed, s->digest_len)
		               : json_null());
	if (!error)
		error = set_new(j->ctx, o, "digest_match",
		    json_boolean(s->checked && s->digest_match));
	if (!error)
		error = set_new(
		    j->ctx, o, "signature_valid", json_boolean(s->sig_valid));
	if (!error)
		error =
		    set_new(j->ctx, o, "signature_error", strj(s->sig_error));
	if (!error)
		error = set_new(j->ctx, o, "signer", strj(s->subject));
	if (!error)
		error = set_new(j->ctx, o, "issuer", strj(s->issuer));
	if (!error)
		error = set_new(j->ctx, o, "serial", strj(s->serial));
	if (!error)
		error =
		    set_new(j->ctx, o, "signing_time", strj(s->signing_time));
	if (!error)
		error = set_new(
		    j->ctx, o, "timestamp", ts != NULL ? ts : json_null());
	if (!error)
		error = set_new(
		    j->ctx, o, "page_hashes", json_boolean(s->page_hashes));
	if (!error)
		error = set_new(j->ctx, o, "ok", json_boolean(ok));
	if (!error && json_array_append_new(j->sigs, o) < 0)
		error = sp_err_set(j->ctx, SP_ENOMEM, "out of memory");
	else if (error)
		json_decref(o);
	j->nsig++;
	if (ok)
		j->nsig_ok++;
	return error;
}

/* Findings for signatures that do not hold; returns the first reason. */
static int
sig_findings(job *j, const pe_sig *sigs, size_t n, const char **first)
{
	size_t i;
	int error = 0;

	for (i = 0; i < n && error == 0; i++) {
		const pe_sig *s = &sigs[i];

		if (s->checked && !s->digest_match) {
			error = cmp_finding(j->ctx, &j->findings, CMP_FAIL,
			    "digest-mismatch",
			    "%s: its %s Authenticode digest does not match the "
			    "rebuilt file: the signature was made for another "
			    "build",
			    s->where, s->md_name);
			if (*first == NULL)
				*first = "a signature's digest does not match "
				         "the rebuilt file (signed for another "
				         "build)";
		}
		if (error == 0 && !s->sig_valid) {
			error = cmp_finding(j->ctx, &j->findings, CMP_FAIL,
			    "signature-invalid", "%s: %s", s->where,
			    s->sig_error ? s->sig_error : "invalid");
			if (*first == NULL)
				*first = "a signature does not verify";
		}
		if (error == 0 && !s->checked && *first == NULL)
			*first = "a signature uses an unsupported digest "
			         "algorithm";
	}
	return error;
}

static int
compute_sig_digests(job *j, const pe_image *u, pe_sig *sigs, size_t n)
{
	size_t i, k;
	int error;

	for (i = 0; i < n; i++) {
		pe_sig *s = &sigs[i];
		unsigned dl = 0;

		if (pe_md_fetch(j->ctx, s->md_nid) == NULL ||
		    j->h.auth_u == NULL)
			continue;
		for (k = 0; k < i; k++)
			if (sigs[k].checked && sigs[k].md_nid == s->md_nid)
				break;
		if (k < i) {
			memcpy(
			    s->computed, sigs[k].computed, sizeof(s->computed));
			dl = (unsigned)EVP_MD_get_size(
			    pe_md_fetch(j->ctx, s->md_nid));
		} else if ((error = pe_auth_hash_final(j->ctx, j->h.auth_u,
		                s->md_nid, s->computed, &dl)) < 0)
			return error;
		s->checked = true;
		s->digest_match = dl == s->digest_len &&
		                  memcmp(s->computed, s->digest, dl) == 0;
	}
	if (!pe_layout_has_gaps(u))
		return 0;
	for (i = 0; i < n; i++) {
		pe_sig *s = &sigs[i];
		uint8_t dg[EVP_MAX_MD_SIZE];
		unsigned dl = 0;

		if (!s->checked || s->digest_match)
			continue;
		if ((error = pe_auth_digest_spec(
		         j->ctx, u, &j->fu, s->md_nid, dg, &dl)) < 0)
			return error;
		if (dl == s->digest_len && memcmp(dg, s->digest, dl) == 0) {
			s->digest_match = true;
			memcpy(s->computed, dg, dl);
		}
	}
	return 0;
}

static int
pe_info_json(job *j, const char *key, const pe_image *pe, uint32_t computed)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:i, s:s, s:I, s:I, s:b}",
	    "format", pe->plus ? "pe32+" : "pe32", "machine",
	    pe_machine_name(pe->machine), "machine_code",
	    (json_int_t)pe->machine, "sections", (int)pe->nsections,
	    "timestamp_hex", "", "checksum", (json_int_t)pe->checksum,
	    "checksum_computed", (json_int_t)computed, "checksum_valid",
	    pe->checksum == computed);
	char ts[16];

	if (o == NULL)
		return sp_err_set(j->ctx, SP_ENOMEM, "out of memory");
	snprintf(ts, sizeof(ts), "0x%08x", pe->timestamp);
	json_object_set_new(o, "timestamp_hex", json_string(ts));
	if (pe->data_end < pe->file_size &&
	    set_new(j->ctx, o, "certificate_table",
	        json_pack("{s:I, s:I, s:i}", "offset", (json_int_t)pe->cert_va,
	            "size", (json_int_t)pe->cert_size, "entries",
	            (int)pe->cert_entries)) < 0) {
		json_decref(o);
		return SP_ENOMEM;
	}
	return set_new(j->ctx, j->res->doc, key, o);
}

static int
compare_pe(job *j)
{
	pe_image ps, pu;
	cmp_findings ufs = {NULL, 0};
	cmp_view vs, vu;
	pe_auth_hash ah;
	int nids[PE_MAX_SIGNATURES], error;
	size_t i;
	uint8_t zero8[8] = {0};
	const char *why = NULL;
	bool sig_s;

	memset(&ps, 0, sizeof(ps));
	memset(&pu, 0, sizeof(pu));
	memset(&ah, 0, sizeof(ah));
	if ((error = pe_parse(j->ctx, &ps, &j->fs, &j->findings, &j->rs_s)) <
	        0 ||
	    (error = pe_parse(j->ctx, &pu, &j->fu, &ufs, &j->rs_u)) < 0)
		goto out;
	j->fmt_s = ps.plus ? "pe32+" : "pe32";
	j->fmt_u = pu.plus ? "pe32+" : "pe32";
	sig_s = ps.data_end < ps.file_size;
	if (pu.data_end < pu.file_size &&
	    (error = cmp_finding(j->ctx, &j->findings, CMP_INFO,
	         "rebuilt-signed",
	         "the rebuilt file carries a certificate table (%u bytes); it "
	         "is stripped before comparing",
	         pu.cert_size)) < 0)
		goto out;
	if ((ps.magic != pu.magic || ps.machine != pu.machine ||
	        ps.nsections != pu.nsections) &&
	    (error = cmp_finding(j->ctx, &j->findings, CMP_WARN, "pe-shape",
	         "the images differ in shape: %s/%s/%u sections vs "
	         "%s/%s/%u sections",
	         j->fmt_s, pe_machine_name(ps.machine), ps.nsections, j->fmt_u,
	         pe_machine_name(pu.machine), pu.nsections)) < 0)
		goto out;
	cmp_view_init(&vs, &j->fs, sig_s ? ps.data_end : ps.file_size);
	cmp_view_init(&vu, &j->fu, sig_s ? pu.data_end : pu.file_size);
	j->h.csum_off[0] = ps.checksum_off;
	j->h.csum_off[1] = pu.checksum_off;
	if (sig_s) {
		/* Normalize: CheckSum and the certificate directory entry
		 * zeroed on both sides; rebuilt zero-padded to 8. */
		cmp_view_patch(&vs, ps.checksum_off, zero8, 4);
		cmp_view_patch(&vs, ps.certdir_off, zero8, 8);
		cmp_view_patch(&vu, pu.checksum_off, zero8, 4);
		if (pu.has_certdir)
			cmp_view_patch(&vu, pu.certdir_off, zero8, 8);
		vu.pad_to = (pu.data_end + 7) & ~(uint64_t)7;
		for (i = 0; i < ps.nsigs; i++)
			nids[i] = ps.sigs[i].md_nid;
		if ((error = pe_auth_hash_init(
		         j->ctx, &ah, &pu, nids, ps.nsigs)) < 0)
			goto out;
		j->h.auth_u = &ah;
		if ((j->h.view[1] = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(j->h.view[1], EVP_sha256(), NULL) != 1) {
			error = sp_err_set(j->ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		j->norm_size = cmp_view_size(&vu);
	}
	if ((error = start_differ(j, &vs, &vu)) < 0 ||
	    (error = hooks_final(j)) < 0)
		goto out;
	if (sig_s &&
	    (error = compute_sig_digests(j, &pu, ps.sigs, ps.nsigs)) < 0)
		goto out;
	for (i = 0; i < ps.nsigs; i++)
		if ((error = sig_json(j, &ps.sigs[i], "embedded")) < 0)
			goto out;
	if ((error = sig_findings(j, ps.sigs, ps.nsigs, &why)) < 0 ||
	    (error = pe_info_json(
	         j, "pe_shipped", &ps, pe_csum_final(&j->h.csum[0]))) < 0 ||
	    (error = pe_info_json(
	         j, "pe_rebuilt", &pu, pe_csum_final(&j->h.csum[1]))) < 0)
		goto out;
	if (whole_identical(j)) {
		error = set_reason(j, SP_VERDICT_IDENTICAL,
		    "the files are byte-identical%s",
		    ps.nsigs ? " (signature included)" : "");
	} else if (!sig_s) {
		j->res->sum.method = "bytes";
		error = set_reason(j, SP_VERDICT_DIFFERENT,
		    "the shipped file is unsigned and differs from the rebuilt "
		    "file in %llu range(s)",
		    (unsigned long long)j->d.total);
	} else if (j->d.total > 0) {
		error = set_reason(j, SP_VERDICT_DIFFERENT,
		    "the normalized images differ in %llu range(s), %llu "
		    "byte(s)",
		    (unsigned long long)j->d.total,
		    (unsigned long long)j->d.bytes);
	} else if (ps.nsigs == 0) {
		error = set_reason(j, SP_VERDICT_DIFFERENT,
		    "the normalized images are identical but the certificate "
		    "table holds no Authenticode signature");
	} else if (why != NULL || j->findings.nfail > 0) {
		error = set_reason(j, SP_VERDICT_DIFFERENT,
		    "the normalized images are identical but %s",
		    why ? why
		        : "the certificate table holds data no signature "
		          "covers");
	} else {
		error = set_reason(j, SP_VERDICT_IDENTICAL_MODULO_SIGNATURE,
		    "the normalized images are identical and all %zu "
		    "signature digest(s) match the rebuilt file",
		    ps.nsigs);
	}
out:
	json_decref(ufs.list);
	pe_auth_hash_dispose(&ah);
	j->h.auth_u = NULL;
	pe_dispose(&ps);
	pe_dispose(&pu);
	return error;
}

static int
compare_pe_detached(job *j)
{
	pe_image ps, pu;
	cmp_findings ufs = {NULL, 0};
	cmp_view vs, vu;
	sp_buf der = SP_BUF_INIT;
	uint8_t *tail = NULL;
	pe_sig *dsigs = NULL;
	size_t ndsigs = 0, i;
	const char *why = NULL;
	int error;

	memset(&ps, 0, sizeof(ps));
	memset(&pu, 0, sizeof(pu));
	j->res->sum.method = "pe-detached-signature";
	if ((error = pe_parse(j->ctx, &ps, &j->fs, &ufs, &j->rs_s)) < 0 ||
	    (error = pe_parse(j->ctx, &pu, &j->fu, &ufs, &j->rs_u)) < 0 ||
	    (error = pe_load_pkcs7(j->ctx, &der, j->opts->signature_path)) < 0)
		goto out;
	j->fmt_s = ps.plus ? "pe32+" : "pe32";
	j->fmt_u = pu.plus ? "pe32+" : "pe32";
	if ((error = pe_attach_prepare(j->ctx, &vu, &tail, &dsigs, &ndsigs, &pu,
	         &j->fu, (const uint8_t *)der.ptr, der.size, &j->findings)) < 0)
		goto out;
	cmp_view_init(&vs, &j->fs, j->fs.size);
	j->h.csum_off[0] = ps.checksum_off;
	j->h.csum_off[1] = pu.checksum_off;
	if ((error = start_differ(j, &vs, &vu)) < 0 ||
	    (error = hooks_final(j)) < 0)
		goto out;
	for (i = 0; i < ndsigs; i++)
		if ((error = sig_json(j, &dsigs[i], "detached")) < 0)
			goto out;
	if ((error = sig_findings(j, dsigs, ndsigs, &why)) < 0 ||
	    (error = pe_info_json(
	         j, "pe_shipped", &ps, pe_csum_final(&j->h.csum[0]))) < 0 ||
	    (error = pe_info_json(
	         j, "pe_rebuilt", &pu, pe_csum_final(&j->h.csum[1]))) < 0)
		goto out;
	if (j->d.total > 0) {
		error = set_reason(j, SP_VERDICT_DIFFERENT,
		    "the shipped file differs from the rebuilt file with the "
		    "detached signature attached in %llu range(s)",
		    (unsigned long long)j->d.total);
	} else if (why != NULL || j->findings.nfail > 0) {
		error = set_reason(j, SP_VERDICT_DIFFERENT,
		    "the shipped file equals the rebuilt file with the "
		    "signature attached, but %s",
		    why ? why : "the signature carries unaccounted data");
	} else {
		error = set_reason(j, SP_VERDICT_IDENTICAL_MODULO_SIGNATURE,
		    "the shipped file is byte-identical to the rebuilt file "
		    "with the detached signature attached; %zu signature "
		    "digest(s) match",
		    ndsigs);
	}
out:
	for (i = 0; i < ndsigs; i++)
		pe_sig_dispose(&dsigs[i]);
	free(dsigs);
	free(tail);
	sp_buf_dispose(&der);
	json_decref(ufs.list);
	pe_dispose(&ps);
	pe_dispose(&pu);
	return error;
}

/* A certificate file, PEM or DER. */
static int
load_cert(sp_ctx *ctx, X509 **out, const char *path)
{
	sp_buf raw = SP_BUF_INIT;
	const unsigned char *p;
	BIO *bio = NULL;
	int error;

	*out = NULL;
	if ((error = sp_read_file(ctx, &raw, path, 1 << 20, SP_OPEN_NOFOLLOW)) <
	    0)
		return error;
	if (raw.size > 11 && memcmp(raw.ptr, "-----BEGIN ", 11) == 0) {
		if ((bio = BIO_new_mem_buf(raw.ptr, (int)raw.size)) != NULL)
			*out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	} else {
		p = (const unsigned char *)raw.ptr;
		*out = d2i_X509(NULL, &p, (long)raw.size);
	}
	BIO_free(bio);
	sp_buf_dispose(&raw);
	ERR_clear_error();
	if (*out == NULL)
		return sp_err_set(
		    ctx, SP_EPARSE, "'%s' is not a certificate", path);
	return 0;
}

static int
compare_elf(job *j)
{
	elf_info es, eu;
	kmod_sig ks, ku;
	cmp_view vs, vu;
	kmod_cms km;
	X509 *cert = NULL;
	const char *why = NULL;
	char *subject = NULL;
	bool sig_ok = false;
	int error;
	char hs[2 * 64 + 1], hu[2 * 64 + 1];
	json_t *eo, *mo;

	memset(&es, 0, sizeof(es));
	memset(&eu, 0, sizeof(eu));
	memset(&km, 0, sizeof(km));
	j->res->sum.method = "elf";
	if ((error = kmod_parse(j->ctx, &ks, &j->fs)) < 0 ||
	    (error = kmod_parse(j->ctx, &ku, &j->fu)) < 0)
		goto out;
	if ((error = elf_parse(j->ctx, &es, &j->fs,
	         ks.present ? ks.module_len : j->fs.size, &j->rs_s)) < 0 ||
	    (error = elf_parse(j->ctx, &eu, &j->fu,
	         ku.present ? ku.module_len : j->fu.size, &j->rs_u)) < 0)
		goto out;
	j->fmt_s = es.is64 ? "elf64" : "elf32";
	j->fmt_u = eu.is64 ? "elf64" : "elf32";
	cmp_view_init(&vs, &j->fs, ks.present ? ks.module_len : j->fs.size);
	cmp_view_init(&vu, &j->fu, ku.present ? ku.module_len : j->fu.size);
	if (ks.present) {
		j->res->sum.method = "elf-module-signature";
		if ((error = cmp_region_add(j->ctx, &j->rs_s, ks.sig_off,
		         j->fs.size - ks.sig_off, CMP_RK_SIGNATURE,
		         "module signature")) < 0 ||
		    (error = kmod_cms_load(
		         j->ctx, &km, &j->fs, &ks, &j->findings)) < 0)
			goto out;
		if (j->opts->signer_cert_path != NULL &&
		    (error = load_cert(
		         j->ctx, &cert, j->opts->signer_cert_path)) < 0)
			goto out;
		if ((j->h.extra_u = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(j->h.extra_u, km.md, NULL) != 1 ||
		    (j->h.view[1] = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(j->h.view[1], EVP_sha256(), NULL) != 1) {
			error = sp_err_set(j->ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		j->norm_size = cmp_view_size(&vu);
	}
	if (ku.present &&
	    (error = cmp_finding(j->ctx, &j->findings, CMP_INFO,
	         "rebuilt-signed",
	         "the rebuilt module carries a signature (%u bytes); it is "
	         "stripped before comparing",
	         ku.sig_len)) < 0)
		goto out;
	if ((error = start_differ(j, &vs, &vu)) < 0 ||
	    (error = hooks_final(j)) < 0)
		goto out;
	if (ks.present) {
		uint8_t dg[EVP_MAX_MD_SIZE];
		unsigned dl = 0;

		if (EVP_DigestFinal_ex(j->h.extra_u, dg, &dl) != 1) {
			error = sp_err_set(j->ctx, SP_ERROR, "digest failed");
			goto out;
		}
		error =
		    kmod_cms_verify(j->ctx, &km, cert, dg, dl, &why, &subject);
		if (error < 0 && error != SP_EVERIFY)
			goto out;
		error = 0;
		sig_ok = why == NULL;
		if (!sig_ok &&
		    (error = cmp_finding(j->ctx, &j->findings, CMP_FAIL,
		         "module-signature",
		         "the module signature does not verify over the "
		         "rebuilt module: %s%s%s%s",
		         why,
		         km.by_key_id ? " (signer: subjectKeyIdentifier " : "",
		         km.by_key_id ? km.key_id : "",
		         km.by_key_id ? ")" : "")) < 0)
			goto out;
		mo = json_pack("{s:I, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:b, "
		               "s:b, s:o}",
		    "offset", (json_int_t)ks.sig_off, "length",
		    (json_int_t)ks.sig_len, "digest_algorithm",
		    OBJ_nid2ln(EVP_MD_get_type(km.md)), "signer_id",
		    km.by_key_id ? "subject_key_identifier"
		                 : "issuer_and_serial",
		    "key_id", strj(km.key_id), "issuer", strj(km.issuer),
		    "serial", strj(km.serial), "signer", strj(subject),
		    "signed_attributes", km.signed_attrs, "valid_over_rebuilt",
		    sig_ok, "error", strj(why));
		if ((error = set_new(
		         j->ctx, j->res->doc, "module_signature", mo)) < 0)
			goto out;
		j->nsig = 1;
		j->nsig_ok = sig_ok ? 1 : 0;
	}
	sp_hex_encode(hs, es.build_id, es.build_id_len);
	sp_hex_encode(hu, eu.build_id, eu.build_id_len);
	eo = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "shipped_class",
	    j->fmt_s, "rebuilt_class", j->fmt_u, "shipped_build_id",
	    es.has_build_id ? json_string(hs) : json_null(), "rebuilt_build_id",
	    eu.has_build_id ? json_string(hu) : json_null(),
	    "shipped_debuglink_crc",
	    es.has_debuglink ? json_integer(es.debuglink_crc) : json_null(),
	    "rebuilt_debuglink_crc",
	    eu.has_debuglink ? json_integer(eu.debuglink_crc) : json_null());
	if ((error = set_new(j->ctx, j->res->doc, "elf", eo)) < 0)
		goto out;
	if (whole_identical(j)) {
		error = set_reason(
		    j, SP_VERDICT_IDENTICAL, "the files are byte-identical");
	} else if (j->d.total == 0 && ks.present) {
		if (sig_ok && j->findings.nfail == 0)
			error = set_reason(j,
			    SP_VERDICT_IDENTICAL_MODULO_SIGNATURE,
			    "the modules are identical once the signature "
			    "trailer is removed, and the signature verifies "
			    "over the rebuilt module");
		else
			error = set_reason(j, SP_VERDICT_DIFFERENT,
			    "the modules are identical without the signature "
			    "trailer, but %s",
			    why ? "the signature does not verify over the "
			          "rebuilt module"
			        : "the trailer carries unaccounted data");
	} else if (j->d.total == 0) {
		error = set_reason(j, SP_VERDICT_DIFFERENT,
		    "the rebuilt module carries a signature the shipped one "
		    "lacks");
	} else if (j->d.all_explained) {
		error = set_reason(j, SP_VERDICT_EXPLAINED_DIFFERENCE,
		    "only derived fields differ (build-id, .gnu_debuglink "
		    "CRC): the build is not reproduced; the debug "
		    "information differs (build path? use "
		    "-ffile-prefix-map)");
	} else {
		error = set_reason(j, SP_VERDICT_DIFFERENT,
		    "the files differ in %llu range(s), %llu byte(s)",
		    (unsigned long long)j->d.total,
		    (unsigned long long)j->d.bytes);
	}
out:
	X509_free(cert);
	free(subject);
	kmod_cms_dispose(&km);
	elf_dispose(&es);
	elf_dispose(&eu);
	return error;
}

static int
parse_for_labels(job *j, const cmp_file *f, cmp_regions *rs, const char **fmt)
{
	cmp_findings tmp = {NULL, 0};
	int error = 0;

	if (pe_detect(f)) {
		pe_image pe;

		error = pe_parse(j->ctx, &pe, f, &tmp, rs);
		if (error == 0)
			*fmt = pe.plus ? "pe32+" : "pe32";
		pe_dispose(&pe);
	} else if (elf_detect(f)) {
		elf_info e;

		error = elf_parse(j->ctx, &e, f, f->size, rs);
		if (error == 0)
			*fmt = e.is64 ? "elf64" : "elf32";
		elf_dispose(&e);
	}
	json_decref(tmp.list);
	return error;
}

static int
compare_bytes(job *j)
{
	cmp_view vs, vu;
	int error;

	j->res->sum.method = "bytes";
	if ((error = parse_for_labels(j, &j->fs, &j->rs_s, &j->fmt_s)) < 0 ||
	    (error = parse_for_labels(j, &j->fu, &j->rs_u, &j->fmt_u)) < 0)
		return error;
	cmp_view_init(&vs, &j->fs, j->fs.size);
	cmp_view_init(&vu, &j->fu, j->fu.size);
	if ((error = start_differ(j, &vs, &vu)) < 0 ||
	    (error = hooks_final(j)) < 0)
		return error;
	if (whole_identical(j))
		return set_reason(
		    j, SP_VERDICT_IDENTICAL, "the files are byte-identical");
	if (strcmp(j->fmt_s, j->fmt_u) != 0)
		return set_reason(j, SP_VERDICT_DIFFERENT,
		    "the files differ: the shipped file is %s, the rebuilt "
		    "file is %s",
		    j->fmt_s, j->fmt_u);
	return set_reason(j, SP_VERDICT_DIFFERENT,
	    "the files differ in %llu range(s), %llu byte(s)",
	    (unsigned long long)j->d.total, (unsigned long long)j->d.bytes);
}

/* ---- compressed modules
 * ------------------------------------------------------
 */

static int
sha256_file(sp_ctx *ctx, const cmp_file *f, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(CHUNK);
	uint64_t off;
	unsigned n;
	int error = 0;

	if (md == NULL || buf == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	for (off = 0; off < f->size; off += CHUNK) {
		size_t len =
		    f->size - off < CHUNK ? (size_t)(f->size - off) : CHUNK;

		if ((error = cmp_read(ctx, f, off, buf, len, "data")) < 0)
			goto out;
		if (EVP_DigestUpdate(md, buf, len) != 1) {
			error = sp_err_set(ctx, SP_ERROR, "digest failed");
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(md, out, &n) != 1)
		error = sp_err_set(ctx, SP_ERROR, "digest failed");
out:
	free(buf);
	EVP_MD_CTX_free(md);
	return error;
}

/*
 * After a comparison failed: the SHA-256 of both files as given, when both
 * could be opened and read (a parse error, say). Only running out of
 * memory is an error; a file that cannot be read leaves have_digests false.
 */
static int
raw_digests(job *j)
{
	bool open_s = j->fs.fd >= 0 || j->fs.mem != NULL;
	bool open_u = j->fu.fd >= 0 || j->fu.mem != NULL;
	uint8_t hs[32], hu[32];
	int error;

	if (!open_s || !open_u)
		return 0;
	if ((error = sha256_file(j->ctx, &j->fs, hs)) < 0 ||
	    (error = sha256_file(j->ctx, &j->fu, hu)) < 0)
		return error == SP_ENOMEM ? error : 0;
	memcpy(j->sha_s, hs, 32);
	memcpy(j->sha_u, hu, 32);
	memcpy(j->res->sum.shipped_sha256, hs, 32);
	memcpy(j->res->sum.rebuilt_sha256, hu, 32);
	j->res->sum.have_digests = true;
	return 0;
}

/* Is @p f (compressed with @p c, or not) an ELF file once decompressed? */
static int
peek_elf(job *j, const cmp_file *f, cmp_compression c, bool *is_elf)
{
	if (c == CMP_COMP_NONE) {
		*is_elf = elf_detect(f);
		return 0;
	}
	return cmp_decompress_peek(j->ctx, f, c, is_elf);
}

static char *
decompressed_name(const char *path)
{
	size_t n = strlen(path) + sizeof(" (decompressed)");
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s (decompressed)", path);
	return s;
}

static json_t *
decompressed_json(const cmp_file *f, cmp_compression c, const uint8_t *sha)
{
	if (c == CMP_COMP_NONE)
		return json_null();
	return json_pack("{s:I, s:o}", "size", (json_int_t)f->size, "sha256",
	    sha != NULL ? hexj(sha, 32) : json_null());
}

/* The finding that @p side (shipped or rebuilt) was compared decompressed. */
static int
note_compressed(job *j, const char *side, cmp_compression c,
    const cmp_file *given, const cmp_file *decompressed)
{
	if (c == CMP_COMP_NONE)
		return 0;
	return cmp_finding(j->ctx, &j->findings, CMP_INFO, "compressed",
	    "the %s file is %s-compressed (%llu bytes, %llu decompressed): "
	    "compared on its decompressed contents",
	    side, cmp_compression_name(c), (unsigned long long)given->size,
	    (unsigned long long)decompressed->size);
}

/*
 * Compressed ELF files (kernel modules as distributions ship them: signed,
 * then compressed): compare the decompressed contents as ELF files, and
 * the files as given too. *handled is false when this does not apply
 * (nothing compressed, or a side that is not ELF once decompressed): the
 * files are then compared as given.
 */
static int
compare_compressed(job *j, bool *handled)
{
	cmp_compression cs = cmp_compression_detect(&j->fs);
	cmp_compression cu = cmp_compression_detect(&j->fu);
	uint64_t max = j->opts->max_decompressed
	                   ? j->opts->max_decompressed
	                   : SP_COMPARE_DEFAULT_MAX_DECOMPRESSED;
	cmp_findings cf = {NULL, 0};
	cmp_file ds, du, os, ou;
	char *ns = NULL, *nu = NULL, how[128], *inner = NULL;
	uint8_t hs[32], hu[32], dhs[32], dhu[32];
	bool elf_s = false, elf_u = false, same, have_dh;
	sp_verdict v;
	size_t i;
	int error = 0;

	*handled = false;
	memset(&ds, 0, sizeof(ds));
	memset(&du, 0, sizeof(du));
	ds.fd = du.fd = -1;
	if (cs == CMP_COMP_NONE && cu == CMP_COMP_NONE)
		return 0;
	if ((error = peek_elf(j, &j->fs, cs, &elf_s)) < 0 ||
	    (error = peek_elf(j, &j->fu, cu, &elf_u)) < 0)
		return error;
	if (!elf_s || !elf_u)
		return 0;
	*handled = true;
	j->res->sum.method = "elf";
	j->res->sum.shipped_compression =
	    cs != CMP_COMP_NONE ? cmp_compression_name(cs) : NULL;
	j->res->sum.rebuilt_compression =
	    cu != CMP_COMP_NONE ? cmp_compression_name(cu) : NULL;
	if ((ns = decompressed_name(j->fs.name)) == NULL ||
	    (nu = decompressed_name(j->fu.name)) == NULL) {
		error = sp_err_set(j->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((cs != CMP_COMP_NONE && (error = cmp_decompress(j->ctx, &ds, &j->fs,
	                                 cs, max, ns, &cf)) < 0) ||
	    (cu != CMP_COMP_NONE && (error = cmp_decompress(j->ctx, &du, &j->fu,
	                                 cu, max, nu, &cf)) < 0) ||
	    (error = sha256_file(j->ctx, &j->fs, hs)) < 0 ||
	    (error = sha256_file(j->ctx, &j->fu, hu)) < 0)
		goto out;
	same = cs != CMP_COMP_NONE && cs == cu && j->fs.size == j->fu.size &&
	       memcmp(hs, hu, 32) == 0;
	snprintf(how, sizeof(how), "shipped %s, rebuilt %s; the %s differ",
	    cs != CMP_COMP_NONE ? cmp_compression_name(cs) : "uncompressed",
	    cu != CMP_COMP_NONE ? cmp_compression_name(cu) : "uncompressed",
	    cs != CMP_COMP_NONE && cs == cu ? "compressed files"
	                                    : "files as given");

	/* The comparison proper, on the decompressed contents. */
	os = j->fs;
	ou = j->fu;
	if (cs != CMP_COMP_NONE)
		j->fs = ds;
	if (cu != CMP_COMP_NONE)
		j->fu = du;
	error = compare_elf(j);
	have_dh = j->res->sum.have_digests;
	memcpy(dhs, j->sha_s, 32);
	memcpy(dhu, j->sha_u, 32);
	j->fs = os;
	j->fu = ou;
	if (error < 0)
		goto out;

	/* Digests and sizes are those of the files as given. */
	memcpy(j->sha_s, hs, 32);
	memcpy(j->sha_u, hu, 32);
	memcpy(j->res->sum.shipped_sha256, hs, 32);
	memcpy(j->res->sum.rebuilt_sha256, hu, 32);
	if ((error = set_new(j->ctx, j->res->doc, "compression",
	         json_pack("{s:o, s:o, s:b, s:o, s:o, s:I}", "shipped",
	             strj(j->res->sum.shipped_compression), "rebuilt",
	             strj(j->res->sum.rebuilt_compression),
	             "compressed_identical", same, "shipped_decompressed",
	             decompressed_json(&ds, cs, have_dh ? dhs : NULL),
	             "rebuilt_decompressed",
	             decompressed_json(&du, cu, have_dh ? dhu : NULL),
	             "max_decompressed", (json_int_t)max))) < 0)
		goto out;
	if ((error = note_compressed(j, "shipped", cs, &j->fs, &ds)) < 0 ||
	    (error = note_compressed(j, "rebuilt", cu, &j->fu, &du)) < 0)
		goto out;
	for (i = 0; i < json_array_size(cf.list); i++) {
		if (j->findings.list == NULL &&
		    (j->findings.list = json_array()) == NULL) {
			error = sp_err_set(j->ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if (json_array_append(
		        j->findings.list, json_array_get(cf.list, i)) < 0) {
			error = sp_err_set(j->ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
	}
	j->findings.nfail += cf.nfail;

	/* The verdict (docs/spec/compare.md, 4.4). */
	v = j->res->sum.verdict;
	if ((inner = strdup(j->res->reason ? j->res->reason : "")) == NULL) {
		error = sp_err_set(j->ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (same) {
		error = set_reason(j, SP_VERDICT_IDENTICAL,
		    "the compressed files are byte-identical (%s)",
		    cmp_compression_name(cs));
	} else if (cf.nfail > 0 &&
	           (v == SP_VERDICT_IDENTICAL || sp_verdict_is_match(v))) {
		error = set_reason(j, SP_VERDICT_DIFFERENT,
		    "the decompressed contents match (%s), but a compressed "
		    "file is not exactly one compressed stream (loaders "
		    "disagree on what follows the first one)",
		    how);
	} else if (v == SP_VERDICT_IDENTICAL) {
		if (j->nsig == 1 && j->nsig_ok == 1 && j->findings.nfail == 0)
			error = set_reason(j,
			    SP_VERDICT_IDENTICAL_MODULO_SIGNATURE,
			    "the decompressed modules are byte-identical (%s) "
			    "and the module signature verifies over the "
			    "rebuilt module",
			    how);
		else
			error = set_reason(j, SP_VERDICT_EXPLAINED_DIFFERENCE,
			    "the decompressed contents are byte-identical "
			    "(%s), "
			    "but the compressed files differ and no verified "
			    "module signature covers the module: the shipped "
			    "file is not reproduced (compress with the same "
			    "tool and settings)",
			    how);
	} else {
		error = set_reason(
		    j, v, "compared decompressed (%s): %s", how, inner);
	}
out:
	free(inner);
	cmp_file_close(&ds);
	cmp_file_close(&du);
	free(ns);
	free(nu);
	json_decref(cf.list);
	return error;
}

/* ---- entry points
 * --------------------------------------------------------------
 */

static int
file_json(job *j, const char *key, const char *path, const cmp_file *f,
    const char *fmt, const uint8_t *sha)
{
	char *clean = cmp_clean(path, strlen(path), 4096);
	json_t *o;

	o = json_pack("{s:s, s:s, s:I, s:o}", "path", clean ? clean : "?",
	    "format", fmt, "size", (json_int_t)f->size, "sha256",
	    sha != NULL ? hexj(sha, 32) : json_null());
	free(clean);
	return set_new(j->ctx, j->res->doc, key, o);
}

static int
finish_doc(job *j, const char *shipped, const char *rebuilt)
{
	sp_compare_result *res = j->res;
	sp_compare_summary *s = &res->sum;
	json_t *doc = res->doc;
	int error = 0;

	s->shipped_format = j->fmt_s;
	s->rebuilt_format = j->fmt_u;
	s->shipped_size = j->fs.size;
	s->rebuilt_size = j->fu.size;
	s->have_normalized = j->have_norm;
	if (j->have_norm)
		memcpy(s->normalized_sha256, j->sha_norm, 32);
	s->normalized_size = j->norm_size;
	s->nsignatures = j->nsig;
	s->nsignatures_match = j->nsig_ok;
	s->nranges = j->d.kept;
	s->ranges_total = j->d.total;
	s->bytes_differing = j->d.bytes;
	s->nfindings = j->findings.list ? json_array_size(j->findings.list) : 0;
	if (s->method == NULL)
		s->method = "bytes";
	if ((error = set_new(j->ctx, doc, "verdict",
	         json_string(sp_verdict_name(s->verdict)))) < 0 ||
	    (error = set_new(j->ctx, doc, "match",
	         json_boolean(sp_verdict_is_match(s->verdict)))) < 0 ||
	    (error = set_new(j->ctx, doc, "reason", strj(s->reason))) < 0 ||
	    (error = set_new(j->ctx, doc, "method", json_string(s->method))) <
	        0 ||
	    (error = file_json(j, "shipped", shipped, &j->fs, j->fmt_s,
	         s->have_digests ? j->sha_s : NULL)) < 0 ||
	    (error = file_json(j, "rebuilt", rebuilt, &j->fu, j->fmt_u,
	         s->have_digests ? j->sha_u : NULL)) < 0)
		return error;
	if (j->have_norm &&
	    (error = set_new(j->ctx, doc, "normalized",
	         json_pack("{s:o, s:I}", "sha256", hexj(j->sha_norm, 32),
	             "size", (json_int_t)j->norm_size))) < 0)
		return error;
	if ((error = set_new(j->ctx, doc, "signatures", json_incref(j->sigs))) <
	        0 ||
	    (error = set_new(j->ctx, doc, "ranges", json_incref(j->ranges))) <
	        0 ||
	    (error = set_new(j->ctx, doc, "ranges_total",
	         json_integer((json_int_t)j->d.total))) < 0 ||
	    (error = set_new(j->ctx, doc, "ranges_omitted",
	         json_integer((json_int_t)(j->d.total - j->d.kept)))) < 0 ||
	    (error = set_new(j->ctx, doc, "bytes_differing",
	         json_integer((json_int_t)j->d.bytes))) < 0 ||
	    (error = set_new(j->ctx, doc, "findings",
	         j->findings.list ? json_incref(j->findings.list)
	                          : json_array())) < 0)
		return error;
	if (s->verdict == SP_VERDICT_ERROR &&
	    (error = set_new(j->ctx, doc, "error",
	         json_pack("{s:s, s:s, s:s}", "code",
	             sp_error_name(s->error_code), "message",
	             res->error ? res->error : "", "hint",
	             res->hint ? res->hint : ""))) < 0)
		return error;
	return 0;
}

int
sp_compare_files(sp_ctx *ctx, sp_compare_result **out, const char *shipped,
    const char *rebuilt, const sp_compare_options *opts)
{
	static const sp_compare_options defaults = SP_COMPARE_OPTIONS_INIT;
	sp_compare_result *res = NULL;
	job j;
	int error = 0, cmp_error = 0;
	bool pe_s, pe_u, elf_s, elf_u, handled = false;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != SP_COMPARE_OPTIONS_VERSION)
		return sp_err_set(ctx, SP_EINVALID,
		    "unsupported sp_compare_options version %u", opts->version);
	if (opts->diffoscope && opts->report_dir == NULL)
		return sp_err_set(
		    ctx, SP_EINVALID, "diffoscope needs a report directory");
	memset(&j, 0, sizeof(j));
	j.fs.fd = j.fu.fd = -1;
	j.fmt_s = j.fmt_u = "data";
	if ((res = calloc(1, sizeof(*res))) == NULL ||
	    (res->doc = json_object()) == NULL ||
	    (j.sigs = json_array()) == NULL ||
	    (j.ranges = json_array()) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	j.ctx = ctx;
	j.res = res;
	j.opts = opts;
	j.d.max = opts->max_ranges;
	res->sum.verdict = SP_VERDICT_ERROR;
	if ((cmp_error = hooks_init(&j)) < 0)
		goto done;
	if ((cmp_error = cmp_file_open(ctx, &j.fs, shipped)) < 0 ||
	    (cmp_error = cmp_file_open(ctx, &j.fu, rebuilt)) < 0)
		goto done;
	pe_s = pe_detect(&j.fs);
	pe_u = pe_detect(&j.fu);
	elf_s = elf_detect(&j.fs);
	elf_u = elf_detect(&j.fu);
	if (opts->signature_path != NULL) {
		res->sum.method = "pe-detached-signature";
		if (!pe_s || !pe_u) {
			cmp_error = sp_err_set(ctx, SP_EUNSUPPORTED,
			    "a detached signature needs two PE images");
			goto done;
		}
		cmp_error = compare_pe_detached(&j);
	} else if ((cmp_error = compare_compressed(&j, &handled)) < 0 ||
	           handled) {
		/* compared decompressed, or could not be */
	} else if (pe_s && pe_u) {
		res->sum.method = "pe-authenticode";
		cmp_error = compare_pe(&j);
	} else if (elf_s && elf_u) {
		cmp_error = compare_elf(&j);
	} else {
		cmp_error = compare_bytes(&j);
	}
done:
	if (cmp_error == SP_ENOMEM) {
		error = cmp_error;
		goto out;
	}
	if (cmp_error < 0) {
		res->sum.verdict = SP_VERDICT_ERROR;
		res->sum.error_code = cmp_error;
		free(res->error);
		res->error = strdup(sp_ctx_errmsg(ctx));
		res->sum.error = res->error;
		free(res->hint);
		res->hint = strdup(sp_ctx_errhint(ctx));
		free(res->reason);
		res->reason = strdup("the comparison could not be completed");
		res->sum.reason = res->reason;
		/* Partial results would mislead: drop them. */
		json_array_clear(j.ranges);
		json_array_clear(j.sigs);
		j.d.kept = 0;
		j.d.total = 0;
		j.d.bytes = 0;
		j.nsig = j.nsig_ok = 0;
		j.have_norm = false;
		res->sum.have_digests = false;
		/* Files that could be read keep their digests: an ERROR
		 * verdict is attested too (docs/spec/verdict.md). */
		if ((error = raw_digests(&j)) < 0)
			goto out;
		json_object_del(res->doc, "pe_shipped");
		json_object_del(res->doc, "pe_rebuilt");
		json_object_del(res->doc, "elf");
		json_object_del(res->doc, "module_signature");
		json_object_del(res->doc, "compression");
	}
	if (opts->diffoscope && res->sum.verdict != SP_VERDICT_ERROR &&
	    !sp_verdict_is_match(res->sum.verdict)) {
		json_t *dj = NULL;
		char saved[SP_ERRMSG_MAX];
		int saved_code = sp_ctx_errcode(ctx);

		snprintf(saved, sizeof(saved), "%s", sp_ctx_errmsg(ctx));
		if ((error = cmp_run_diffoscope(
		         ctx, &dj, shipped, rebuilt, opts)) < 0)
			goto out;
		if ((error = set_new(ctx, res->doc, "diffoscope", dj)) < 0)
			goto out;
		if (saved_code != 0)
			sp_err_set(ctx, saved_code, "%s", saved);
	}
	if ((error = finish_doc(&j, shipped, rebuilt)) < 0)
		goto out;
	if (cmp_error < 0) {
		sp_err_set(ctx, cmp_error, "%s", res->error ? res->error : "");
		if (res->hint != NULL && res->hint[0] != '\0')
			sp_err_hint(ctx, "%s", res->hint);
	}
	*out = res;
	res = NULL;
out:
	hooks_dispose(&j.h);
	cmp_regions_dispose(&j.rs_s);
	cmp_regions_dispose(&j.rs_u);
	json_decref(j.findings.list);
	json_decref(j.sigs);
	json_decref(j.ranges);
	cmp_file_close(&j.fs);
	cmp_file_close(&j.fu);
	sp_compare_result_free(res);
	return error;
}

void
sp_compare_result_free(sp_compare_result *res)
{
	if (res == NULL)
		return;
	free(res->reason);
	free(res->error);
	free(res->hint);
	json_decref(res->doc);
	free(res);
}

const sp_compare_summary *
sp_compare_result_summary(const sp_compare_result *res)
{
	return &res->sum;
}

int
sp_compare_result_json(
    sp_ctx *ctx, struct json_t **out, const sp_compare_result *res)
{
	*out = json_deep_copy(res->doc);
	if (*out == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	return 0;
}

/* For the report writers: the document, borrowed. */
const json_t *cmp_result_doc(const sp_compare_result *res);

const json_t *
cmp_result_doc(const sp_compare_result *res)
{
	return res->doc;
}
