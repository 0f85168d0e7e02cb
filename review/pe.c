/*
 * Bounded PE32/PE32+ parser: headers, section table, data directories,
 * the certificate table (WIN_CERTIFICATE walk) and the Authenticode
 * signatures in it, nested ones included; Authenticode digests and the
 * PE checksum. Offsets: ../shared/notes/rebuild.md section 1 and
 * docs/spec/compare.md.
 */
#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare_int.h"
#include "util_int.h"

#include "banned.h"

#define PE_DOS_HEADER 64
#define PE_COFF_LEN 20
#define PE_SECTION_LEN 40
#define PE_MAX_ENTRIES 1024

/* ---- small DER reader ------------------------------------------------------
 */

/* Read one TLV with a one-byte tag and a definite length. */
static int
der_next(const uint8_t **p, const uint8_t *end, int *tag, const uint8_t **val,
    size_t *len)
{
	const uint8_t *q = *p;
	size_t l, n, i;

	if (end - q < 2)
		return -1;
	*tag = q[0];
	if ((q[0] & 0x1f) == 0x1f)
		return -1;
	l = q[1];
	q += 2;
	if (l & 0x80) {
		n = l & 0x7f;
		if (n == 0 || n > 4 || (size_t)(end - q) < n)
			return -1;
		for (l = 0, i = 0; i < n; i++)
			l = (l << 8) | q[i];
		q += n;
	}
	if ((size_t)(end - q) < l)
		return -1;
	*val = q;
	*len = l;
	*p = q + l;
	return 0;
}

/* ---- detection and names --------------------------------------------------
 */

bool
pe_detect(const cmp_file *f)
{
	uint8_t dos[PE_DOS_HEADER], sig[4];
	uint32_t e;
	sp_ctx *ctx = NULL;
	bool ok = false;

	if (f->size < PE_DOS_HEADER || sp_ctx_new(&ctx) < 0)
		return false;
	if (cmp_read(ctx, f, 0, dos, sizeof(dos), "DOS header") == 0 &&
	    dos[0] == 'M' && dos[1] == 'Z') {
		e = cmp_le32(dos + 0x3c);
		ok = cmp_read(ctx, f, e, sig, 4, "PE signature") == 0 &&
		     memcmp(sig, "PE\0\0", 4) == 0;
		/* An MZ file whose e_lfanew is out of range is still
		 * meant as PE: let the parser say what is wrong. */
		if (!ok && (uint64_t)e + 4 > f->size && f->size >= 0x80)
			ok = true;
	}
	sp_ctx_free(ctx);
	return ok;
}

const char *
pe_machine_name(uint16_t m)
{
	switch (m) {
	case 0x14c:
		return "i386";
	case 0x8664:
		return "x86_64";
	case 0xaa64:
		return "arm64";
	case 0x1c0:
	case 0x1c4:
		return "arm";
	case 0x200:
		return "ia64";
	case 0xebc:
		return "efi-bytecode";
	case 0x5064:
		return "riscv64";
	default:
		return "unknown";
	}
}

static const char *const dir_names[16] = {"Export", "Import", "Resource",
    "Exception", "Certificate", "BaseReloc", "Debug", "Architecture",
    "GlobalPtr", "TLS", "LoadConfig", "BoundImport", "IAT", "DelayImport",
    "CLR", "Reserved"};

struct field {
	uint16_t off, len;
	const char *name;
};

static const struct field coff_fields[] = {{0, 2, "Machine"},
    {2, 2, "NumberOfSections"}, {4, 4, "TimeDateStamp"},
    {8, 4, "PointerToSymbolTable"}, {12, 4, "NumberOfSymbols"},
    {16, 2, "SizeOfOptionalHeader"}, {18, 2, "Characteristics"}};

static const struct field opt_common[] = {{0, 2, "Magic"},
    {2, 2, "LinkerVersion"}, {4, 4, "SizeOfCode"},
    {8, 4, "SizeOfInitializedData"}, {12, 4, "SizeOfUninitializedData"},
    {16, 4, "AddressOfEntryPoint"}, {20, 4, "BaseOfCode"},
    {32, 4, "SectionAlignment"}, {36, 4, "FileAlignment"},
    {40, 4, "OperatingSystemVersion"}, {44, 4, "ImageVersion"},
    {48, 4, "SubsystemVersion"}, {52, 4, "Win32VersionValue"},
    {56, 4, "SizeOfImage"}, {60, 4, "SizeOfHeaders"}, {68, 2, "Subsystem"},
    {70, 2, "DllCharacteristics"}};

static const struct field opt_pe32[] = {{24, 4, "BaseOfData"},
    {28, 4, "ImageBase"}, {72, 4, "SizeOfStackReserve"},
    {76, 4, "SizeOfStackCommit"}, {80, 4, "SizeOfHeapReserve"},
    {84, 4, "SizeOfHeapCommit"}, {88, 4, "LoaderFlags"},
    {92, 4, "NumberOfRvaAndSizes"}};

static const struct field opt_pe32plus[] = {{24, 8, "ImageBase"},
    {72, 8, "SizeOfStackReserve"}, {80, 8, "SizeOfStackCommit"},
    {88, 8, "SizeOfHeapReserve"}, {96, 8, "SizeOfHeapCommit"},
    {104, 4, "LoaderFlags"}, {108, 4, "NumberOfRvaAndSizes"}};

static int
add_fields(sp_ctx *ctx, cmp_regions *rs, uint64_t base, uint32_t avail,
    const char *prefix, const struct field *fl, size_t n)
{
	size_t i;
	int error;

	for (i = 0; i < n; i++) {
		if (fl[i].off + fl[i].len > avail)
			continue;
		if ((error =
		            cmp_region_add(ctx, rs, base + fl[i].off, fl[i].len,
		                CMP_RK_PLAIN, "%s.%s", prefix, fl[i].name)) < 0)
			return error;
	}
	return 0;
}

/* Printable copy of a section name. */
static void
section_label(char *out, size_t outlen, const char name[9])
{
	char *c = cmp_clean(name, strnlen(name, 8), 8);

	snprintf(out, outlen, "%s", c != NULL ? c : "?");
	free(c);
}

/* ---- signatures ------------------------------------------------------------
 */

