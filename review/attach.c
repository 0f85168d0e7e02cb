/*
 * Re-attach a detached Authenticode signature to an unsigned PE image,
 * byte for byte as `osslsigncode attach-signature` writes it:
 *
 *   image, zero-padded to a multiple of 8           (offset VA)
 *   WIN_CERTIFICATE { dwLength = 8 + DER + pad, wRevision 0x0200,
 *                     wCertificateType 2 }, DER PKCS#7, pad zeros to 8
 *   Certificate Table directory entry = { VA, dwLength }
 *   CheckSum recomputed over the result
 *
 * The same logical view serves `srcproof compare --signature`.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <stdlib.h>
#include <string.h>

#include "compare_int.h"
#include "util_int.h"

#include "banned.h"

#define ATTACH_MAX_SIG ((size_t)16 << 20)
#define ATTACH_CHUNK ((size_t)1 << 20)

int pe_load_pkcs7(sp_ctx *ctx, sp_buf *der, const char *path);
int pe_attach_prepare(sp_ctx *ctx, cmp_view *view, uint8_t **tail,
    pe_sig **sigs, size_t *nsigs, const pe_image *u, const cmp_file *fu,
    const uint8_t *der, size_t derlen, cmp_findings *fs);

/* Read a PKCS#7 file, DER or PEM, into DER bytes. */
int
pe_load_pkcs7(sp_ctx *ctx, sp_buf *der, const char *path)
{
	sp_buf raw = SP_BUF_INIT;
	BIO *bio = NULL;
	PKCS7 *p7 = NULL;
	unsigned char *out = NULL;
	int len, error;

	if ((error = sp_read_file(
	         ctx, &raw, path, ATTACH_MAX_SIG, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if (raw.size >= 11 && memcmp(raw.ptr, "-----BEGIN ", 11) == 0) {
		if ((bio = BIO_new_mem_buf(raw.ptr, (int)raw.size)) == NULL ||
		    (p7 = PEM_read_bio_PKCS7(bio, NULL, NULL, NULL)) == NULL ||
		    (len = i2d_PKCS7(p7, &out)) <= 0) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': not a PEM PKCS#7 signature", path);
			goto out;
		}
		sp_buf_clear(der);
		if ((error = sp_buf_put(der, out, (size_t)len)) < 0) {
			error = sp_err_buf(ctx, error, "signature");
			goto out;
		}
	} else {
		sp_buf_clear(der);
		if ((error = sp_buf_put(der, raw.ptr, raw.size)) < 0) {
			error = sp_err_buf(ctx, error, "signature");
			goto out;
		}
	}
out:
	ERR_clear_error();
	OPENSSL_free(out);
	PKCS7_free(p7);
	BIO_free(bio);
	sp_buf_dispose(&raw);
	return error;
}

/*
 * Build the logical view "u + signature" and check every signature in
 * @p der against u's Authenticode digest (sigs[i].checked/digest_match).
 * The caller owns *tail (free) and *sigs (pe_sig_dispose each, free).
 */
int
pe_attach_prepare(sp_ctx *ctx, cmp_view *view, uint8_t **tail, pe_sig **sigs,
    size_t *nsigs, const pe_image *u, const cmp_file *fu, const uint8_t *der,
    size_t derlen, cmp_findings *fs)
{
	pe_auth_hash ah;
	pe_csum cs;
	uint8_t *buf = NULL, *t = NULL, zero8[8] = {0}, dir[8];
	uint64_t va, off, size;
	uint32_t dwlen, pad, csum;
	size_t used = 0, i;
	int nids[PE_MAX_SIGNATURES], error = 0;

	memset(&ah, 0, sizeof(ah));
	*tail = NULL;
	if (!u->has_certdir) {
		return sp_err_set(ctx, SP_EPARSE,
		    "'%s': the image has no Certificate Table directory entry "
		    "(NumberOfRvaAndSizes %u)",
		    fu->name, u->num_rva);
	}
	if (u->data_end != u->file_size) {
		return sp_err_set(ctx, SP_EPARSE,
		    "'%s': the image is already signed", fu->name);
	}
	if (derlen == 0 || derlen > ATTACH_MAX_SIG)
		return sp_err_set(
		    ctx, SP_EPARSE, "empty or oversized signature");
	if ((error = pe_parse_pkcs7(
	         ctx, der, derlen, 0, 0, sigs, nsigs, &used, fs)) < 0)
		return error;
	if (used != derlen)
		return sp_err_set(ctx, SP_EPARSE,
		    "signature has %zu bytes after its PKCS#7 structure",
		    derlen - used);
	va = (u->file_size + 7) & ~(uint64_t)7;
	pad = (uint32_t)((8 - (8 + derlen) % 8) % 8);
	if (va + 8 + derlen + pad > UINT32_MAX)
		return sp_err_set(ctx, SP_ELIMIT,
		    "'%s': signed image would exceed 4 GiB", fu->name);
	dwlen = (uint32_t)(8 + derlen + pad);
	if ((t = calloc(1, dwlen)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	cmp_put_le32(t, dwlen);
	t[4] = 0x00;
	t[5] = 0x02; /* wRevision 0x0200 */
	t[6] = 0x02;
	t[7] = 0x00; /* WIN_CERT_TYPE_PKCS_SIGNED_DATA */
	memcpy(t + 8, der, derlen);
	cmp_put_le32(dir, (uint32_t)va);
	cmp_put_le32(dir + 4, dwlen);
	cmp_view_init(view, fu, u->file_size);
	view->pad_to = va;
	view->tail = t;
	view->tail_len = dwlen;
	cmp_view_patch(view, u->checksum_off, zero8, 4);
	cmp_view_patch(view, u->certdir_off, dir, 8);
	/* One pass: Authenticode digests of u and the new CheckSum. */
	for (i = 0; i < *nsigs; i++)
		nids[i] = (*sigs)[i].md_nid;
	if ((error = pe_auth_hash_init(ctx, &ah, u, nids, *nsigs)) < 0)
		goto out;
	if ((buf = malloc(ATTACH_CHUNK)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	pe_csum_init(&cs);
	size = cmp_view_size(view);
	for (off = 0; off < size; off += ATTACH_CHUNK) {
		size_t n = size - off < ATTACH_CHUNK ? (size_t)(size - off)
		                                     : ATTACH_CHUNK;

		if ((error = cmp_view_read(
		         ctx, view, off, buf, n, NULL, NULL)) < 0 ||
		    (error = pe_auth_hash_update(ctx, &ah, off, buf, n)) < 0)
			goto out;
		pe_csum_update(&cs, buf, n);
	}
	csum = pe_csum_final(&cs);
	for (i = 0; i < *nsigs; i++) {
		pe_sig *s = &(*sigs)[i];
		unsigned dl = 0;

		size_t k;

		if (pe_md_fetch(ctx, s->md_nid) == NULL)
			continue;
		/* A second signature with the same algorithm reuses it. */
		for (k = 0; k < i; k++)
			if ((*sigs)[k].md_nid == s->md_nid &&
			    (*sigs)[k].checked)
				break;
		if (k < i) {
			memcpy(s->computed, (*sigs)[k].computed,
			    sizeof(s->computed));
			dl = (unsigned)EVP_MD_get_size(
			    pe_md_fetch(ctx, s->md_nid));
		} else if ((error = pe_auth_hash_final(
		                ctx, &ah, s->md_nid, s->computed, &dl)) < 0)
			goto out;
		s->checked = true;
		s->digest_match = dl == s->digest_len &&
		                  memcmp(s->computed, s->digest, dl) == 0;
	}
	if (pe_layout_has_gaps(u)) {
		for (i = 0; i < *nsigs; i++) {
			pe_sig *s = &(*sigs)[i];
			uint8_t d[EVP_MAX_MD_SIZE];
			unsigned dl = 0;

			if (s->digest_match ||
			    pe_md_fetch(ctx, s->md_nid) == NULL)
				continue;
			if ((error = pe_auth_digest_spec(
			         ctx, u, fu, s->md_nid, d, &dl)) < 0)
				goto out;
			if (dl == s->digest_len &&
			    memcmp(d, s->digest, dl) == 0) {
				s->digest_match = true;
				memcpy(s->computed, d, dl);
			}
		}
	}
	cmp_put_le32(dir, csum);
	view->patch[0].off = u->checksum_off;
	memcpy(view->patch[0].bytes, dir, 4);
	*tail = t;
	t = NULL;
out:
	pe_auth_hash_dispose(&ah);
	free(buf);
	free(t);
	return error;
}

int
sp_attach_signature(sp_ctx *ctx, const char *unsigned_path,
    const char *sig_path, const char *out_path, bool force)
{
	cmp_file fu;
	pe_image u;
	cmp_view view;
	cmp_findings fs = {NULL, 0};
	sp_buf der = SP_BUF_INIT;
	sp_atomic *w = NULL;
	uint8_t *tail = NULL, *buf = NULL;
	pe_sig *sigs = NULL;
	size_t nsigs = 0, i;
	uint64_t off, size;
	int error;

	memset(&u, 0, sizeof(u));
	memset(&fu, 0, sizeof(fu));
	fu.fd = -1;
	if ((error = cmp_file_open(ctx, &fu, unsigned_path)) < 0)
		goto out;
	if (!pe_detect(&fu)) {
		error = sp_err_set(
		    ctx, SP_EPARSE, "'%s' is not a PE image", unsigned_path);
		goto out;
	}
	if ((error = pe_parse(ctx, &u, &fu, &fs, NULL)) < 0 ||
	    (error = pe_load_pkcs7(ctx, &der, sig_path)) < 0)
		goto out;
	if ((error = pe_attach_prepare(ctx, &view, &tail, &sigs, &nsigs, &u,
	         &fu, (const uint8_t *)der.ptr, der.size, &fs)) < 0)
		goto out;
	for (i = 0; i < nsigs; i++) {
		if (!sigs[i].checked) {
			error = sp_err_set(ctx, SP_EVERIFY,
			    "%s uses an unsupported digest algorithm '%s'",
			    sigs[i].where, sigs[i].md_name);
			goto out;
		}
		if (!sigs[i].digest_match) {
			error = sp_err_set(ctx, SP_EVERIFY,
			    "%s was not made for '%s': its Authenticode "
			    "digest does not match the image",
			    sigs[i].where, unsigned_path);
			sp_err_hint(ctx, "the signature belongs to another "
			                 "build; check the build inputs");
			goto out;
		}
	}
	if ((error = sp_atomic_open(
	         ctx, &w, out_path, 0755, force ? 0 : SP_ATOMIC_EXCL)) < 0)
		goto out;
	if ((buf = malloc(ATTACH_CHUNK)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	size = cmp_view_size(&view);
	for (off = 0; off < size; off += ATTACH_CHUNK) {
		size_t n = size - off < ATTACH_CHUNK ? (size_t)(size - off)
		                                     : ATTACH_CHUNK;

		if ((error = cmp_view_read(
		         ctx, &view, off, buf, n, NULL, NULL)) < 0)
			goto out;
		if ((error = sp_atomic_write(w, buf, n)) < 0)
			goto out;
	}
	error = sp_atomic_commit(w);
	w = NULL;
out:
	sp_atomic_abort(w);
	for (i = 0; i < nsigs; i++)
		pe_sig_dispose(&sigs[i]);
	free(sigs);
	free(tail);
	free(buf);
	json_decref(fs.list);
	sp_buf_dispose(&der);
	pe_dispose(&u);
	cmp_file_close(&fu);
	return error;
}
