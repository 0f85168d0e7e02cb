/*
 * Linux kernel module signatures: the PKCS#7 (CMS SignedData) between the
 * module and its module_signature record. Both SignerIdentifier forms are
 * accepted: issuerAndSerialNumber (sign-file's default) and
 * subjectKeyIdentifier (sign-file -k, SignerInfo version 3), which the
 * PKCS#7 API of OpenSSL cannot parse; the CMS API reads both.
 * Certificate chains are not checked here (no trust decision).
 */
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "compare_int.h"
#include "util_int.h"

#include "banned.h"

void
kmod_cms_dispose(kmod_cms *m)
{
	CMS_ContentInfo_free(m->cms);
	EVP_MD_free(m->md);
	free(m->key_id);
	free(m->issuer);
	free(m->serial);
	memset(m, 0, sizeof(*m));
}

static char *
serial_text(const ASN1_INTEGER *sn)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	char *out = hex ? strdup(hex) : NULL;

	OPENSSL_free(hex);
	BN_free(bn);
	return out;
}

/* Who signed: the SignerIdentifier of the only SignerInfo. */
static int
signer_id(sp_ctx *ctx, kmod_cms *m)
{
	ASN1_OCTET_STRING *keyid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *sno = NULL;

	if (CMS_SignerInfo_get0_signer_id(m->si, &keyid, &issuer, &sno) != 1)
		return sp_err_set(ctx, SP_EPARSE,
		    "module signature: unreadable signer identifier");
	if (keyid != NULL) {
		size_t n = (size_t)keyid->length;

		if (n == 0 || n > 64)
			return sp_err_set(ctx, SP_EPARSE,
			    "module signature: subjectKeyIdentifier of %zu "
			    "bytes",
			    n);
		m->by_key_id = true;
		if ((m->key_id = malloc(2 * n + 1)) == NULL)
			return sp_err_set(ctx, SP_ENOMEM, "out of memory");
		sp_hex_encode(m->key_id, keyid->data, n);
		return 0;
	}
	if (issuer == NULL || sno == NULL)
		return sp_err_set(ctx, SP_EPARSE,
		    "module signature: signer identifier has neither "
		    "issuer and serial number nor subjectKeyIdentifier");
	m->issuer = cmp_name_text(issuer);
	m->serial = serial_text(sno);
	if (m->issuer == NULL || m->serial == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	return 0;
}

int
kmod_cms_load(sp_ctx *ctx, kmod_cms *m, const cmp_file *f, const kmod_sig *k,
    cmp_findings *fs)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	STACK_OF(CMS_SignerInfo) * sis;
	ASN1_OCTET_STRING **content;
	X509_ALGOR *dig = NULL;
	char mdname[64];
	int error = 0;

	memset(m, 0, sizeof(*m));
	if (k->sig_len > KMOD_MAX_SIG)
		return sp_err_set(ctx, SP_ELIMIT,
		    "'%s': module signature of %u bytes is larger than the "
		    "limit",
		    f->name, k->sig_len);
	if ((der = malloc(k->sig_len)) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	if ((error = cmp_read(
	         ctx, f, k->sig_off, der, k->sig_len, "module signature")) < 0)
		goto out;
	if ((m->cms = CMS_ContentInfo_new_ex(sp_ctx_libctx(ctx), NULL)) ==
	    NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	p = der;
	/* On failure d2i frees the structure and clears the pointer. */
	if (d2i_CMS_ContentInfo(&m->cms, &p, (long)k->sig_len) == NULL ||
	    OBJ_obj2nid(CMS_get0_type(m->cms)) != NID_pkcs7_signed ||
	    (sis = CMS_get0_SignerInfos(m->cms)) == NULL ||
	    sk_CMS_SignerInfo_num(sis) != 1) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': malformed PKCS#7 module signature", f->name);
		goto out;
	}
	m->si = sk_CMS_SignerInfo_value(sis, 0);
	m->der_len = (size_t)(p - der);
	if ((error = signer_id(ctx, m)) < 0)
		goto out;
	CMS_SignerInfo_get0_algs(m->si, NULL, NULL, &dig, NULL);
	if (dig == NULL ||
	    OBJ_obj2txt(mdname, sizeof(mdname), dig->algorithm, 0) <= 0 ||
	    (m->md = EVP_MD_fetch(sp_ctx_libctx(ctx), mdname, NULL)) == NULL) {
		error = sp_err_set(ctx, SP_EUNSUPPORTED,
		    "'%s': unsupported module signature digest", f->name);
		goto out;
	}
	m->signed_attrs = CMS_signed_get_attr_count(m->si) > 0;
	if (m->der_len != k->sig_len &&
	    (error = cmp_finding(ctx, fs, CMP_FAIL,
	         "module-signature-unaccounted",
	         "%zu bytes after the PKCS#7 module signature are covered "
	         "by no signature",
	         k->sig_len - m->der_len)) < 0)
		goto out;
	/* The kernel accepts only detached signatures of type data. */
	content = CMS_get0_content(m->cms);
	if (content != NULL && *content != NULL &&
	    (error = cmp_finding(ctx, fs, CMP_FAIL, "module-signature-content",
	         "the module signature embeds %d bytes of content; a module "
	         "signature is detached (the kernel refuses it)",
	         (*content)->length)) < 0)
		goto out;
	if (OBJ_obj2nid(CMS_get0_eContentType(m->cms)) != NID_pkcs7_data &&
	    (error = cmp_finding(ctx, fs, CMP_FAIL, "module-signature-content",
	         "the module signature's content type is not pkcs7-data "
	         "(the kernel refuses it)")) < 0)
		goto out;
out:
	ERR_clear_error();
	free(der);
	if (error < 0)
		kmod_cms_dispose(m);
	return error;
}

int
kmod_cms_verify(sp_ctx *ctx, kmod_cms *m, X509 *extra_cert,
    const uint8_t *content_digest, size_t digest_len, const char **why,
    char **subject)
{
	STACK_OF(X509) *certs = CMS_get1_certs(m->cms);
	EVP_PKEY_CTX *pctx = NULL;
	ASN1_OCTET_STRING *sig, *attr;
	X509 *cert = NULL;
	EVP_PKEY *pkey;
	int i, error = SP_EVERIFY;

	*why = NULL;
	*subject = NULL;
	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(m->si, sk_X509_value(certs, i)) ==
		    0) {
			cert = sk_X509_value(certs, i);
			break;
		}
	if (cert == NULL && extra_cert != NULL &&
	    CMS_SignerInfo_cert_cmp(m->si, extra_cert) == 0)
		cert = extra_cert;
	if (cert == NULL) {
		*why = extra_cert != NULL
		           ? "signer certificate neither in the signature nor "
		             "the given one"
		           : "signer certificate not in the signature";
		goto out;
	}
	if ((*subject = cmp_name_text(X509_get_subject_name(cert))) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((pkey = X509_get0_pubkey(cert)) == NULL) {
		*why = "signer public key unusable";
		goto out;
	}
	if ((size_t)EVP_MD_get_size(m->md) != digest_len) {
		*why = "content digest length does not match the algorithm";
		goto out;
	}
	if (m->signed_attrs) {
		/* -3: exactly one messageDigest attribute. */
		attr = CMS_signed_get0_data_by_OBJ(m->si,
		    OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
		    V_ASN1_OCTET_STRING);
		if (attr == NULL || (size_t)attr->length != digest_len ||
		    !sp_ct_equal(attr->data, content_digest, digest_len)) {
			*why = "messageDigest attribute does not match the "
			       "signed content";
			goto out;
		}
		CMS_SignerInfo_set1_signer_cert(m->si, cert);
		if (CMS_SignerInfo_verify(m->si) != 1) {
			*why = "signature over the signed attributes does not "
			       "verify";
			goto out;
		}
		error = 0;
		goto out;
	}
	/* No signed attributes: the signature is over the content digest. */
	sig = CMS_SignerInfo_get0_signature(m->si);
	if (sig == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_pkey(
	         sp_ctx_libctx(ctx), pkey, NULL)) == NULL ||
	    EVP_PKEY_verify_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(pctx, m->md) != 1 ||
	    EVP_PKEY_verify(pctx, sig->data, (size_t)sig->length,
	        content_digest, digest_len) != 1) {
		*why = "signature over the content does not verify";
		goto out;
	}
	error = 0;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(pctx);
	sk_X509_pop_free(certs, X509_free);
	return error;
}