static const char OID_SPC_INDIRECT[] = "1.3.6.1.4.1.311.2.1.4";
static const char OID_SPC_PE_IMAGE[] = "1.3.6.1.4.1.311.2.1.15";
static const char OID_NESTED[] = "1.3.6.1.4.1.311.2.4.1";
static const char OID_RFC3161[] = "1.3.6.1.4.1.311.3.3.1";
static const char OID_COUNTERSIG[] = "1.2.840.113549.1.9.6";
/* DER of the page-hash OIDs 1.3.6.1.4.1.311.2.3.1 and .2 (without tag). */
static const uint8_t OID_PAGE_HASH_V1[] = {
    0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x03, 0x01};
static const uint8_t OID_PAGE_HASH_V2[] = {
    0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x03, 0x02};

static bool
obj_is(const ASN1_OBJECT *o, const char *oid)
{
	char txt[80];

	return o != NULL && OBJ_obj2txt(txt, sizeof(txt), o, 1) > 0 &&
	       strcmp(txt, oid) == 0;
}

const EVP_MD *
pe_md_fetch(sp_ctx *ctx, int nid)
{
	(void)ctx;
	switch (nid) {
	case NID_sha1:
		return EVP_sha1();
	case NID_sha256:
		return EVP_sha256();
	case NID_sha384:
		return EVP_sha384();
	case NID_sha512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static bool
mem_has(const uint8_t *h, size_t hl, const uint8_t *n, size_t nl)
{
	size_t i;

	for (i = 0; i + nl <= hl; i++)
		if (memcmp(h + i, n, nl) == 0)
			return true;
	return false;
}

/*
 * SpcIndirectDataContent ::= SEQUENCE { data SpcAttributeTypeAndOptional
 * Value, messageDigest DigestInfo }. @p seq is the whole TLV.
 */
static int
parse_indirect(sp_ctx *ctx, pe_sig *s, const uint8_t *seq, size_t seqlen,
    const uint8_t **inner, size_t *innerlen)
{
	const uint8_t *p = seq, *end = seq + seqlen, *v, *q, *qe, *a, *ae;
	const uint8_t *oid, *d;
	size_t l, al, oidl, dl;
	int tag;
	ASN1_OBJECT *obj = NULL;
	const unsigned char *op;
	uint8_t tlv[64];

	if (der_next(&p, end, &tag, &v, &l) < 0 || tag != 0x30 || p != end)
		goto bad;
	*inner = v;
	*innerlen = l;
	q = v;
	qe = v + l;
	/* data: SEQUENCE { type OID, value ANY } */
	if (der_next(&q, qe, &tag, &a, &al) < 0 || tag != 0x30)
		goto bad;
	ae = a + al;
	if (der_next(&a, ae, &tag, &oid, &oidl) < 0 || tag != 0x06)
		goto bad;
	if (oidl + 2 > sizeof(tlv))
		goto bad;
	tlv[0] = 0x06;
	tlv[1] = (uint8_t)oidl;
	memcpy(tlv + 2, oid, oidl);
	op = tlv;
	if ((obj = d2i_ASN1_OBJECT(NULL, &op, (long)(oidl + 2))) == NULL)
		goto bad;
	if (!obj_is(obj, OID_SPC_PE_IMAGE)) {
		ASN1_OBJECT_free(obj);
		return sp_err_set(ctx, SP_EPARSE,
		    "signature content is not for a PE image "
		    "(SpcAttributeTypeAndOptionalValue type)");
	}
	ASN1_OBJECT_free(obj);
	obj = NULL;
	s->page_hashes = mem_has(a, (size_t)(ae - a), OID_PAGE_HASH_V1,
	                     sizeof(OID_PAGE_HASH_V1)) ||
	                 mem_has(a, (size_t)(ae - a), OID_PAGE_HASH_V2,
	                     sizeof(OID_PAGE_HASH_V2));
	/* messageDigest: SEQUENCE { AlgorithmIdentifier, OCTET STRING } */
	if (der_next(&q, qe, &tag, &a, &al) < 0 || tag != 0x30 || q != qe)
		goto bad;
	ae = a + al;
	if (der_next(&a, ae, &tag, &d, &dl) < 0 || tag != 0x30)
		goto bad;
	{
		const uint8_t *dp = d, *de = d + dl;

		if (der_next(&dp, de, &tag, &oid, &oidl) < 0 || tag != 0x06 ||
		    oidl + 2 > sizeof(tlv))
			goto bad;
	}
	tlv[0] = 0x06;
	tlv[1] = (uint8_t)oidl;
	memcpy(tlv + 2, oid, oidl);
	op = tlv;
	if ((obj = d2i_ASN1_OBJECT(NULL, &op, (long)(oidl + 2))) == NULL)
		goto bad;
	s->md_nid = OBJ_obj2nid(obj);
	ASN1_OBJECT_free(obj);
	if (der_next(&a, ae, &tag, &d, &dl) < 0 || tag != 0x04 || a != ae ||
	    dl > sizeof(s->digest))
		goto bad;
	memcpy(s->digest, d, dl);
	s->digest_len = (unsigned)dl;
	s->md_name = s->md_nid != NID_undef ? OBJ_nid2ln(s->md_nid) : "unknown";
	return 0;
bad:
	return sp_err_set(ctx, SP_EPARSE,
	    "malformed SpcIndirectDataContent in an Authenticode signature");
}

void
pe_sig_dispose(pe_sig *s)
{
	free(s->subject);
	free(s->issuer);
	free(s->serial);
	free(s->signing_time);
	free(s->timestamp_time);
	free(s->sig_error);
	memset(s, 0, sizeof(*s));
}

static char *
time_text(const ASN1_TYPE *t)
{
	char buf[SP_TIME_STR_LEN];

	if (t == NULL ||
	    (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME))
		return NULL;
	if (cmp_asn1_time(buf, t->value.asn1_string) < 0)
		return NULL;
	return strdup(buf);
}

/* A timestamp: RFC 3161 token or legacy counter-signature. */
static int
parse_timestamp(sp_ctx *ctx, pe_sig *s, PKCS7_SIGNER_INFO *si,
    const ASN1_TYPE *v, bool rfc3161, cmp_findings *fs)
{
	const unsigned char *p;
	PKCS7 *tok = NULL;
	TS_TST_INFO *tst = NULL;
	PKCS7_SIGNER_INFO *cs = NULL;
	char buf[SP_TIME_STR_LEN];
	int error = 0;

	if (v->type != V_ASN1_SEQUENCE)
		return cmp_finding(ctx, fs, CMP_FAIL, "timestamp-malformed",
		    "%s: timestamp attribute is not a SEQUENCE", s->where);
	p = v->value.sequence->data;
	if (rfc3161) {
		const ASN1_OCTET_STRING *imprint;
		const X509_ALGOR *alg;
		const EVP_MD *md;
		uint8_t d[EVP_MAX_MD_SIZE];
		unsigned dl = 0;

		tok = d2i_PKCS7(NULL, &p, v->value.sequence->length);
		if (tok == NULL || (tst = PKCS7_to_TS_TST_INFO(tok)) == NULL) {
			error = cmp_finding(ctx, fs, CMP_FAIL,
			    "timestamp-malformed",
			    "%s: RFC 3161 timestamp token cannot be parsed",
			    s->where);
			goto out;
		}
		if (cmp_asn1_time(buf, TS_TST_INFO_get_time(tst)) == 0 &&
		    (s->timestamp_time = strdup(buf)) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		s->timestamp_kind = "rfc3161";
		/* The token must stamp this signature's value. */
		imprint =
		    TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(tst));
		alg = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst));
		md = pe_md_fetch(ctx, OBJ_obj2nid(alg->algorithm));
		if (md == NULL ||
		    !EVP_Digest(si->enc_digest->data,
		        (size_t)si->enc_digest->length, d, &dl, md, NULL) ||
		    (unsigned)imprint->length != dl ||
		    memcmp(imprint->data, d, dl) != 0)
			error = cmp_finding(ctx, fs, CMP_WARN,
			    "timestamp-imprint",
			    "%s: the RFC 3161 timestamp does not stamp this "
			    "signature",
			    s->where);
	} else {
		cs = d2i_PKCS7_SIGNER_INFO(NULL, &p, v->value.sequence->length);
		if (cs == NULL) {
			error = cmp_finding(ctx, fs, CMP_FAIL,
			    "timestamp-malformed",
			    "%s: counter-signature cannot be parsed", s->where);
			goto out;
		}
		s->timestamp_time = time_text(
		    PKCS7_get_signed_attribute(cs, NID_pkcs9_signingTime));
		s->timestamp_kind = "authenticode";
	}
out:
	ERR_clear_error();
	TS_TST_INFO_free(tst);
	PKCS7_free(tok);
	PKCS7_SIGNER_INFO_free(cs);
	return error;
}

