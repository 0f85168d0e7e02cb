/*
 * CMS encryption of bundles, streamed both ways.
 *
 * Writing: AuthEnvelopedData with AES-256-GCM (RFC 5083/5084) to every
 * recipient certificate (RSA recipients use RSAES-OAEP with SHA-256; EC
 * recipients ECDH key agreement), produced as indefinite-length BER by
 * BIO_new_CMS, so a bundle of any size is never held in memory.
 *
 * Reading: OpenSSL only decodes whole CMS structures into memory, so we
 * walk the BER layout ourselves (bounded, no recursion beyond a small
 * depth), rebuild a small DER structure with detached content (the header
 * fields and the tag), let OpenSSL decrypt the content-encryption key from
 * it, then stream the encrypted content through CMS_dataInit. The GCM tag
 * is checked at the end of the content; callers release nothing before.
 */
#include <errno.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow_int.h"
#include "util_int.h"

#include "banned.h"

/* Largest header or trailer field copied from a CMS file. */
#define MAX_FIELD ((size_t)1 << 20)
/* Deepest nesting of indefinite-length encodings walked. */
#define MAX_DEPTH 32
#define READ_BUF ((size_t)256 << 10)

static void
ossl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "unknown OpenSSL error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

/* ---- keys and certificates ----------------------------------------------- */

