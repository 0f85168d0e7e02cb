/*
 * Internals of the shipped-versus-rebuilt comparison (review/pe.c, elf.c,
 * compare.c, attach.c, compare_*.c). Not part of the public API.
 */
#ifndef SP_COMPARE_INT_H
#define SP_COMPARE_INT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srcproof/compare.h"
#include "srcproof/util.h"

/* ---- bounded random access to a file or a memory buffer ----------------- */

typedef struct cmp_file {
	const char *name;   /* display name, trusted by the caller */
	int fd;             /* -1 when mem is used */
	const uint8_t *mem; /* whole contents when fd < 0 */
	uint64_t size;
} cmp_file;

int cmp_file_open(sp_ctx *ctx, cmp_file *f, const char *path);
void cmp_file_mem(cmp_file *f, const char *name, const void *data, size_t len);
void cmp_file_close(cmp_file *f);

/**
 * Read exactly @p len bytes at @p off. Reading past the end is a parse
 * error naming @p what ("'NAME': truncated WHAT").
 */
int cmp_read(sp_ctx *ctx, const cmp_file *f, uint64_t off, void *buf,
    size_t len, const char *what);

/* Little/big-endian decoders. */
static inline uint16_t
cmp_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t
cmp_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static inline uint64_t
cmp_le64(const uint8_t *p)
{
	return (uint64_t)cmp_le32(p) | ((uint64_t)cmp_le32(p + 4) << 32);
}
static inline uint16_t
cmp_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t
cmp_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline uint64_t
cmp_be64(const uint8_t *p)
{
	return ((uint64_t)cmp_be32(p) << 32) | (uint64_t)cmp_be32(p + 4);
}
static inline void
cmp_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* ---- findings ------------------------------------------------------------ */

typedef enum cmp_severity {
	CMP_INFO = 0, /* a fact worth reporting */
	CMP_WARN = 1, /* suspicious, does not change the verdict */
	CMP_FAIL = 2, /* unaccounted data or failed check: never a match */
} cmp_severity;

typedef struct cmp_findings {
	json_t *list; /* array of {severity, code, message} */
	size_t nfail;
} cmp_findings;

/** Add a finding; the message is trusted format text (escape inputs). */
int cmp_finding(sp_ctx *ctx, cmp_findings *fs, cmp_severity sev,
    const char *code, const char *fmt, ...) SP_PRINTF(5, 6);

/**
 * Escape untrusted bytes into a clean, printable string (\xNN for
 * controls and invalid UTF-8), at most @p max input bytes. Returns a
 * malloc'd string or NULL.
 */
char *cmp_clean(const char *s, size_t len, size_t max);

/* ---- region maps: byte offset -> field, section, overlay ------------------
 */

enum cmp_region_kind {
	CMP_RK_PLAIN = 0,
	CMP_RK_BUILD_ID = 1,      /* ELF build-id note descriptor */
	CMP_RK_DEBUGLINK_CRC = 2, /* the CRC32 word of .gnu_debuglink */
	CMP_RK_SIGNATURE = 3,     /* certificate table, module signature */
	CMP_RK_NORMALIZED = 4,    /* PE CheckSum, certificate directory */
};

typedef struct cmp_region {
	uint64_t start, end;
	char *label; /* clean text, owned */
	int kind;
} cmp_region;

typedef struct cmp_regions {
	cmp_region *v;
	size_t n, cap;
	/* After cmp_regions_finish: flat, sorted, non-overlapping. */
	cmp_region *flat;
	size_t nflat;
	const char *gap_label; /* label of bytes no region covers */
} cmp_regions;

/** At most this many regions are recorded (sections beyond are merged). */
#define CMP_MAX_REGIONS 2048

int cmp_region_add(sp_ctx *ctx, cmp_regions *rs, uint64_t start, uint64_t len,
    int kind, const char *fmt, ...) SP_PRINTF(6, 7);
/** Flatten: each byte gets the smallest region containing it. */
int cmp_regions_finish(sp_ctx *ctx, cmp_regions *rs);
/** Region holding @p off (NULL for a gap); *end_out = end of that piece. */
const cmp_region *cmp_regions_find(
    const cmp_regions *rs, uint64_t off, uint64_t *end_out);
void cmp_regions_dispose(cmp_regions *rs);

