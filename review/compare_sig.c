/*
 * PKCS#7 SignerInfo verification for Authenticode (pe.c): the
 * messageDigest attribute against a content digest, and the signature
 * against the signer certificate's public key; and the text of a
 * certificate name. Kernel module signatures: compare_kmod.c.
 * Certificate chains are not checked here (no trust decision).
 */
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <string.h>

#include "compare_int.h"

#include "banned.h"

char *
cmp_name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long len;

	if (b == NULL)
		return NULL;
	/* UTF-8, no RFC 2253 escaping: cmp_clean escapes what matters. */
	if (X509_NAME_print_ex(b, n, 0,
	        XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN |
	            ASN1_STRFLGS_UTF8_CONVERT) >= 0) {
		len = BIO_get_mem_data(b, &data);
		if (len >= 0)
			out = cmp_clean(data, (size_t)len, 1024);
	}
	BIO_free(b);
	return out;
}

static X509 *
signer_cert(PKCS7 *p7, PKCS7_SIGNER_INFO *si, X509 *extra)
{
	STACK_OF(X509) * certs;
	X509 *c = NULL;

	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL ||
	    si->issuer_and_serial == NULL)
		return NULL;
	certs = p7->d.sign->cert;
	if (certs != NULL)
		c = X509_find_by_issuer_and_serial(certs,
		    si->issuer_and_serial->issuer,
		    si->issuer_and_serial->serial);
	if (c == NULL && extra != NULL &&
	    X509_NAME_cmp(X509_get_issuer_name(extra),
	        si->issuer_and_serial->issuer) == 0 &&
	    ASN1_INTEGER_cmp(X509_get0_serialNumber(extra),
	        si->issuer_and_serial->serial) == 0)
		c = extra;
	return c;
}

int
cmp_verify_signer(sp_ctx *ctx, PKCS7 *p7, PKCS7_SIGNER_INFO *si,
    X509 *extra_cert, const uint8_t *content_digest, size_t digest_len,
    const char **why)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD *md = NULL;
	unsigned char *abuf = NULL;
	X509 *cert;
	EVP_PKEY *pkey;
	int alen, error = SP_EVERIFY;
	char mdname[64];

	*why = NULL;
	if ((cert = signer_cert(p7, si, extra_cert)) == NULL) {
		*why = extra_cert != NULL
		           ? "signer certificate neither in the signature nor "
		             "the given one"
		           : "signer certificate not in the signature";
		goto out;
	}
	if ((pkey = X509_get0_pubkey(cert)) == NULL) {
		*why = "signer public key unusable";
		goto out;
	}
	if (OBJ_obj2txt(mdname, sizeof(mdname), si->digest_alg->algorithm, 0) <=
	        0 ||
	    (md = EVP_MD_fetch(sp_ctx_libctx(ctx), mdname, NULL)) == NULL) {
		*why = "unsupported signer digest algorithm";
		goto out;
	}
	if ((size_t)EVP_MD_get_size(md) != digest_len) {
		*why = "content digest length does not match the algorithm";
		goto out;
	}
	if (si->auth_attr != NULL && sk_X509_ATTRIBUTE_num(si->auth_attr) > 0) {
		ASN1_TYPE *t =
		    PKCS7_get_signed_attribute(si, NID_pkcs9_messageDigest);

		if (t == NULL || t->type != V_ASN1_OCTET_STRING ||
		    (size_t)t->value.octet_string->length != digest_len ||
		    !sp_ct_equal(t->value.octet_string->data, content_digest,
		        digest_len)) {
			*why = "messageDigest attribute does not match the "
			       "signed content";
			goto out;
		}
		alen = ASN1_item_i2d((ASN1_VALUE *)si->auth_attr, &abuf,
		    ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
		if (alen <= 0) {
			*why = "cannot encode the signed attributes";
			goto out;
		}
		if ((mctx = EVP_MD_CTX_new()) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if (EVP_DigestVerifyInit_ex(mctx, NULL, mdname,
		        sp_ctx_libctx(ctx), NULL, pkey, NULL) != 1 ||
		    EVP_DigestVerify(mctx, si->enc_digest->data,
		        (size_t)si->enc_digest->length, abuf,
		        (size_t)alen) != 1) {
			*why = "signature over the signed attributes does not "
			       "verify";
			goto out;
		}
		error = 0;
		goto out;
	}
	/* No signed attributes: the signature is over the content digest. */
	if ((pctx = EVP_PKEY_CTX_new_from_pkey(
	         sp_ctx_libctx(ctx), pkey, NULL)) == NULL ||
	    EVP_PKEY_verify_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(pctx, md) != 1 ||
	    EVP_PKEY_verify(pctx, si->enc_digest->data,
	        (size_t)si->enc_digest->length, content_digest,
	        digest_len) != 1) {
		*why = "signature over the content does not verify";
		goto out;
	}
	error = 0;
out:
	ERR_clear_error();
	OPENSSL_free(abuf);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_free(md);
	return error;
}