static int
grow_sigs(sp_ctx *ctx, pe_sig **sigs, size_t *n)
{
	pe_sig *nv;

	if (*n >= PE_MAX_SIGNATURES)
		return sp_err_set(ctx, SP_ELIMIT,
		    "more than %d Authenticode signatures", PE_MAX_SIGNATURES);
	if ((nv = realloc(*sigs, (*n + 1) * sizeof(*nv))) == NULL)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	*sigs = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	(*n)++;
	return 0;
}

int
pe_parse_pkcs7(sp_ctx *ctx, const uint8_t *der, size_t len, unsigned entry,
    int depth, pe_sig **sigs, size_t *nsigs, size_t *used, cmp_findings *fs)
{
	const unsigned char *p = der;
	PKCS7 *p7 = NULL;
	STACK_OF(PKCS7_SIGNER_INFO) * sis;
	PKCS7_SIGNER_INFO *si;
	const uint8_t *inner = NULL;
	size_t innerlen = 0, idx;
	X509 *cert;
	pe_sig *s;
	const char *why = NULL;
	int error = 0, i, j;

	if (len > (size_t)LONG_MAX)
		len = (size_t)LONG_MAX;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	if (p7 == NULL) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "certificate table entry %u: malformed PKCS#7 signature",
		    entry);
		goto out;
	}
	if (used != NULL)
		*used = (size_t)(p - der);
	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL ||
	    p7->d.sign->contents == NULL ||
	    !obj_is(p7->d.sign->contents->type, OID_SPC_INDIRECT) ||
	    p7->d.sign->contents->d.other == NULL ||
	    p7->d.sign->contents->d.other->type != V_ASN1_SEQUENCE) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "certificate table entry %u: PKCS#7 is not an "
		    "Authenticode SignedData (SpcIndirectDataContent)",
		    entry);
		goto out;
	}
	if ((error = grow_sigs(ctx, sigs, nsigs)) < 0)
		goto out;
	idx = *nsigs - 1;
	s = &(*sigs)[idx];
	s->entry = entry;
	s->nested_depth = depth;
	if (depth == 0)
		snprintf(s->where, sizeof(s->where), "signature %u", entry);
	else
		snprintf(
		    s->where, sizeof(s->where), "signature %u.%zu", entry, idx);
	if ((error = parse_indirect(ctx, s,
	         p7->d.sign->contents->d.other->value.sequence->data,
	         (size_t)p7->d.sign->contents->d.other->value.sequence->length,
	         &inner, &innerlen)) < 0)
		goto out;
	if (pe_md_fetch(ctx, s->md_nid) == NULL ||
	    (int)s->digest_len != EVP_MD_get_size(pe_md_fetch(ctx, s->md_nid)))
		if ((error = cmp_finding(ctx, fs, CMP_FAIL, "digest-algorithm",
		         "%s: unsupported digest algorithm '%s' (%u bytes)",
		         s->where, s->md_name, s->digest_len)) < 0)
			goto out;
	sis = PKCS7_get_signer_info(p7);
	if (sis == NULL || sk_PKCS7_SIGNER_INFO_num(sis) != 1) {
		error = cmp_finding(ctx, fs, CMP_FAIL, "signer-count",
		    "%s: Authenticode requires exactly one SignerInfo, found "
		    "%d",
		    s->where, sis ? sk_PKCS7_SIGNER_INFO_num(sis) : 0);
		s->sig_error = strdup("not exactly one SignerInfo");
		goto out;
	}
	si = sk_PKCS7_SIGNER_INFO_value(sis, 0);
	if (si->issuer_and_serial != NULL &&
	    (cert = X509_find_by_issuer_and_serial(p7->d.sign->cert,
	         si->issuer_and_serial->issuer,
	         si->issuer_and_serial->serial)) != NULL) {
		ASN1_INTEGER *sn = X509_get_serialNumber(cert);
		BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;

		s->subject = cmp_name_text(X509_get_subject_name(cert));
		s->issuer = cmp_name_text(X509_get_issuer_name(cert));
		s->serial = hex ? strdup(hex) : NULL;
		OPENSSL_free(hex);
		BN_free(bn);
	}
	s->signing_time =
	    time_text(PKCS7_get_signed_attribute(si, NID_pkcs9_signingTime));
	/* Integrity of the signature itself (no chain, no trust). */
	{
		const EVP_MD *smd;
		char mdname[64];
		uint8_t cd[EVP_MAX_MD_SIZE];
		unsigned cdl = 0;
		EVP_MD *fetched = NULL;

		if (OBJ_obj2txt(mdname, sizeof(mdname),
		        si->digest_alg->algorithm, 0) > 0)
			fetched =
			    EVP_MD_fetch(sp_ctx_libctx(ctx), mdname, NULL);
		smd = fetched;
		if (smd == NULL ||
		    !EVP_Digest(inner, innerlen, cd, &cdl, smd, NULL)) {
			why = "unsupported signer digest algorithm";
		} else if ((error = cmp_verify_signer(ctx, p7, si, NULL, cd,
		                cdl, &why)) == SP_EVERIFY) {
			error = 0;
		} else if (error < 0) {
			EVP_MD_free(fetched);
			goto out;
		}
		EVP_MD_free(fetched);
		ERR_clear_error();
	}
	s->sig_valid = why == NULL;
	if (why != NULL && (s->sig_error = strdup(why)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	/* Unauthenticated attributes: nested signatures, timestamps. */
	for (i = 0; i < sk_X509_ATTRIBUTE_num(si->unauth_attr); i++) {
		X509_ATTRIBUTE *attr =
		    sk_X509_ATTRIBUTE_value(si->unauth_attr, i);
		const ASN1_OBJECT *o = X509_ATTRIBUTE_get0_object(attr);
		int nv = X509_ATTRIBUTE_count(attr);
		char oid[80];

		if (obj_is(o, OID_NESTED)) {
			for (j = 0; j < nv; j++) {
				ASN1_TYPE *v =
				    X509_ATTRIBUTE_get0_type(attr, j);
				size_t u = 0;

				if (v == NULL || v->type != V_ASN1_SEQUENCE) {
					error = sp_err_set(ctx, SP_EPARSE,
					    "certificate table entry %u: "
					    "malformed nested signature",
					    entry);
					goto out;
				}
				if (depth + 1 > PE_MAX_NEST_DEPTH) {
					error = sp_err_set(ctx, SP_ELIMIT,
					    "certificate table entry %u: "
					    "signatures nested deeper than %d",
					    entry, PE_MAX_NEST_DEPTH);
					goto out;
				}
				if ((error = pe_parse_pkcs7(ctx,
				         v->value.sequence->data,
				         (size_t)v->value.sequence->length,
				         entry, depth + 1, sigs, nsigs, &u,
				         fs)) < 0)
					goto out;
			}
			continue;
		}
		s = &(*sigs)[idx]; /* the array may have moved */
		if (obj_is(o, OID_RFC3161) || obj_is(o, OID_COUNTERSIG)) {
			for (j = 0; j < nv; j++) {
				ASN1_TYPE *v =
				    X509_ATTRIBUTE_get0_type(attr, j);

				if (v != NULL &&
				    (error = parse_timestamp(ctx, s, si, v,
				         obj_is(o, OID_RFC3161), fs)) < 0)
					goto out;
			}
			continue;
		}
		if (OBJ_obj2txt(oid, sizeof(oid), o, 1) <= 0)
			snprintf(oid, sizeof(oid), "?");
		if ((error = cmp_finding(ctx, fs, CMP_FAIL,
		         "unauthenticated-attribute",
		         "%s: unauthenticated attribute %s carries data no "
		         "signature covers",
		         s->where, oid)) < 0)
			goto out;
	}
out:
	ERR_clear_error();
	PKCS7_free(p7);
	return error;
}

/* ---- headers ---------------------------------------------------------------
 */

void
pe_dispose(pe_image *pe)
{
	size_t i;

	for (i = 0; i < pe->nsigs; i++)
		pe_sig_dispose(&pe->sigs[i]);
	free(pe->sigs);
	free(pe->sections);
	memset(pe, 0, sizeof(*pe));
}

static int
by_raw_ptr(const void *a, const void *b)
{
	const pe_section *x = *(pe_section *const *)a,
	                 *y = *(pe_section *const *)b;

	return x->raw_ptr < y->raw_ptr ? -1 : x->raw_ptr > y->raw_ptr;
}

static int
walk_cert_table(sp_ctx *ctx, pe_image *pe, const cmp_file *f, cmp_findings *fs)
{
	uint64_t off = pe->cert_va, end = (uint64_t)pe->cert_va + pe->cert_size;
	uint8_t hdr[8], *blob = NULL;
	int error = 0;

	while (off < end) {
		uint32_t dwlen, left = (uint32_t)(end - off), body;
		uint16_t rev, type;
		size_t used = 0, k;
		uint64_t next;

		if (pe->cert_entries >= PE_MAX_ENTRIES) {
			error = sp_err_set(ctx, SP_ELIMIT,
			    "'%s': more than %d certificate table entries",
			    f->name, PE_MAX_ENTRIES);
			goto out;
		}
		if (left < 8) {
			error = cmp_finding(ctx, fs, CMP_FAIL,
			    "cert-table-unaccounted",
			    "%u bytes at the end of the certificate table "
			    "(offset %llu) belong to no entry",
			    left, (unsigned long long)off);
			goto out;
		}
		if ((error = cmp_read(
		         ctx, f, off, hdr, 8, "certificate table entry")) < 0)
			goto out;
		dwlen = cmp_le32(hdr);
		rev = cmp_le16(hdr + 4);
		type = cmp_le16(hdr + 6);
		if (dwlen < 8) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': certificate table entry %u at offset %llu "
			    "has dwLength %u (less than its 8-byte header)",
			    f->name, pe->cert_entries, (unsigned long long)off,
			    dwlen);
			goto out;
		}
		if (dwlen > left) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': certificate table entry %u at offset %llu "
			    "has dwLength %u, past the end of the table (%u "
			    "bytes left)",
			    f->name, pe->cert_entries, (unsigned long long)off,
			    dwlen, left);
			goto out;
		}
		body = dwlen - 8;
		if (rev != 0x0200 && rev != 0x0100 &&
		    (error = cmp_finding(ctx, fs, CMP_WARN, "cert-revision",
		         "certificate table entry %u has revision 0x%04x",
		         pe->cert_entries, rev)) < 0)
			goto out;
		if (type != 2) {
			if ((error = cmp_finding(ctx, fs, CMP_FAIL,
			         "cert-table-unaccounted",
			         "certificate table entry %u has type %u, not "
			         "an Authenticode signature: %u bytes no "
			         "signature covers",
			         pe->cert_entries, type, dwlen)) < 0)
				goto out;
		} else {
			free(blob);
			if ((blob = malloc(body ? body : 1)) == NULL) {
				error =
				    sp_err_set(ctx, SP_ENOMEM, "out of memory");
				goto out;
			}
			if ((error = cmp_read(ctx, f, off + 8, blob, body,
			         "certificate")) < 0)
				goto out;
			if ((error = pe_parse_pkcs7(ctx, blob, body,
			         pe->cert_entries, 0, &pe->sigs, &pe->nsigs,
			         &used, fs)) < 0) {
				char msg[SP_ERRMSG_MAX];

				snprintf(
				    msg, sizeof(msg), "%s", sp_ctx_errmsg(ctx));
				sp_err_set(
				    ctx, error, "'%s': %s", f->name, msg);
				goto out;
			}
			for (k = used; k < body && blob[k] == 0; k++)
				;
			if (k < body || body - used >= 8) {
				if ((error = cmp_finding(ctx, fs, CMP_FAIL,
				         "cert-table-unaccounted",
				         "certificate table entry %u: %zu "
				         "bytes after the PKCS#7 signature "
				         "(offset %llu) are not zero padding: "
				         "unauthenticated data",
				         pe->cert_entries, body - used,
				         (unsigned long long)(off + 8 +
				                              used))) < 0)
					goto out;
			}
		}
		pe->cert_entries++;
		next = off + (((uint64_t)dwlen + 7) & ~(uint64_t)7);
		if (next > end) {
			/* Last entry without its padding to 8. */
			next = end;
		} else {
			uint8_t pad[8];
			uint64_t plen = next - off - dwlen;

			if (plen > 0 && (error = cmp_read(ctx, f, off + dwlen,
			                     pad, (size_t)plen, "padding")) < 0)
				goto out;
			for (k = 0; k < plen; k++)
				if (pad[k] != 0)
					break;
			if (k < plen &&
			    (error = cmp_finding(ctx, fs, CMP_FAIL,
			         "cert-table-unaccounted",
			         "certificate table entry %u: non-zero padding "
			         "at offset %llu",
			         pe->cert_entries - 1,
			         (unsigned long long)(off + dwlen))) < 0)
				goto out;
		}
		off = next;
	}