/* ---- PE ------------------------------------------------------------------ */

#define PE_MAX_SIGNATURES 64
#define PE_MAX_NEST_DEPTH 4
#define PE_MAX_CERT_TABLE ((uint32_t)64 << 20)

typedef struct pe_section {
	char name[9]; /* raw, NUL-padded */
	uint32_t vaddr, vsize, raw_ptr, raw_size;
} pe_section;

typedef struct pe_sig {
	unsigned entry;   /* WIN_CERTIFICATE index */
	char where[32];   /* "entry 0", "entry 0 nested 1" */
	int nested_depth; /* 0 for a primary signature */
	int md_nid;       /* SpcIndirectDataContent digest algorithm */
	const char *md_name;
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned digest_len;
	bool page_hashes;
	char *subject, *issuer, *serial; /* clean text or NULL */
	char *signing_time;              /* RFC 3339 or NULL */
	char *timestamp_time;            /* RFC 3339 or NULL */
	const char *timestamp_kind;      /* "rfc3161", "authenticode" */
	bool sig_valid;                  /* signed attributes verify */
	char *sig_error;                 /* why not, or NULL */
	/* Filled by the comparison. */
	bool checked;
	bool digest_match;
	uint8_t computed[EVP_MAX_MD_SIZE];
} pe_sig;

typedef struct pe_image {
	uint64_t file_size;
	uint32_t e_lfanew;
	uint16_t machine, nsections, magic, opt_size;
	bool plus; /* PE32+ */
	uint32_t timestamp;
	uint32_t size_of_headers;
	uint32_t checksum;
	uint64_t checksum_off;
	uint32_t num_rva;
	bool has_certdir;
	uint64_t certdir_off;
	uint32_t cert_va, cert_size;
	unsigned cert_entries;
	uint64_t data_end; /* cert_va when signed, else file_size */
	pe_section *sections;
	pe_sig *sigs;
	size_t nsigs;
} pe_image;

/**
 * Parse a PE32/PE32+ image: headers, section table, certificate table
 * (walked, each PKCS#7 parsed, nested signatures included). Structural
 * errors fail with SP_EPARSE; unaccounted certificate-table bytes and
 * bad signatures become findings. Region labels go to @p rs (optional).
 */
int pe_parse(sp_ctx *ctx, pe_image *pe, const cmp_file *f, cmp_findings *fs,
    cmp_regions *rs);
void pe_dispose(pe_image *pe);
/** True when @p f starts like a PE image (MZ + "PE\0\0" at e_lfanew). */
bool pe_detect(const cmp_file *f);

/**
 * Parse one DER PKCS#7 Authenticode signature (with nested ones) into
 * @p sigs. Used for the certificate table and for detached signatures.
 */
int pe_parse_pkcs7(sp_ctx *ctx, const uint8_t *der, size_t len, unsigned entry,
    int depth, pe_sig **sigs, size_t *nsigs, size_t *used, cmp_findings *fs);
void pe_sig_dispose(pe_sig *s);

/** Digest algorithm names allowed for Authenticode. */
const EVP_MD *pe_md_fetch(sp_ctx *ctx, int nid);

/* Authenticode hashing of a stream of the image (osslsigncode order). */
typedef struct pe_auth_hash {
	EVP_MD_CTX *md[4];
	int nid[4];
	size_t n;
	uint64_t skip1, skip1_len, skip2, skip2_len; /* CheckSum, cert dir */
	uint64_t end; /* hash bytes [0, end) of the padded image */
} pe_auth_hash;

int pe_auth_hash_init(sp_ctx *ctx, pe_auth_hash *h, const pe_image *pe,
    const int *nids, size_t n);
/** Feed bytes [off, off+len) of the padded, unsigned image. */
int pe_auth_hash_update(
    sp_ctx *ctx, pe_auth_hash *h, uint64_t off, const uint8_t *p, size_t len);
int pe_auth_hash_final(
    sp_ctx *ctx, pe_auth_hash *h, int nid, uint8_t *out, unsigned *outlen);
void pe_auth_hash_dispose(pe_auth_hash *h);

/**
 * Authenticode digest by the Microsoft algorithm (headers, then sections
 * by file offset, then the rest): used when the layout has gaps.
 */