int
sp_escrow__load_cert(sp_ctx *ctx, X509 **out, const char *path)
{
	sp_buf b = SP_BUF_INIT;
	BIO *bio = NULL;
	X509 *x = NULL;
	char why[256];
	int error;

	*out = NULL;
	if ((error = sp_read_file(
	         ctx, &b, path, (size_t)1 << 20, SP_OPEN_NOFOLLOW)) < 0)
		return error;
	if ((bio = BIO_new_mem_buf(b.ptr, (int)b.size)) == NULL ||
	    (x = X509_new_ex(sp_ctx_libctx(ctx), NULL)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if (PEM_read_bio_X509(bio, &x, NULL, NULL) == NULL) {
		const unsigned char *p = (const unsigned char *)b.ptr;

		ERR_clear_error();
		if (d2i_X509(&x, &p, (long)b.size) == NULL) {
			ossl_reason(why, sizeof(why));
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s' is not an X.509 certificate (PEM or DER): %s",
			    path, why);
			goto out;
		}
	}
	*out = x;
	x = NULL;
out:
	X509_free(x);
	BIO_free(bio);
	sp_buf_dispose(&b);
	return error;
}

struct pem_ud {
	sp_ctx *ctx;
	sp_passphrase_cb cb;
	void *payload;
	const char *path;
	bool asked;
	int error;
};

static int
pem_cb(char *buf, int size, int rwflag, void *u)
{
	struct pem_ud *ud = u;
	sp_buf pass = SP_BUF_INIT;
	char prompt[512];
	int n;

	(void)rwflag;
	if (ud->cb == NULL) {
		ud->error = sp_err_set(ud->ctx, SP_EINVALID,
		    "key '%s' is encrypted and no passphrase was given",
		    ud->path);
		return -1;
	}
	ud->asked = true;
	snprintf(prompt, sizeof(prompt), "passphrase for '%s'", ud->path);
	if ((ud->error = ud->cb(ud->ctx, &pass, prompt, false, ud->payload)) <
	    0) {
		sp_buf_dispose_secret(&pass);
		return -1;
	}
	if (pass.size > (size_t)size) {
		sp_buf_dispose_secret(&pass);
		ud->error = sp_err_set(ud->ctx, SP_EINVALID,
		    "the passphrase for '%s' is too long", ud->path);
		return -1;
	}
	memcpy(buf, pass.ptr != NULL ? pass.ptr : "", pass.size);
	n = (int)pass.size;
	sp_buf_dispose_secret(&pass);
	return n;
}

int
sp_escrow__load_pkey(sp_ctx *ctx, EVP_PKEY **out, const char *path,
    sp_passphrase_cb cb, void *payload)
{
	sp_buf b = SP_BUF_INIT;
	struct pem_ud ud;
	BIO *bio = NULL;
	EVP_PKEY *k = NULL;
	char why[256];
	int error = 0;

	*out = NULL;
	/* A key in a token: the same PKCS#11 loader as signing keys. */
	if (strncmp(path, "pkcs11:", 7) == 0)
		return sp_sign__pkcs11_evp(ctx, out, path, cb, payload);
	memset(&ud, 0, sizeof(ud));
	ud.ctx = ctx;
	ud.cb = cb;
	ud.payload = payload;
	ud.path = path;
	if ((error = sp_read_file(
	         ctx, &b, path, (size_t)1 << 20, SP_OPEN_NOFOLLOW)) < 0)
		goto out;
	if ((bio = BIO_new_mem_buf(b.ptr, (int)b.size)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	k = PEM_read_bio_PrivateKey_ex(
	    bio, NULL, pem_cb, &ud, sp_ctx_libctx(ctx), NULL);
	if (k == NULL) {
		if (ud.error < 0) {
			error = ud.error;
		} else if (ud.asked) {
			ERR_clear_error();
			error = sp_err_set(ctx, SP_EVERIFY,
			    "wrong passphrase for key '%s'", path);
		} else {
			ossl_reason(why, sizeof(why));
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s' is not a PEM private key: %s", path, why);
		}
		goto out;
	}
	*out = k;
out:
	BIO_free(bio);
	sp_buf_dispose_secret(&b);
	return error;
}

/* ---- writer -------------------------------------------------------------- */

struct sp_cms_writer {
	sp_ctx *ctx;
	CMS_ContentInfo *cms;
	BIO_METHOD *meth;
	BIO *out;   /* our sink BIO */
	BIO *chain; /* BIO_new_CMS chain, ends at out */
	sp_tarw_sink sink;
	void *payload;
	sp_buf pending;   /* header bytes produced before the first write */
	uint64_t written; /* plaintext bytes */
	bool armed;
	int sink_error;
};

static int
sinkbio_write(BIO *b, const char *data, int len)
{
	sp_cms_writer *cw = BIO_get_data(b);
	int error;

	if (len <= 0)
		return 0;
	if (cw->sink_error != 0)
		return -1;
	if (!cw->armed) {
		if (sp_buf_put(&cw->pending, data, (size_t)len) < 0) {
			cw->sink_error =
			    sp_err_set(cw->ctx, SP_ENOMEM, "out of memory");
			return -1;
		}
		return len;
	}
	if ((error = cw->sink(cw->payload, data, (size_t)len)) < 0) {
		cw->sink_error = error;
		return -1;
	}
	return len;
}

static long
sinkbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	default:
		return 0;
	}
}

static int
sinkbio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int
cert_usable(sp_ctx *ctx, X509 *x, const char *path)
{
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		return sp_err_set(ctx, SP_EINVALID,
		    "recipient certificate '%s' has expired", path);
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		return sp_err_set(ctx, SP_EINVALID,
		    "recipient certificate '%s' is not valid yet", path);
	return 0;
}

int
sp_cms_writer_new(sp_ctx *ctx, sp_cms_writer **out, const char *const *certs,
    size_t ncerts, sp_tarw_sink sink, void *payload)
{
	sp_cms_writer *cw = NULL;
	EVP_CIPHER *cipher = NULL;
	X509 *x = NULL;
	char why[256];
	size_t i;
	int error = 0;

	*out = NULL;
	if ((cw = sp_calloc(ctx, 1, sizeof(*cw))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	cw->ctx = ctx;
	cw->sink = sink;
	cw->payload = payload;
	sp_buf_init(&cw->pending, (size_t)16 << 20);
	cipher = EVP_CIPHER_fetch(sp_ctx_libctx(ctx), "AES-256-GCM", NULL);
	if (cipher == NULL) {
		error = sp_err_set(ctx, SP_EUNSUPPORTED,
		    "AES-256-GCM is not available in this OpenSSL");
		goto out;
	}
	cw->cms =
	    CMS_AuthEnvelopedData_create_ex(cipher, sp_ctx_libctx(ctx), NULL);
	if (cw->cms == NULL) {
		ossl_reason(why, sizeof(why));
		error = sp_err_set(ctx, SP_EUNSUPPORTED,
		    "cannot create CMS AuthEnvelopedData: %s", why);
		goto out;
	}
	for (i = 0; i < ncerts; i++) {
		CMS_RecipientInfo *ri;

		if ((error = sp_escrow__load_cert(ctx, &x, certs[i])) < 0 ||
		    (error = cert_usable(ctx, x, certs[i])) < 0)
			goto out;
		ri = CMS_add1_recipient_cert(cw->cms, x, CMS_KEY_PARAM);
		if (ri == NULL) {
			ossl_reason(why, sizeof(why));
			error = sp_err_set(ctx, SP_EUNSUPPORTED,
			    "cannot encrypt to recipient '%s': %s", certs[i],
			    why);
			sp_err_hint(ctx, "recipients need an RSA or EC (P-256, "
			                 "P-384, P-521) key");
			goto out;
		}
		if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS) {
			EVP_PKEY_CTX *pctx =
			    CMS_RecipientInfo_get0_pkey_ctx(ri);

			if (pctx == NULL ||
			    EVP_PKEY_CTX_set_rsa_padding(
			        pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
			    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <=
			        0 ||
			    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <=
			        0) {
				ossl_reason(why, sizeof(why));
				error = sp_err_set(ctx, SP_EUNSUPPORTED,
				    "cannot use RSA-OAEP for recipient '%s': "
				    "%s",
				    certs[i], why);
				goto out;
			}
		}
		X509_free(x);
		x = NULL;
	}
	cw->meth = BIO_meth_new(
	    BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "srcproof sink");
	if (cw->meth == NULL || !BIO_meth_set_write(cw->meth, sinkbio_write) ||
	    !BIO_meth_set_ctrl(cw->meth, sinkbio_ctrl) ||
	    !BIO_meth_set_create(cw->meth, sinkbio_create) ||
	    (cw->out = BIO_new(cw->meth)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	BIO_set_data(cw->out, cw);
	/* Encrypts the key to every recipient and writes the header into
	 * cw->pending: a failing recipient fails here, before any output. */
	cw->chain = BIO_new_CMS(cw->out, cw->cms);
	if (cw->chain == NULL || cw->sink_error != 0) {
		ossl_reason(why, sizeof(why));
		error = cw->sink_error != 0
		            ? cw->sink_error
		            : sp_err_set(ctx, SP_EUNSUPPORTED,
		                  "cannot encrypt to the recipients: %s", why);
		goto out;
	}
	*out = cw;
	cw = NULL;
out:
	X509_free(x);
	EVP_CIPHER_free(cipher);
	sp_cms_writer_free(cw);
	return error;
}

int
sp_cms_writer_write(sp_cms_writer *cw, const void *data, size_t len)
{
	const char *p = data;

	if (!cw->armed) {
		int error;

		cw->armed = true;
		if (cw->pending.size > 0 &&
		    (error = cw->sink(
		         cw->payload, cw->pending.ptr, cw->pending.size)) < 0) {
			cw->sink_error = error;
			return error;
		}
		sp_buf_dispose(&cw->pending);
	}
	while (len > 0) {
		int chunk = len > (1 << 30) ? (1 << 30) : (int)len;
		int n = BIO_write(cw->chain, p, chunk);

		if (n <= 0) {
			char why[256];

			if (cw->sink_error != 0)
				return cw->sink_error;
			ossl_reason(why, sizeof(why));
			return sp_err_set(cw->ctx, SP_ERROR,
			    "CMS encryption failed: %s", why);
		}
		p += n;
		len -= (size_t)n;
		cw->written += (uint64_t)n;
	}
	return 0;
}

int
sp_cms_writer_finish(sp_cms_writer *cw)
{
	int error;

	/* OpenSSL's streaming cipher BIO cannot finish an empty content
	 * (a bundle never is). */
	if (cw->written == 0)
		return sp_err_set(cw->ctx, SP_EINVALID,
		    "nothing to encrypt: the content is empty");
	if (!cw->armed && (error = sp_cms_writer_write(cw, "", 0)) < 0)
		return error;
	if (BIO_flush(cw->chain) <= 0) {
		char why[256];

		if (cw->sink_error != 0)
			return cw->sink_error;
		ossl_reason(why, sizeof(why));
		return sp_err_set(
		    cw->ctx, SP_ERROR, "CMS encryption failed: %s", why);
	}
	return cw->sink_error;
}

void
sp_cms_writer_free(sp_cms_writer *cw)
{
	if (cw == NULL)
		return;
	if (cw->chain != NULL) {
		BIO *b = cw->chain;

		while (b != NULL && b != cw->out) {
			BIO *next = BIO_pop(b);

			BIO_free(b);
			b = next;
		}
	}
	BIO_free(cw->out);
	BIO_meth_free(cw->meth);
	CMS_ContentInfo_free(cw->cms);
	sp_buf_dispose(&cw->pending);
	free(cw);
}

/* ---- BER layout ------------------------------------------------------------
 */

/* Random access to the bytes being parsed. */
struct src {
	const uint8_t *mem; /* memory source, or NULL */
	int fd;
	uint64_t size;
};

static int
src_read(sp_ctx *ctx, const struct src *s, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;

	if (off > s->size || n > s->size - off)
		return sp_err_set(ctx, SP_EPARSE, "CMS structure is truncated");
	if (s->mem != NULL) {
		memcpy(buf, s->mem + off, n);
		return 0;
	}
	while (n > 0) {
		ssize_t r = pread(s->fd, p, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return sp_err_set(ctx, SP_EIO,
			    "cannot read the encrypted bundle: %s",
			    r < 0 ? strerror(errno) : "unexpected end");
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

struct tlv {
	uint8_t tag;
	bool indefinite;
	uint64_t len; /* content length when definite */
	uint64_t hl;  /* header length */
};

static int
tlv_header(sp_ctx *ctx, const struct src *s, uint64_t off, struct tlv *t)
{
	uint8_t h[10];
	size_t avail;
	int error;

	memset(t, 0, sizeof(*t));
	if (off >= s->size)
		return sp_err_set(ctx, SP_EPARSE, "CMS structure is truncated");
	avail = s->size - off < 10 ? (size_t)(s->size - off) : 10;
	if (avail < 2)
		return sp_err_set(ctx, SP_EPARSE, "CMS structure is truncated");
	if ((error = src_read(ctx, s, h, avail, off)) < 0)
		return error;
	t->tag = h[0];
	if ((h[0] & 0x1f) == 0x1f)
		return sp_err_set(ctx, SP_EPARSE,
		    "CMS structure uses an unsupported tag form");
	t->indefinite = false;
	if (h[1] < 0x80) {
		t->len = h[1];
		t->hl = 2;
	} else if (h[1] == 0x80) {
		if (!(h[0] & 0x20))
			return sp_err_set(ctx, SP_EPARSE,
			    "CMS structure: indefinite length on a primitive");
		t->indefinite = true;
		t->len = 0;
		t->hl = 2;
	} else {
		size_t nb = h[1] & 0x7f, i;

		if (nb > 8 || avail < 2 + nb)
			return sp_err_set(
			    ctx, SP_EPARSE, "CMS structure: bad length");
		t->len = 0;
		for (i = 0; i < nb; i++) {
			if (t->len >> 55)
				return sp_err_set(ctx, SP_EPARSE,
				    "CMS structure: length too large");
			t->len = t->len << 8 | h[2 + i];
		}
		t->hl = 2 + nb;
	}
	if (!t->indefinite && t->len > s->size - off - t->hl)
		return sp_err_set(ctx, SP_EPARSE,
		    "CMS structure is truncated (a field runs past the end)");
	return 0;
}

/* Offset just past the TLV at @p off (indefinite lengths walked). */
static int
tlv_skip(
    sp_ctx *ctx, const struct src *s, uint64_t off, uint64_t *end, int depth)
{
	struct tlv t = {0};
	int error;

	if (depth > MAX_DEPTH)
		return sp_err_set(
		    ctx, SP_EPARSE, "CMS structure is nested too deep");
	if ((error = tlv_header(ctx, s, off, &t)) < 0)
		return error;
	if (!t.indefinite) {
		*end = off + t.hl + t.len;
		return 0;
	}
	off += t.hl;
	for (;;) {
		uint8_t eoc[2];

		if ((error = src_read(ctx, s, eoc, 2, off)) < 0)
			return error;
		if (eoc[0] == 0 && eoc[1] == 0) {
			*end = off + 2;
			return 0;
		}
		if ((error = tlv_skip(ctx, s, off, &off, depth + 1)) < 0)
			return error;
	}
}

/* A constructed level: its end, or indefinite. */
struct level {
	bool indefinite;
	uint64_t end;
};

/* True when the level ends at @p *off (consumes the end-of-contents). */
static int
level_at_end(sp_ctx *ctx, const struct src *s, const struct level *lv,
    uint64_t *off, bool *at_end)
{
	uint8_t eoc[2];
	int error;

	if (!lv->indefinite) {
		if (*off > lv->end)
			return sp_err_set(ctx, SP_EPARSE,
			    "CMS structure: a field overruns its parent");
		*at_end = *off == lv->end;
		return 0;
	}
	if ((error = src_read(ctx, s, eoc, 2, *off)) < 0)
		return error;
	*at_end = eoc[0] == 0 && eoc[1] == 0;
	if (*at_end)
		*off += 2;
	return 0;
}

static int
enter(sp_ctx *ctx, const struct src *s, uint64_t *off, uint8_t tag,
    struct level *lv, const char *what)
{
	struct tlv t = {0};
	int error;

	if ((error = tlv_header(ctx, s, *off, &t)) < 0)
		return error;
	if (t.tag != tag)
		return sp_err_set(
		    ctx, SP_EPARSE, "not a CMS enveloped structure (%s)", what);
	lv->indefinite = t.indefinite;
	lv->end = *off + t.hl + t.len;
	*off += t.hl;
	return 0;
}

/* Raw copy of one TLV field. */
struct field {
	uint64_t off, len;
	bool present;
};

static int
take(sp_ctx *ctx, const struct src *s, uint64_t *off, struct field *f)
{
	uint64_t end;
	int error;

	if ((error = tlv_skip(ctx, s, *off, &end, 0)) < 0)
		return error;
	if (end - *off > MAX_FIELD)
		return sp_err_set(
		    ctx, SP_ELIMIT, "CMS header field larger than 1 MiB");
	f->off = *off;
	f->len = end - *off;
	f->present = true;
	*off = end;
	return 0;
}

static int
peek_tag(sp_ctx *ctx, const struct src *s, uint64_t off, uint8_t *tag)
{
	return src_read(ctx, s, tag, 1, off);
}

/* Where the parts of an enveloped CMS file are. */
struct layout {
	bool auth;
	struct field version, originator, recipients, ctype, alg;
	struct field authattrs, mac, unauth;
	/* content: primitive [0] or constructed [0] of OCTET STRINGs */
	bool content_constructed;
	bool content_indefinite;
	uint64_t content_off; /* first content byte or first chunk header */
	uint64_t content_len; /* primitive, or definite constructed length */
};

static const uint8_t oid_authenv[] = {0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7,
    0x0d, 0x01, 0x09, 0x10, 0x01, 0x17};
static const uint8_t oid_env[] = {
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03};

static int
parse_layout(sp_ctx *ctx, const struct src *s, struct layout *L)
{
	struct level l1, l2, l3, l4;
	uint64_t off = 0;
	uint8_t oid[sizeof(oid_authenv)], tag;
	bool end;
	int error;

	memset(L, 0, sizeof(*L));
	if ((error = enter(ctx, s, &off, 0x30, &l1, "ContentInfo")) < 0)
		return error;
	if (s->size - off >= sizeof(oid_authenv) &&
	    (error = src_read(ctx, s, oid, sizeof(oid_authenv), off)) == 0 &&
	    memcmp(oid, oid_authenv, sizeof(oid_authenv)) == 0) {
		L->auth = true;
		off += sizeof(oid_authenv);
	} else if (s->size - off >= sizeof(oid_env) &&
	           (error = src_read(ctx, s, oid, sizeof(oid_env), off)) == 0 &&
	           memcmp(oid, oid_env, sizeof(oid_env)) == 0) {
		off += sizeof(oid_env);
	} else {
		return error < 0 ? error
		                 : sp_err_set(ctx, SP_EUNSUPPORTED,
		                       "CMS content type is not "
		                       "AuthEnvelopedData or EnvelopedData");
	}
	if ((error = enter(ctx, s, &off, 0xa0, &l2, "content")) < 0 ||
	    (error = enter(ctx, s, &off, 0x30, &l3, "enveloped data")) < 0)
		return error;
	if ((error = peek_tag(ctx, s, off, &tag)) < 0)
		return error;
	if (tag != 0x02)
		return sp_err_set(ctx, SP_EPARSE, "CMS version is missing");
	if ((error = take(ctx, s, &off, &L->version)) < 0 ||
	    (error = peek_tag(ctx, s, off, &tag)) < 0)
		return error;
	if (tag == 0xa0) {
		if ((error = take(ctx, s, &off, &L->originator)) < 0 ||
		    (error = peek_tag(ctx, s, off, &tag)) < 0)
			return error;
	}
	if (tag != 0x31)
		return sp_err_set(ctx, SP_EPARSE, "CMS recipients are missing");
	if ((error = take(ctx, s, &off, &L->recipients)) < 0)
		return error;
	if ((error = enter(ctx, s, &off, 0x30, &l4, "encrypted content")) < 0)
		return error;
	if ((error = peek_tag(ctx, s, off, &tag)) < 0)
		return error;
	if (tag != 0x06 || (error = take(ctx, s, &off, &L->ctype)) < 0 ||
	    (error = peek_tag(ctx, s, off, &tag)) < 0)
		return error < 0 ? error
		                 : sp_err_set(ctx, SP_EPARSE,
		                       "CMS content type is missing");
	if (tag != 0x30 || (error = take(ctx, s, &off, &L->alg)) < 0)
		return error < 0 ? error
		                 : sp_err_set(ctx, SP_EPARSE,
		                       "CMS content algorithm is missing");
	if ((error = level_at_end(ctx, s, &l4, &off, &end)) < 0)
		return error;
	if (end)
		return sp_err_set(ctx, SP_EUNSUPPORTED,
		    "CMS structure has no content (detached content is not "
		    "supported)");
	{
		struct tlv t = {0};

		if ((error = tlv_header(ctx, s, off, &t)) < 0)
			return error;
		if (t.tag == 0x80) {
			L->content_off = off + t.hl;
			L->content_len = t.len;
			off += t.hl + t.len;
		} else if (t.tag == 0xa0) {
			uint64_t e;

			L->content_constructed = true;
			L->content_indefinite = t.indefinite;
			L->content_off = off + t.hl;
			L->content_len = t.len;
			/* Walk the chunks now: they must all be
			 * primitive OCTET STRINGs. */
			off += t.hl;
			for (;;) {
				struct tlv c;
				uint8_t eoc[2];

				if (!t.indefinite) {
					if (off == L->content_off + t.len)
						break;
				} else {
					if ((error = src_read(
					         ctx, s, eoc, 2, off)) < 0)
						return error;
					if (eoc[0] == 0 && eoc[1] == 0) {
						off += 2;
						break;
					}
				}
				if ((error = tlv_header(ctx, s, off, &c)) < 0)
					return error;
				if (c.tag != 0x04)
					return sp_err_set(ctx, SP_EPARSE,
					    "CMS content chunk is not a "
					    "primitive OCTET STRING");
				e = off + c.hl + c.len;
				if (!t.indefinite && e > L->content_off + t.len)
					return sp_err_set(ctx, SP_EPARSE,
					    "CMS content chunk overruns the "
					    "content");
				off = e;
			}
		} else {
			return sp_err_set(ctx, SP_EPARSE,
			    "CMS encrypted content is malformed");
		}
	}
	if ((error = level_at_end(ctx, s, &l4, &off, &end)) < 0)
		return error;
	if (!end)
		return sp_err_set(ctx, SP_EPARSE,
		    "CMS encrypted content has trailing fields");
	if ((error = level_at_end(ctx, s, &l3, &off, &end)) < 0)
		return error;
	if (!end && (error = peek_tag(ctx, s, off, &tag)) < 0)
		return error;
	if (!end && L->auth && tag == 0xa1) {
		if ((error = take(ctx, s, &off, &L->authattrs)) < 0 ||
		    (error = level_at_end(ctx, s, &l3, &off, &end)) < 0)
			return error;
		if (!end && (error = peek_tag(ctx, s, off, &tag)) < 0)
			return error;
	}
	if (L->auth) {
		if (end || tag != 0x04)
			return sp_err_set(ctx, SP_EPARSE,
			    "CMS authentication tag is missing");
		if ((error = take(ctx, s, &off, &L->mac)) < 0 ||
		    (error = level_at_end(ctx, s, &l3, &off, &end)) < 0)
			return error;
		if (!end && (error = peek_tag(ctx, s, off, &tag)) < 0)
			return error;
		if (!end && tag == 0xa2) {
			if ((error = take(ctx, s, &off, &L->unauth)) < 0 ||
			    (error = level_at_end(ctx, s, &l3, &off, &end)) < 0)
				return error;
		}
	} else if (!end && tag == 0xa1) {
		if ((error = take(ctx, s, &off, &L->unauth)) < 0 ||
		    (error = level_at_end(ctx, s, &l3, &off, &end)) < 0)
			return error;
	}
	if (!end)
		return sp_err_set(
		    ctx, SP_EPARSE, "CMS enveloped data has unexpected fields");
	if ((error = level_at_end(ctx, s, &l2, &off, &end)) < 0)
		return error;
	if (!end)
		return sp_err_set(ctx, SP_EPARSE, "CMS content is malformed");
	if ((error = level_at_end(ctx, s, &l1, &off, &end)) < 0)
		return error;
	if (!end)
		return sp_err_set(
		    ctx, SP_EPARSE, "CMS ContentInfo is malformed");
	if (off != s->size)
		return sp_err_set(
		    ctx, SP_EPARSE, "data after the end of the CMS structure");
	return 0;
}

/* DER header for a definite length. */
static int
der_header(sp_buf *b, uint8_t tag, uint64_t len)
{
	uint8_t h[10];
	size_t n = 0, i;

	h[n++] = tag;
	if (len < 0x80) {
		h[n++] = (uint8_t)len;
	} else {
		size_t nb = 0;
		uint64_t v = len;

		while (v > 0) {
			nb++;
			v >>= 8;
		}
		h[n++] = (uint8_t)(0x80 | nb);
		for (i = nb; i > 0; i--)
			h[n++] = (uint8_t)(len >> (8 * (i - 1)));
	}
	return sp_buf_put(b, h, n);
}

static int
copy_field(sp_ctx *ctx, const struct src *s, sp_buf *b, const struct field *f)
{
	int error;

	if (!f->present)
		return 0;
	if (sp_buf_reserve(b, (size_t)f->len) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = src_read(
	         ctx, s, b->ptr + b->size, (size_t)f->len, f->off)) < 0)
		return error;
	b->size += (size_t)f->len;
	b->ptr[b->size] = '\0';
	return 0;
}

static int
build_der(sp_ctx *ctx, const struct src *s, const struct layout *L, sp_buf *der)
{
	sp_buf inner = SP_BUF_INIT, eci = SP_BUF_INIT, a0 = SP_BUF_INIT;
	int error = 0;

	if ((error = copy_field(ctx, s, &eci, &L->ctype)) < 0 ||
	    (error = copy_field(ctx, s, &eci, &L->alg)) < 0)
		goto out;
	if ((error = copy_field(ctx, s, &inner, &L->version)) < 0 ||
	    (error = copy_field(ctx, s, &inner, &L->originator)) < 0 ||
	    (error = copy_field(ctx, s, &inner, &L->recipients)) < 0)
		goto out;
	if (der_header(&inner, 0x30, eci.size) < 0 ||
	    sp_buf_put(&inner, eci.ptr, eci.size) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = copy_field(ctx, s, &inner, &L->authattrs)) < 0 ||
	    (error = copy_field(ctx, s, &inner, &L->mac)) < 0 ||
	    (error = copy_field(ctx, s, &inner, &L->unauth)) < 0)
		goto out;
	if (der_header(&a0, 0x30, inner.size) < 0 ||
	    sp_buf_put(&a0, inner.ptr, inner.size) < 0) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	{
		const uint8_t *oid = L->auth ? oid_authenv : oid_env;
		size_t oidlen = L->auth ? sizeof(oid_authenv) : sizeof(oid_env);
		uint64_t total = oidlen + a0.size + 10;
		sp_buf a0h = SP_BUF_INIT;

		if (der_header(&a0h, 0xa0, a0.size) < 0) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		total = oidlen + a0h.size + a0.size;
		if (der_header(der, 0x30, total) < 0 ||
		    sp_buf_put(der, oid, oidlen) < 0 ||
		    sp_buf_put(der, a0h.ptr, a0h.size) < 0 ||
		    sp_buf_put(der, a0.ptr, a0.size) < 0)
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		sp_buf_dispose(&a0h);
	}
out:
	sp_buf_dispose(&inner);
	sp_buf_dispose(&eci);
	sp_buf_dispose(&a0);
	return error;
}

int
sp_cms__parse_layout(sp_ctx *ctx, const uint8_t *data, size_t len, sp_buf *der,
    uint64_t *content_off)
{
	struct src s;
	struct layout L;
	int error;

	s.mem = data;
	s.fd = -1;
	s.size = len;
	if ((error = parse_layout(ctx, &s, &L)) < 0)
		return error;
	if (content_off != NULL)
		*content_off = L.content_off;
	return build_der(ctx, &s, &L, der);
}

/* ---- reader ----------------------------------------------------------------
 */

struct sp_cms_reader {
	sp_ctx *ctx;
	const char *name;
	int fd;
	struct layout L;
	/* content stream state */
	uint64_t pos;        /* file offset of the next unread byte */
	uint64_t chunk_left; /* bytes left in the current chunk */
	bool content_done;
	unsigned char *rbuf;
	size_t rlen, roff;
	int src_error;
	/* OpenSSL */
	CMS_ContentInfo *cms;
	BIO_METHOD *meth;
	BIO *dcont;
	BIO *chain;
	bool eof;
	char cipher[32];
};

/* Sequential read of file bytes at cr->pos, buffered. */
static int
raw_read(sp_cms_reader *cr, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		size_t k;

		if (cr->roff == cr->rlen) {
			ssize_t r;

			if (lseek(cr->fd, (off_t)cr->pos, SEEK_SET) < 0)
				return sp_err_set(cr->ctx, SP_EIO,
				    "cannot seek in '%s': %s", cr->name,
				    strerror(errno));
			do
				r = read(cr->fd, cr->rbuf, READ_BUF);
			while (r < 0 && errno == EINTR);
			if (r <= 0)
				return sp_err_set(cr->ctx,
				    r < 0 ? SP_EIO : SP_EPARSE,
				    "cannot read '%s': %s", cr->name,
				    r < 0 ? strerror(errno)
				          : "unexpected end of file");
			cr->rlen = (size_t)r;
			cr->roff = 0;
		}
		k = cr->rlen - cr->roff;
		if (k > n)
			k = n;
		memcpy(p, cr->rbuf + cr->roff, k);
		cr->roff += k;
		cr->pos += k;
		p += k;
		n -= k;
	}
	return 0;
}

/* Next content bytes (decoding chunk headers); 0 at the end. */
static long
content_read(sp_cms_reader *cr, void *buf, size_t n)
{
	int error;

	if (cr->content_done || n == 0)
		return 0;
	if (!cr->L.content_constructed) {
		if (cr->chunk_left == 0) {
			cr->content_done = true;
			return 0;
		}
	} else {
		while (cr->chunk_left == 0) {
			uint8_t h[10];
			size_t nb, i;
			uint64_t len = 0;

			if (!cr->L.content_indefinite &&
			    cr->pos >= cr->L.content_off + cr->L.content_len) {
				cr->content_done = true;
				return 0;
			}
			if ((error = raw_read(cr, h, 2)) < 0)
				return error;
			if (h[0] == 0 && h[1] == 0 &&
			    cr->L.content_indefinite) {
				cr->content_done = true;
				return 0;
			}
			if (h[0] != 0x04)
				return sp_err_set(cr->ctx, SP_EPARSE,
				    "'%s': CMS content chunk is malformed",
				    cr->name);
			if (h[1] < 0x80) {
				len = h[1];
			} else {
				nb = h[1] & 0x7f;
				if (nb == 0 || nb > 8 ||
				    (error = raw_read(cr, h + 2, nb)) < 0)
					return error < 0 ? error
					                 : sp_err_set(cr->ctx,
					                       SP_EPARSE,
					                       "'%s': CMS "
					                       "content chunk "
					                       "is malformed",
					                       cr->name);
				for (i = 0; i < nb; i++) {
					if (len >> 55)
						return sp_err_set(cr->ctx,
						    SP_EPARSE,
						    "'%s': CMS chunk too "
						    "large",
						    cr->name);
					len = len << 8 | h[2 + i];
				}
			}
			cr->chunk_left = len;
		}
	}
	if (n > cr->chunk_left)
		n = (size_t)cr->chunk_left;
	if (n > (size_t)1 << 30)
		n = (size_t)1 << 30;
	if ((error = raw_read(cr, buf, n)) < 0)
		return error;
	cr->chunk_left -= n;
	return (long)n;
}

static int
dcont_read(BIO *b, char *buf, int len)
{
	sp_cms_reader *cr = BIO_get_data(b);
	long n;

	if (len <= 0)
		return 0;
	if (cr->src_error != 0)
		return -1;
	n = content_read(cr, buf, (size_t)len);
	if (n < 0) {
		cr->src_error = (int)n;
		return -1;
	}
	return (int)n;
}

static long
dcont_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	sp_cms_reader *cr = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_EOF:
		return cr->content_done ? 1 : 0;
	case BIO_CTRL_FLUSH:
		return 1;
	default:
		return 0;
	}
}

int
sp_cms_reader_open(sp_ctx *ctx, sp_cms_reader **out, int fd, const char *name,
    EVP_PKEY *pkey, X509 *cert)
{
	sp_cms_reader *cr = NULL;
	struct src s;
	struct stat st;
	sp_buf der = SP_BUF_INIT;
	const unsigned char *p;
	const EVP_CIPHER *ciph;
	char why[256];
	int error = 0;

	*out = NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return sp_err_set(ctx, SP_EIO,
		    "'%s': an encrypted bundle must be a regular file", name);
	s.mem = NULL;
	s.fd = fd;
	s.size = (uint64_t)st.st_size;
	if ((cr = sp_calloc(ctx, 1, sizeof(*cr))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	cr->ctx = ctx;
	cr->fd = fd;
	cr->name = name;
	if ((cr->rbuf = sp_malloc(ctx, READ_BUF)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = parse_layout(ctx, &s, &cr->L)) < 0) {
		char msg[SP_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
		error = sp_err_set(ctx, error, "'%s': %s", name, msg);
		goto out;
	}
	if ((error = build_der(ctx, &s, &cr->L, &der)) < 0)
		goto out;
	if ((cr->cms = CMS_ContentInfo_new_ex(sp_ctx_libctx(ctx), NULL)) ==
	    NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	p = (const unsigned char *)der.ptr;
	if (d2i_CMS_ContentInfo(&cr->cms, &p, (long)der.size) == NULL) {
		ossl_reason(why, sizeof(why));
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': the CMS header does not decode: %s", name, why);
		goto out;
	}
	if (CMS_decrypt_set1_pkey_and_peer(cr->cms, pkey, cert, NULL) != 1) {
		ERR_clear_error();
		error = sp_err_set(ctx, SP_EVERIFY,
		    "'%s' is not encrypted to this key (no recipient matches "
		    "it%s)",
		    name, cert != NULL ? " and its certificate" : "");
		sp_err_hint(ctx, "use the private key of one of the bundle's "
		                 "recipients (--key), and its certificate "
		                 "(--cert)");
		goto out;
	}
	cr->meth = BIO_meth_new(
	    BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "srcproof content");
	if (cr->meth == NULL || !BIO_meth_set_read(cr->meth, dcont_read) ||
	    !BIO_meth_set_ctrl(cr->meth, dcont_ctrl) ||
	    !BIO_meth_set_create(cr->meth, sinkbio_create) ||
	    (cr->dcont = BIO_new(cr->meth)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	BIO_set_data(cr->dcont, cr);
	cr->pos = cr->L.content_off;
	cr->chunk_left = cr->L.content_constructed ? 0 : cr->L.content_len;
	if ((cr->chain = CMS_dataInit(cr->cms, cr->dcont)) == NULL) {
		ossl_reason(why, sizeof(why));
		error = sp_err_set(ctx, SP_EVERIFY,
		    "'%s' cannot be decrypted with this key: %s", name, why);
		goto out;
	}
	{
		BIO *cb = BIO_find_type(cr->chain, BIO_TYPE_CIPHER);
		EVP_CIPHER_CTX *cctx = NULL;

		if (cb != NULL && BIO_get_cipher_ctx(cb, &cctx) > 0 &&
		    cctx != NULL &&
		    (ciph = EVP_CIPHER_CTX_get0_cipher(cctx)) != NULL)
			snprintf(cr->cipher, sizeof(cr->cipher), "%s",
			    EVP_CIPHER_get0_name(ciph));
		else
			snprintf(cr->cipher, sizeof(cr->cipher), "unknown");
	}
	*out = cr;
	cr = NULL;
out:
	sp_buf_dispose(&der);
	sp_cms_reader_free(cr);
	return error;
}

long
sp_cms_reader_read(sp_cms_reader *cr, void *buf, size_t len)
{
	int n;

	if (cr->eof || len == 0)
		return 0;
	if (len > (size_t)1 << 30)
		len = (size_t)1 << 30;
	n = BIO_read(cr->chain, buf, (int)len);
	if (n > 0)
		return n;
	if (cr->src_error != 0)
		return cr->src_error;
	if (n < 0 && !BIO_eof(cr->dcont)) {
		char why[256];

		ossl_reason(why, sizeof(why));
		return sp_err_set(cr->ctx, SP_EVERIFY,
		    "'%s': decryption failed: %s", cr->name, why);
	}
	/* End of content: the cipher BIO checked the tag (or padding). */
	{
		BIO *cb = BIO_find_type(cr->chain, BIO_TYPE_CIPHER);

		if (cb == NULL || BIO_get_cipher_status(cb) <= 0) {
			ERR_clear_error();
			return sp_err_set(cr->ctx, SP_EVERIFY,
			    "'%s': decryption failed: the %s does not match "
			    "(wrong key, or the bundle was modified)",
			    cr->name,
			    cr->L.auth ? "authentication tag" : "padding");
		}
	}
	/* Nothing may follow the content in the file. */
	cr->eof = true;
	return 0;
}

int
sp_cms_reader_drain(sp_cms_reader *cr)
{
	unsigned char buf[16384];
	long n;

	while ((n = sp_cms_reader_read(cr, buf, sizeof(buf))) > 0)
		;
	return n < 0 ? (int)n : 0;
}

bool
sp_cms_reader_authenticated(const sp_cms_reader *cr)
{
	return cr->L.auth;
}

const char *
sp_cms_reader_cipher(const sp_cms_reader *cr)
{
	return cr->cipher;
}

void
sp_cms_reader_free(sp_cms_reader *cr)
{
	if (cr == NULL)
		return;
	if (cr->chain != NULL) {
		BIO *b = cr->chain;

		while (b != NULL && b != cr->dcont) {
			BIO *next = BIO_pop(b);

			BIO_free(b);
			b = next;
		}
	}
	BIO_free(cr->dcont);
	BIO_meth_free(cr->meth);
	CMS_ContentInfo_free(cr->cms);
	free(cr->rbuf);
	free(cr);
}