out:
	free(blob);
	return error;
}

int
pe_parse(sp_ctx *ctx, pe_image *pe, const cmp_file *f, cmp_findings *fs,
    cmp_regions *rs)
{
	uint8_t dos[PE_DOS_HEADER], coff[4 + PE_COFF_LEN], *opt = NULL;
	uint8_t *sectab = NULL;
	pe_section **order = NULL;
	uint64_t opt_off, sec_off, dd_off, last_end = 0;
	uint32_t i, ndirs;
	int error = 0;
	char lab[64];

	memset(pe, 0, sizeof(*pe));
	pe->file_size = f->size;
	if (f->size < PE_DOS_HEADER) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': truncated DOS header (%llu bytes)", f->name,
		    (unsigned long long)f->size);
		goto out;
	}
	if ((error = cmp_read(ctx, f, 0, dos, sizeof(dos), "DOS header")) < 0)
		goto out;
	if (dos[0] != 'M' || dos[1] != 'Z') {
		error = sp_err_set(
		    ctx, SP_EPARSE, "'%s': no MZ signature", f->name);
		goto out;
	}
	pe->e_lfanew = cmp_le32(dos + 0x3c);
	if ((uint64_t)pe->e_lfanew + sizeof(coff) > f->size) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': e_lfanew (%u) points past the end of the file (%llu "
		    "bytes)",
		    f->name, pe->e_lfanew, (unsigned long long)f->size);
		goto out;
	}
	if ((error = cmp_read(
	         ctx, f, pe->e_lfanew, coff, sizeof(coff), "COFF header")) < 0)
		goto out;
	if (memcmp(coff, "PE\0\0", 4) != 0) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': no PE signature at e_lfanew (%u)", f->name,
		    pe->e_lfanew);
		goto out;
	}
	pe->machine = cmp_le16(coff + 4);
	pe->nsections = cmp_le16(coff + 6);
	pe->timestamp = cmp_le32(coff + 8);
	pe->opt_size = cmp_le16(coff + 20);
	opt_off = (uint64_t)pe->e_lfanew + 24;
	if (pe->opt_size < 2 || opt_off + pe->opt_size > f->size) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': truncated optional header (SizeOfOptionalHeader "
		    "%u at offset %llu, file has %llu bytes)",
		    f->name, pe->opt_size, (unsigned long long)opt_off,
		    (unsigned long long)f->size);
		goto out;
	}
	if ((opt = malloc(pe->opt_size)) == NULL) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = cmp_read(
	         ctx, f, opt_off, opt, pe->opt_size, "optional header")) < 0)
		goto out;
	pe->magic = cmp_le16(opt);
	if (pe->magic != 0x10b && pe->magic != 0x20b) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': unknown optional header magic 0x%04x", f->name,
		    pe->magic);
		goto out;
	}
	pe->plus = pe->magic == 0x20b;
	dd_off = pe->plus ? 112 : 96;
	if (pe->opt_size < dd_off) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': optional header too small (%u bytes, needs %llu)",
		    f->name, pe->opt_size, (unsigned long long)dd_off);
		goto out;
	}
	pe->size_of_headers = cmp_le32(opt + 60);
	pe->checksum = cmp_le32(opt + 64);
	pe->checksum_off = opt_off + 64;
	pe->num_rva = cmp_le32(opt + dd_off - 4);
	if (dd_off + (uint64_t)pe->num_rva * 8 > pe->opt_size) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': NumberOfRvaAndSizes (%u) does not fit the optional "
		    "header (%u bytes)",
		    f->name, pe->num_rva, pe->opt_size);
		goto out;
	}
	ndirs = pe->num_rva < 16 ? pe->num_rva : 16;
	if (pe->size_of_headers > f->size) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': SizeOfHeaders (%u) is past the end of the file",
		    f->name, pe->size_of_headers);
		goto out;
	}
	if (ndirs >= 5) {
		pe->has_certdir = true;
		pe->certdir_off = opt_off + dd_off + 4 * 8;
		pe->cert_va = cmp_le32(opt + dd_off + 32);
		pe->cert_size = cmp_le32(opt + dd_off + 36);
	}
	/* Section table. */
	sec_off = opt_off + pe->opt_size;
	if (sec_off + (uint64_t)pe->nsections * PE_SECTION_LEN > f->size) {
		error = sp_err_set(ctx, SP_EPARSE,
		    "'%s': section table (%u sections at offset %llu) runs "
		    "past the end of the file",
		    f->name, pe->nsections, (unsigned long long)sec_off);
		goto out;
	}
	if (pe->nsections > 0) {
		if ((sectab = malloc((size_t)pe->nsections * PE_SECTION_LEN)) ==
		        NULL ||
		    (pe->sections = calloc(
		         pe->nsections, sizeof(*pe->sections))) == NULL ||
		    (order = calloc(pe->nsections, sizeof(*order))) == NULL) {
			error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
			goto out;
		}
		if ((error = cmp_read(ctx, f, sec_off, sectab,
		         (size_t)pe->nsections * PE_SECTION_LEN,
		         "section table")) < 0)
			goto out;
	}
	pe->data_end = f->size;
	if (pe->has_certdir && (pe->cert_va != 0 || pe->cert_size != 0)) {
		uint64_t cend = (uint64_t)pe->cert_va + pe->cert_size;

		if (pe->cert_va == 0 || pe->cert_size == 0) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': certificate table entry is half empty "
			    "(offset %u, size %u)",
			    f->name, pe->cert_va, pe->cert_size);
			goto out;
		}
		if (pe->cert_size > PE_MAX_CERT_TABLE) {
			error = sp_err_set(ctx, SP_ELIMIT,
			    "'%s': certificate table of %u bytes is larger "
			    "than the %u-byte limit",
			    f->name, pe->cert_size, PE_MAX_CERT_TABLE);
			goto out;
		}
		if (cend != f->size) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': certificate table (offset %u, size %u) is "
			    "not at the end of the file (%llu bytes)",
			    f->name, pe->cert_va, pe->cert_size,
			    (unsigned long long)f->size);
			sp_err_hint(ctx,
			    "bytes after the certificate table are "
			    "covered by no signature");
			goto out;
		}
		if (pe->cert_va % 8 != 0) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': certificate table offset %u is not a "
			    "multiple of 8",
			    f->name, pe->cert_va);
			goto out;
		}
		if (pe->cert_va < pe->size_of_headers ||
		    pe->cert_va < sec_off + (uint64_t)pe->nsections * 40) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': certificate table (offset %u) overlaps the "
			    "headers",
			    f->name, pe->cert_va);
			goto out;
		}
		pe->data_end = pe->cert_va;
	}
	for (i = 0; i < pe->nsections; i++) {
		const uint8_t *s = sectab + (size_t)i * PE_SECTION_LEN;
		pe_section *sec = &pe->sections[i];

		memcpy(sec->name, s, 8);
		sec->name[8] = '\0';
		sec->vsize = cmp_le32(s + 8);
		sec->vaddr = cmp_le32(s + 12);
		sec->raw_size = cmp_le32(s + 16);
		sec->raw_ptr = cmp_le32(s + 20);
		order[i] = sec;
		if (sec->raw_size == 0)
			continue;
		section_label(lab, sizeof(lab), sec->name);
		if ((uint64_t)sec->raw_ptr + sec->raw_size > f->size) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': section %u '%s' (offset %u, %u bytes) "
			    "runs past the end of the file (%llu bytes)",
			    f->name, i, lab, sec->raw_ptr, sec->raw_size,
			    (unsigned long long)f->size);
			goto out;
		}
		if ((uint64_t)sec->raw_ptr + sec->raw_size > pe->data_end) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': section %u '%s' overlaps the certificate "
			    "table",
			    f->name, i, lab);
			goto out;
		}
		if (sec->raw_ptr < sec_off + (uint64_t)pe->nsections * 40) {
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': section %u '%s' (offset %u) overlaps the "
			    "headers",
			    f->name, i, lab, sec->raw_ptr);
			goto out;
		}
	}
	if (pe->nsections > 0)
		qsort(order, pe->nsections, sizeof(*order), by_raw_ptr);
	for (i = 0; i < pe->nsections; i++) {
		pe_section *s = order[i];
		uint64_t e = (uint64_t)s->raw_ptr + s->raw_size;

		if (s->raw_size == 0)
			continue;
		if (s->raw_ptr < last_end) {
			char a[64], b[64];
			uint32_t k;

			section_label(b, sizeof(b), s->name);
			a[0] = '\0';
			for (k = i; k-- > 0;)
				if (order[k]->raw_size > 0) {
					section_label(
					    a, sizeof(a), order[k]->name);
					break;
				}
			error = sp_err_set(ctx, SP_EPARSE,
			    "'%s': sections '%s' and '%s' overlap in the file",
			    f->name, a, b);
			goto out;
		}
		last_end = e;
	}
	/* Regions, most specific wins. */
	if (rs != NULL) {
		if ((error = cmp_region_add(ctx, rs, 0, PE_DOS_HEADER,
		         CMP_RK_PLAIN, "DOS header")) < 0 ||
		    (error = cmp_region_add(ctx, rs, 0x3c, 4, CMP_RK_PLAIN,
		         "DOS header.e_lfanew")) < 0 ||
		    (pe->e_lfanew > PE_DOS_HEADER &&
		        (error = cmp_region_add(ctx, rs, PE_DOS_HEADER,
		             pe->e_lfanew - PE_DOS_HEADER, CMP_RK_PLAIN,
		             "DOS stub")) < 0) ||
		    (error = cmp_region_add(ctx, rs, pe->e_lfanew, 4,
		         CMP_RK_PLAIN, "PE signature")) < 0 ||
		    (error = add_fields(ctx, rs, pe->e_lfanew + 4, PE_COFF_LEN,
		         "COFF header", coff_fields,
		         SP_ARRAY_SIZE(coff_fields))) < 0 ||
		    (error = cmp_region_add(ctx, rs, opt_off, pe->opt_size,
		         CMP_RK_PLAIN, "optional header")) < 0 ||
		    (error = add_fields(ctx, rs, opt_off, pe->opt_size,
		         "optional header", opt_common,
		         SP_ARRAY_SIZE(opt_common))) < 0 ||
		    (error = add_fields(ctx, rs, opt_off, pe->opt_size,
		         "optional header", pe->plus ? opt_pe32plus : opt_pe32,
		         pe->plus ? SP_ARRAY_SIZE(opt_pe32plus)
		                  : SP_ARRAY_SIZE(opt_pe32))) < 0 ||
		    (error = cmp_region_add(ctx, rs, pe->checksum_off, 4,
		         CMP_RK_NORMALIZED, "optional header.CheckSum")) < 0)
			goto out;
		for (i = 0; i < ndirs; i++) {
			if ((error = cmp_region_add(ctx, rs,
			         opt_off + dd_off + (uint64_t)i * 8, 8,
			         i == 4 ? CMP_RK_NORMALIZED : CMP_RK_PLAIN,
			         "data directory[%u] (%s)", i, dir_names[i])) <
			    0)
				goto out;
		}
		for (i = 0; i < pe->nsections; i++) {
			pe_section *s = &pe->sections[i];

			section_label(lab, sizeof(lab), s->name);
			if ((error = cmp_region_add(ctx, rs,
			         sec_off + (uint64_t)i * PE_SECTION_LEN,
			         PE_SECTION_LEN, CMP_RK_PLAIN,
			         "section header '%s'", lab)) < 0 ||
			    (error = cmp_region_add(ctx, rs, s->raw_ptr,
			         s->raw_size, CMP_RK_PLAIN, "section '%s'",
			         lab)) < 0)
				goto out;
		}
		if (last_end < pe->data_end &&
		    (error = cmp_region_add(ctx, rs, last_end,
		         pe->data_end - last_end, CMP_RK_PLAIN,
		         last_end ? "overlay (after the last section)"
		                  : "data")) < 0)
			goto out;
		if (pe->data_end < f->size &&
		    (error = cmp_region_add(ctx, rs, pe->data_end,
		         f->size - pe->data_end, CMP_RK_SIGNATURE,
		         "certificate table")) < 0)
			goto out;
		rs->gap_label = "headers (padding)";
	}
	if (pe->data_end < f->size &&
	    (error = walk_cert_table(ctx, pe, f, fs)) < 0)
		goto out;