int pe_auth_digest_spec(sp_ctx *ctx, const pe_image *pe, const cmp_file *f,
    int nid, uint8_t *out, unsigned *outlen);

/** Does the section layout leave gaps or disorder (spec != linear)? */
bool pe_layout_has_gaps(const pe_image *pe);

/** PE checksum of a stream; feed bytes in order, CheckSum field zero. */
typedef struct pe_csum {
	uint64_t sum;
	uint64_t len;
	int odd; /* -1 or the pending low byte */
} pe_csum;
void pe_csum_init(pe_csum *c);
void pe_csum_update(pe_csum *c, const uint8_t *p, size_t n);
uint32_t pe_csum_final(pe_csum *c);

/** Name of a COFF machine ("x86_64", "i386", "arm64"...). */
const char *pe_machine_name(uint16_t machine);

/* ---- ELF and kernel module signatures -------------------------------------
 */

#define KMOD_MARKER "~Module signature appended~\n"
#define KMOD_MARKER_LEN 28
#define KMOD_RECORD_LEN 12

typedef struct elf_info {
	bool is64, be;
	uint16_t type, machine;
	uint64_t limit;
	bool has_build_id;
	uint64_t build_id_off;
	uint32_t build_id_len;
	uint8_t build_id[64];
	bool has_debuglink;
	uint64_t debuglink_crc_off;
	uint32_t debuglink_crc;
	char *debuglink_name; /* clean */
	uint32_t nsections;
} elf_info;

bool elf_detect(const cmp_file *f);
/**
 * Parse ELF headers within [0, limit): section and program headers,
 * section names, build-id and .gnu_debuglink. Bogus offsets fail with
 * SP_EPARSE.
 */
int elf_parse(sp_ctx *ctx, elf_info *e, const cmp_file *f, uint64_t limit,
    cmp_regions *rs);
void elf_dispose(elf_info *e);

typedef struct kmod_sig {
	bool present;
	uint64_t module_len; /* bytes before the signature */
	uint64_t sig_off;
	uint32_t sig_len;
	uint8_t algo, hash, id_type, signer_len, key_id_len;
} kmod_sig;

/** Detect and check the module signature trailer (SP_EPARSE if bogus). */
int kmod_parse(sp_ctx *ctx, kmod_sig *k, const cmp_file *f);

/** Largest module signature read (the PKCS#7 of a trailer). */
#define KMOD_MAX_SIG ((uint32_t)1 << 20)

/* A parsed module signature (compare_kmod.c). */
typedef struct kmod_cms {
	struct CMS_ContentInfo_st *cms;
	struct CMS_SignerInfo_st *si; /* the only SignerInfo, borrowed */
	EVP_MD *md;                   /* its digest algorithm */
	bool by_key_id;    /* SignerIdentifier: subjectKeyIdentifier */
	char *key_id;      /* hex, when by_key_id */
	char *issuer;      /* clean text, issuerAndSerialNumber form */
	char *serial;      /* hex, issuerAndSerialNumber form */
	bool signed_attrs; /* signed attributes present */
	size_t der_len;    /* length of the DER structure */
} kmod_cms;

/**
 * Read and parse the PKCS#7 of trailer @p k of @p f (either
 * SignerIdentifier form). Structural faults fail (SP_EPARSE, SP_ELIMIT,
 * SP_EUNSUPPORTED for an unknown digest); bytes after the DER, embedded
 * content and a content type other than data are fail findings.
 */
int kmod_cms_load(sp_ctx *ctx, kmod_cms *m, const cmp_file *f,
    const kmod_sig *k, cmp_findings *fs);
void kmod_cms_dispose(kmod_cms *m);
/**
 * Verify the signature over content whose digest (with m->md) is
 * @p content_digest. The signer certificate is the one of the signature,
 * else @p extra_cert, matching the SignerIdentifier (issuer and serial, or
 * subjectKeyIdentifier). Returns 0 when valid, else SP_EVERIFY with *why
 * set (static text); *subject receives the clean subject of the
 * certificate used (malloc'd) or NULL.
 */
int kmod_cms_verify(sp_ctx *ctx, kmod_cms *m, struct x509_st *extra_cert,
    const uint8_t *content_digest, size_t digest_len, const char **why,
    char **subject);