out:
	if (error < 0) {
		size_t k;

		for (k = 0; k < pe->nsigs; k++)
			pe_sig_dispose(&pe->sigs[k]);
		free(pe->sigs);
		pe->sigs = NULL;
		pe->nsigs = 0;
		free(pe->sections);
		pe->sections = NULL;
	}
	free(order);
	free(sectab);
	free(opt);
	return error;
}

bool
pe_layout_has_gaps(const pe_image *pe)
{
	uint64_t pos = pe->size_of_headers;
	uint32_t i;
	pe_section **order;
	bool gaps = false;

	if (pe->nsections == 0)
		return false;
	if ((order = calloc(pe->nsections, sizeof(*order))) == NULL)
		return true;
	for (i = 0; i < pe->nsections; i++)
		order[i] = &pe->sections[i];
	qsort(order, pe->nsections, sizeof(*order), by_raw_ptr);
	for (i = 0; i < pe->nsections; i++) {
		if (order[i]->raw_size == 0)
			continue;
		if (order[i]->raw_ptr != pos) {
			gaps = true;
			break;
		}
		pos += order[i]->raw_size;
	}
	free(order);
	return gaps;
}

/* ---- Authenticode digests
 * ----------------------------------------------------
 */

int
pe_auth_hash_init(
    sp_ctx *ctx, pe_auth_hash *h, const pe_image *pe, const int *nids, size_t n)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	h->skip1 = pe->checksum_off;
	h->skip1_len = 4;
	if (pe->has_certdir) {
		h->skip2 = pe->certdir_off;
		h->skip2_len = 8;
	}
	h->end = (pe->data_end + 7) & ~(uint64_t)7;
	for (i = 0; i < n && h->n < SP_ARRAY_SIZE(h->md); i++) {
		const EVP_MD *md = pe_md_fetch(ctx, nids[i]);
		size_t k;

		for (k = 0; k < h->n; k++)
			if (h->nid[k] == nids[i])
				break;
		if (md == NULL || k < h->n)
			continue;
		if ((h->md[h->n] = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(h->md[h->n], md, NULL) != 1) {
			pe_auth_hash_dispose(h);
			return sp_err_set(ctx, SP_ENOMEM, "out of memory");
		}
		h->nid[h->n++] = nids[i];
	}
	return 0;
}

static int
hash_piece(pe_auth_hash *h, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (EVP_DigestUpdate(h->md[i], p, len) != 1)
			return -1;
	return 0;
}

int
pe_auth_hash_update(
    sp_ctx *ctx, pe_auth_hash *h, uint64_t off, const uint8_t *p, size_t len)
{
	uint64_t end = off + len, cur = off;
	uint64_t cut[4];
	size_t i;

	if (h->n == 0)
		return 0;
	if (end > h->end)
		end = h->end;
	cut[0] = h->skip1;
	cut[1] = h->skip1 + h->skip1_len;
	cut[2] = h->skip2;
	cut[3] = h->skip2 + h->skip2_len;
	while (cur < end) {
		uint64_t stop = end;

		/* Inside a skipped field: jump past it. */
		if (cur >= cut[0] && cur < cut[1]) {
			cur = cut[1];
			continue;
		}
		if (h->skip2_len && cur >= cut[2] && cur < cut[3]) {
			cur = cut[3];
			continue;
		}
		for (i = 0; i < 4; i += 2)
			if ((i == 0 || h->skip2_len) && cut[i] > cur &&
			    cut[i] < stop)
				stop = cut[i];
		if (hash_piece(h, p + (cur - off), (size_t)(stop - cur)) < 0)
			return sp_err_set(ctx, SP_ERROR, "digest failed");
		cur = stop;
	}
	return 0;
}