/* ---- compressed modules (compare_decompress.c) ----------------------------
 */

typedef enum cmp_compression {
	CMP_COMP_NONE = 0,
	CMP_COMP_XZ = 1,   /* FD 37 7A 58 5A 00 */
	CMP_COMP_ZSTD = 2, /* 28 B5 2F FD */
	CMP_COMP_GZIP = 3, /* 1F 8B 08 */
} cmp_compression;

/** The compression of @p f, by its magic bytes (never by its name). */
cmp_compression cmp_compression_detect(const cmp_file *f);
/** "xz", "zstd", "gzip" or "none". */
const char *cmp_compression_name(cmp_compression c);
/**
 * Decompress the first bytes of @p in only: *is_elf tells whether the
 * contents start with the ELF magic. Corrupt data fails (SP_EPARSE).
 */
int cmp_decompress_peek(
    sp_ctx *ctx, const cmp_file *in, cmp_compression kind, bool *is_elf);
/**
 * Decompress @p in into an unlinked temporary file (in $TMPDIR, else
 * /tmp) opened as @p out, named @p name (borrowed); close it with
 * cmp_file_close. More than @p max decompressed bytes fail with
 * SP_ELIMIT, corrupt data with SP_EPARSE. Anything but exactly one xz
 * stream, zstd frame or gzip member is a fail finding in @p fs
 * (cmp_compression_framing).
 */
int cmp_decompress(sp_ctx *ctx, cmp_file *out, const cmp_file *in,
    cmp_compression kind, uint64_t max, const char *name, cmp_findings *fs);
/**
 * Framing of xz and zstd files: a fail finding ("compressed-framing")
 * unless @p f is exactly one xz stream (read back from the footer and
 * index at its end) or one zstd frame (walked block by block).
 */
int cmp_compression_framing(
    sp_ctx *ctx, const cmp_file *f, cmp_compression kind, cmp_findings *fs);

/* ---- signature helpers (compare_sig.c) ------------------------------------
 */

/**
 * Verify a PKCS#7 SignerInfo over content whose digest (with the signer's
 * digest algorithm) is @p content_digest: messageDigest attribute plus
 * signature over the signed attributes, or (no attributes) the signature
 * over the digest itself. The signer certificate is looked up in @p p7,
 * then @p extra_cert (may be NULL) if its issuer and serial match.
 * Returns 0 when valid, else SP_EVERIFY with *why set (static text).
 */
struct pkcs7_st;
struct pkcs7_signer_info_st;
struct x509_st;
int cmp_verify_signer(sp_ctx *ctx, struct pkcs7_st *p7,
    struct pkcs7_signer_info_st *si, struct x509_st *extra_cert,
    const uint8_t *content_digest, size_t digest_len, const char **why);

/** Clean one-line text of an X509_NAME (malloc'd), or NULL. */
struct X509_name_st;
char *cmp_name_text(const struct X509_name_st *n);

/** RFC 3339 text of an ASN1_TIME, into out[SP_TIME_STR_LEN]. */
int cmp_asn1_time(char *out, const void *asn1_time);

/* ---- differ ---------------------------------------------------------------
 */

/* A logical stream: file bytes [0, file_len), then zeros up to pad_to,
 * then @p tail bytes, with small patches overwriting any bytes. */
typedef struct cmp_patch {
	uint64_t off;
	uint8_t len;
	uint8_t bytes[8];
} cmp_patch;

typedef struct cmp_view {
	const cmp_file *f;
	uint64_t file_len;
	uint64_t pad_to; /* >= file_len */
	const uint8_t *tail;
	size_t tail_len;
	cmp_patch patch[4];
	size_t npatch;
} cmp_view;

static inline uint64_t
cmp_view_size(const cmp_view *v)
{
	return v->pad_to + v->tail_len;
}

void cmp_view_init(cmp_view *v, const cmp_file *f, uint64_t file_len);
void cmp_view_patch(cmp_view *v, uint64_t off, const void *bytes, size_t len);
/** Read logical bytes; *raw (optional) gets the unpatched file bytes. */
int cmp_view_read(sp_ctx *ctx, const cmp_view *v, uint64_t off, uint8_t *buf,
    size_t len, uint8_t *raw, size_t *raw_len);

#endif