int
pe_auth_hash_final(
    sp_ctx *ctx, pe_auth_hash *h, int nid, uint8_t *out, unsigned *outlen)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		if (h->nid[i] != nid)
			continue;
		if (EVP_DigestFinal_ex(h->md[i], out, outlen) != 1)
			return sp_err_set(ctx, SP_ERROR, "digest failed");
		return 0;
	}
	return sp_err_set(ctx, SP_EUNSUPPORTED, "digest not computed");
}

void
pe_auth_hash_dispose(pe_auth_hash *h)
{
	size_t i;

	for (i = 0; i < SP_ARRAY_SIZE(h->md); i++)
		EVP_MD_CTX_free(h->md[i]);
	memset(h, 0, sizeof(*h));
}

/* Hash [start, end) of the padded image (zeros past the data). */
static int
hash_range(sp_ctx *ctx, EVP_MD_CTX *md, const cmp_file *f, uint64_t data_end,
    uint64_t start, uint64_t end, uint8_t *buf, size_t bufsz)
{
	int error;

	while (start < end) {
		size_t n = end - start < bufsz ? (size_t)(end - start) : bufsz;
		size_t nf = 0;

		if (start < data_end)
			nf = data_end - start < n ? (size_t)(data_end - start)
			                          : n;
		if (nf > 0 &&
		    (error = cmp_read(ctx, f, start, buf, nf, "image")) < 0)
			return error;
		memset(buf + nf, 0, n - nf);
		if (EVP_DigestUpdate(md, buf, n) != 1)
			return sp_err_set(ctx, SP_ERROR, "digest failed");
		start += n;
	}
	return 0;
}

int
pe_auth_digest_spec(sp_ctx *ctx, const pe_image *pe, const cmp_file *f, int nid,
    uint8_t *out, unsigned *outlen)
{
	const EVP_MD *md = pe_md_fetch(ctx, nid);
	EVP_MD_CTX *mctx = NULL;
	pe_section **order = NULL;
	uint8_t *buf = NULL;
	uint64_t hashed, padded = (pe->data_end + 7) & ~(uint64_t)7;
	uint32_t i;
	int error = 0;

	if (md == NULL)
		return sp_err_set(ctx, SP_EUNSUPPORTED, "unsupported digest");
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    (buf = malloc(1 << 16)) == NULL ||
	    (pe->nsections > 0 &&
	        (order = calloc(pe->nsections, sizeof(*order))) == NULL) ||
	    EVP_DigestInit_ex(mctx, md, NULL) != 1) {
		error = sp_err_set(ctx, SP_ENOMEM, "out of memory");
		goto out;
	}
	if ((error = hash_range(ctx, mctx, f, pe->data_end, 0, pe->checksum_off,
	         buf, 1 << 16)) < 0)
		goto out;
	if (pe->has_certdir) {
		if ((error = hash_range(ctx, mctx, f, pe->data_end,
		         pe->checksum_off + 4, pe->certdir_off, buf, 1 << 16)) <
		        0 ||
		    (error = hash_range(ctx, mctx, f, pe->data_end,
		         pe->certdir_off + 8, pe->size_of_headers, buf,
		         1 << 16)) < 0)
			goto out;
	} else if ((error = hash_range(ctx, mctx, f, pe->data_end,
	                pe->checksum_off + 4, pe->size_of_headers, buf,
	                1 << 16)) < 0)
		goto out;
	hashed = pe->size_of_headers;
	for (i = 0; i < pe->nsections; i++)
		order[i] = &pe->sections[i];
	if (pe->nsections > 0)
		qsort(order, pe->nsections, sizeof(*order), by_raw_ptr);
	for (i = 0; i < pe->nsections; i++) {
		if (order[i]->raw_size == 0)
			continue;
		if ((error = hash_range(ctx, mctx, f, pe->data_end,
		         order[i]->raw_ptr,
		         (uint64_t)order[i]->raw_ptr + order[i]->raw_size, buf,
		         1 << 16)) < 0)
			goto out;
		hashed += order[i]->raw_size;
	}
	if (padded > hashed && (error = hash_range(ctx, mctx, f, pe->data_end,
	                            hashed, padded, buf, 1 << 16)) < 0)
		goto out;
	if (EVP_DigestFinal_ex(mctx, out, outlen) != 1)
		error = sp_err_set(ctx, SP_ERROR, "digest failed");
out:
	EVP_MD_CTX_free(mctx);
	free(order);
	free(buf);
	return error;
}

/* ---- checksum
 * ----------------------------------------------------------------
 */

void
pe_csum_init(pe_csum *c)
{
	c->sum = 0;
	c->len = 0;
	c->odd = -1;
}

void
pe_csum_update(pe_csum *c, const uint8_t *p, size_t n)
{
	size_t i = 0;
	uint64_t sum = c->sum;

	c->len += n;
	if (c->odd >= 0 && n > 0) {
		sum += (uint64_t)c->odd | ((uint64_t)p[0] << 8);
		c->odd = -1;
		i = 1;
	}
	for (; i + 1 < n; i += 2)
		sum += (uint64_t)p[i] | ((uint64_t)p[i + 1] << 8);
	if (i < n)
		c->odd = p[i];
	c->sum = sum;
}

uint32_t
pe_csum_final(pe_csum *c)
{
	uint64_t sum = c->sum;

	if (c->odd >= 0)
		sum += (uint64_t)c->odd;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)(sum + c->len);
}
