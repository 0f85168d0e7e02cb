/*
 * Escrow bundles: one deterministic, verifiable, optionally encrypted file
 * per release or update, holding everything needed to check and rebuild it.
 *
 * A bundle is a plain tar archive (zstd, gzip or uncompressed) whose members
 * all live below "srcproof-bundle/": the manifest and its signature
 * envelope, the source tree, the build recipe, the SHA256SUMS of the shipped
 * binaries and their detached signatures, the trust policy, transparency
 * log proofs, and last an INDEX listing every member with its SHA-256 in
 * sha256sum format. Layout and exact bytes: docs/spec/bundle.md. It may be
 * wrapped in CMS (AuthEnvelopedData, AES-256-GCM) for named reviewers, so
 * `openssl cms -decrypt` opens it without srcproof.
 *
 * Typical use:
 *
 *     sp_escrow_pack_options po = SP_ESCROW_PACK_OPTIONS_INIT;
 *     po.manifest = "m"; po.manifest_sig = "m.sig"; po.source = "src";
 *     error = sp_escrow_pack(ctx, "release.bundle", &po, NULL);
 *
 *     sp_escrow_verify_options vo = SP_ESCROW_VERIFY_OPTIONS_INIT;
 *     sp_escrow_verify_result res;
 *     vo.policy = "policy.json";
 *     error = sp_escrow_verify(ctx, "release.bundle", &vo, &res);
 *     for (i = 0; i < res.ncheck; i++)
 *             ... res.checks[i].name, res.checks[i].status ...
 */
#ifndef SRCPROOF_ESCROW_H
#define SRCPROOF_ESCROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctx.h"
#include "sign.h"

/** Directory every member lives in. */
#define SP_ESCROW_ROOT "srcproof-bundle"
/** First line of INDEX (without the newline). */
#define SP_ESCROW_INDEX_MAGIC "# srcproof-bundle-index v1"
/** Longest member name below the root, in bytes. */
#define SP_ESCROW_MAX_NAME 4096
/** Largest SOURCE_DATE_EPOCH a bundle can carry (ustar mtime field). */
#define SP_ESCROW_MAX_MTIME ((int64_t)077777777777)

/** Default limits of the reader (configurable, see sp_escrow_read_options). */
#define SP_ESCROW_DEFAULT_MAX_TOTAL ((uint64_t)64 << 30) /**< 64 GiB */
#define SP_ESCROW_DEFAULT_MAX_MEMBERS ((uint64_t)1000000)
#define SP_ESCROW_DEFAULT_MAX_RATIO 1000U
/** Uncompressed bytes read before the ratio limit applies. */
#define SP_ESCROW_RATIO_GRACE ((uint64_t)16 << 20)

/** Compression of the tar stream. */
typedef enum sp_escrow_compression {
	SP_ESCROW_ZSTD = 0, /**< zstd, level 3 by default (the default) */
	SP_ESCROW_GZIP = 1, /**< gzip, level 6, no name, mtime 0 */
	SP_ESCROW_NONE = 2, /**< plain tar */
} sp_escrow_compression;

/** Name of a compression ("zstd", "gzip", "none"). */
const char *sp_escrow_compression_name(sp_escrow_compression c);

/** Parse a compression name. @return 0 or SP_EINVALID */
int sp_escrow_compression_parse(
    sp_ctx *ctx, sp_escrow_compression *out, const char *name) SP_WUR;

/* ---- pack ------------------------------------------------------------------
 */

enum sp_escrow_pack_flags {
	SP_ESCROW_PACK_FORCE = 1 << 0, /**< replace an existing output file */
};

/** Inputs of sp_escrow_pack. Paths are read with O_NOFOLLOW. */
typedef struct sp_escrow_pack_options {
	unsigned int version;     /**< SP_ESCROW_PACK_OPTIONS_VERSION */
	const char *manifest;     /**< manifest file (required) */
	const char *manifest_sig; /**< its DSSE envelope (required) */
	const char *source;       /**< source directory (required) */
	const char *recipe;       /**< build recipe, or NULL */
	/** Shipped binaries: a directory (hashed) or a SHA256SUMS file. */
	const char *binaries;
	const char *binary_sigs;   /**< directory of detached signatures */
	const char *policy;        /**< trust policy file, or NULL */
	const char *const *proofs; /**< log proof files (proofs/<basename>) */
	size_t nproofs;
	/**
	 * mtime of every member when @p have_source_date_epoch; otherwise
	 * the recipe's SOURCE_DATE_EPOCH, otherwise 0.
	 */
	int64_t source_date_epoch;
	bool have_source_date_epoch;
	sp_escrow_compression compression;
	int level; /**< 0: the default level of the compression */
	unsigned
	    threads; /**< zstd workers (same bytes for any value); 0: auto */
	/** Encrypt to these X.509 certificates (PEM or DER files). */
	const char *const *recipients;
	size_t nrecipients;
	unsigned flags; /**< enum sp_escrow_pack_flags */
} sp_escrow_pack_options;

#define SP_ESCROW_PACK_OPTIONS_VERSION 1
#define SP_ESCROW_PACK_OPTIONS_INIT                                            \
	{                                                                      \
		SP_ESCROW_PACK_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL,  \
		    NULL, NULL, NULL, 0, 0, false, SP_ESCROW_ZSTD, 0, 0, NULL, \
		    0, 0                                                       \
	}

/** What sp_escrow_pack wrote. */
typedef struct sp_escrow_pack_result {
	uint64_t members;      /**< members, INDEX included */
	uint64_t source_files; /**< files and symlinks below source/ */
	uint64_t bytes;        /**< sum of member sizes */
	uint64_t output_bytes; /**< size of the bundle file */
	int64_t mtime;         /**< SOURCE_DATE_EPOCH used */
	bool encrypted;
	char sha256[65]; /**< SHA-256 of the bundle file, lower hex */
} sp_escrow_pack_result;

/**
 * Pack a bundle into @p out_path (atomically: nothing appears there on
 * failure). The source is checked against the manifest in one hashing
 * pass: its tree is walked first (paths, types, executable bits, link
 * targets; ".git" skipped as the manifest builder does), then the
 * manifest's entries are packed, each file hashed while it is written and
 * compared with the manifest. The bundle's source is exactly the
 * manifest's content. The signature envelope must be over the manifest;
 * recipe, policy and proofs must parse. With recipients, every certificate
 * must be usable or nothing is written.
 *
 * @param res receives counts and the bundle digest; may be NULL
 * @return 0, SP_EVERIFY (source does not match the manifest, signature not
 *         over it), SP_EINVALID, SP_ENOTFOUND, SP_EEXISTS, SP_EPARSE,
 *         SP_EUNSAFE, SP_EUNSUPPORTED (recipient key), SP_EIO, SP_ENOMEM
 */
int sp_escrow_pack(sp_ctx *ctx, const char *out_path,
    const sp_escrow_pack_options *opts, sp_escrow_pack_result *res) SP_WUR;

/* ---- reading ----------------------------------------------------------------
 */

/** How to open and bound a bundle. */
typedef struct sp_escrow_read_options {
	unsigned int version; /**< SP_ESCROW_READ_OPTIONS_VERSION */
	/** Private key (PEM) of a recipient, for encrypted bundles. */
	const char *key;
	/** That recipient's certificate, to pick its RecipientInfo; or NULL. */
	const char *cert;
	/** Asked for the key's passphrase when it is encrypted; or NULL. */
	sp_passphrase_cb passphrase_cb;
	void *passphrase_payload;
	uint64_t max_total;   /**< total member bytes; 0: default */
	uint64_t max_members; /**< member count; 0: default */
	unsigned max_ratio;   /**< uncompressed/compressed; 0: default */
} sp_escrow_read_options;

#define SP_ESCROW_READ_OPTIONS_VERSION 1
#define SP_ESCROW_READ_OPTIONS_INIT                                            \
	{                                                                      \
		SP_ESCROW_READ_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, 0,  \
		    0                                                          \
	}

/** A member as listed; strings borrowed for the duration of the call. */
typedef struct sp_escrow_member {
	const char *name;   /**< below the root, e.g. "source/main.c" */
	const char *type;   /**< "file", "exec" or "symlink" */
	uint64_t size;      /**< bytes (symlink: target length) */
	const char *sha256; /**< lower hex (symlink: of the target) */
	const char *target; /**< symlink target or NULL */
} sp_escrow_member;

/** Called once per member in archive order; non-zero stops the listing. */
typedef int (*sp_escrow_member_cb)(const sp_escrow_member *m, void *payload);

/**
 * Read a whole bundle, call @p cb for each member (INDEX last) and check
 * every member against INDEX.
 * @return 0; SP_EVERIFY (a member does not match INDEX, or the
 *         authentication tag of an encrypted bundle is wrong); SP_EUNSAFE,
 *         SP_ELIMIT, SP_EPARSE (hostile or corrupt bundle); SP_EIO
 */
int sp_escrow_list(sp_ctx *ctx, const char *bundle,
    const sp_escrow_read_options *opts, sp_escrow_member_cb cb,
    void *payload) SP_WUR;

/**
 * Unpack a bundle into the new directory @p dir (which MUST NOT exist):
 * everything is written below a temporary directory next to @p dir, checked
 * against INDEX, then renamed to @p dir. On any failure nothing is left.
 * Members are written relative to the bundle root (dir/INDEX,
 * dir/source/...), never through a symlink, never outside @p dir.
 * @return as sp_escrow_list, plus SP_EEXISTS when @p dir exists
 */
int sp_escrow_unpack(sp_ctx *ctx, const char *bundle, const char *dir,
    const sp_escrow_read_options *opts) SP_WUR;

/**
 * Unpack into a new private directory (mode 0700) below @p parent (NULL:
 * $TMPDIR or /tmp), for a rebuild.
 * @param dir_out receives the directory path (free()), which holds the
 *        bundle root; remove it with sp_escrow_remove_tree
 */
int sp_escrow_unpack_temp(sp_ctx *ctx, char **dir_out, const char *bundle,
    const char *parent, const sp_escrow_read_options *opts) SP_WUR;

/** Remove a directory tree made by an unpack, never following symlinks. */
int sp_escrow_remove_tree(sp_ctx *ctx, const char *dir);

/* ---- verify ----------------------------------------------------------------
 */

/** Status of one check. */
typedef enum sp_escrow_check_status {
	SP_ESCROW_PASS = 0,
	SP_ESCROW_FAIL = 1,
	SP_ESCROW_NOT_CHECKED = 2,
} sp_escrow_check_status;

/** "PASS", "FAIL" or "NOT CHECKED". */
const char *sp_escrow_status_name(sp_escrow_check_status s);

/** The checks, in report order. */
typedef enum sp_escrow_check_id {
	SP_ESCROW_CHECK_DECRYPTION = 0, /**< CMS opened and authenticated */
	SP_ESCROW_CHECK_ARCHIVE,        /**< structure, names, types, limits */
	SP_ESCROW_CHECK_INDEX,          /**< every member matches INDEX */
	SP_ESCROW_CHECK_MANIFEST,       /**< manifest present and parses */
	SP_ESCROW_CHECK_SOURCE,         /**< source/ matches the manifest */
	SP_ESCROW_CHECK_SIGNATURE,      /**< manifest.sig under the policy */
	SP_ESCROW_CHECK_LOG,      /**< log proofs of the signed manifest */
	SP_ESCROW_CHECK_RECIPE,   /**< recipe parses */
	SP_ESCROW_CHECK_BINARIES, /**< binaries/SHA256SUMS parses */
	SP_ESCROW_CHECK_COUNT
} sp_escrow_check_id;

/** One check's outcome. */
typedef struct sp_escrow_check {
	const char *name; /**< stable name, e.g. "index" (static) */
	sp_escrow_check_status status;
	/** Must PASS: NOT CHECKED fails the bundle (a FAIL always does). */
	bool required;
	char detail[SP_ERRMSG_MAX]; /**< why; may quote bundle text (escape) */
} sp_escrow_check;

/** What sp_escrow_verify checks against. */
typedef struct sp_escrow_verify_options {
	unsigned int version; /**< SP_ESCROW_VERIFY_OPTIONS_VERSION */
	sp_escrow_read_options read;
	/**
	 * Pinned trust policy file. Without it the bundle's own policy is
	 * informational only and the signature check is NOT CHECKED.
	 */
	const char *policy;
	/** Role whose threshold must sign; NULL: "release" or "update" by
	 * the manifest's kind. */
	const char *role;
	/** Time for expiry checks; 0: now. */
	int64_t at;
	/**
	 * Log key (vkey, file or NAME=PEM, see sp_tlog_verifier_load). Used
	 * only when @p policy names no key of role "log": then the policy's
	 * log keys are used (docs/spec/policy.md, section 6).
	 */
	const char *log_key;
	const char *log_origin; /**< expected origin; NULL: the key's name */
	/** Witness keys and the cosignatures needed from them. Used only
	 * when @p policy names no key of role "witness": then the policy's
	 * witness keys and threshold are used. @p quorum 0 means all of
	 * @p witnesses (each must cosign). */
	const char *const *witnesses;
	size_t nwitnesses;
	unsigned quorum;
	/** NOT CHECKED counts as failure for signature and log checks. */
	bool strict;
	/** Leave witness cosignatures (the policy's and @p witnesses) out
	 * of the log check: for a caller that checks them itself. */
	bool no_witnesses;
} sp_escrow_verify_options;

#define SP_ESCROW_VERIFY_OPTIONS_VERSION 1
#define SP_ESCROW_VERIFY_OPTIONS_INIT                                          \
	{                                                                      \
		SP_ESCROW_VERIFY_OPTIONS_VERSION, SP_ESCROW_READ_OPTIONS_INIT, \
		    NULL, NULL, 0, NULL, NULL, NULL, 0, 0, false, false        \
	}

/** Everything sp_escrow_verify found. */
typedef struct sp_escrow_verify_result {
	sp_escrow_check checks[SP_ESCROW_CHECK_COUNT];
	size_t ncheck; /**< SP_ESCROW_CHECK_COUNT */
	bool encrypted;
	char cipher[32];          /**< content cipher when encrypted */
	const char *compression;  /**< "zstd", "gzip" or "none" (static) */
	uint64_t members;         /**< INDEX included */
	uint64_t source_files;    /**< files and symlinks below source/ */
	uint64_t bytes;           /**< sum of member sizes */
	char manifest_sha256[65]; /**< "" when no manifest */
	/** Manifest header (escape before printing), "" when absent. */
	char product[257];
	char release[257];
	char kind[16];
	bool ok; /**< every required check passed */
	/** Where the log key came from: "policy", "option" or NULL (none). */
	const char *log_key_source;
	/** Where the witness keys came from: "policy", "options" or NULL. */
	const char *witness_source;
} sp_escrow_verify_result;

/**
 * Verify a bundle: decryption (when encrypted), archive structure, every
 * member against INDEX, the manifest and the source against it, the
 * manifest signatures against the pinned policy, the log proofs against the
 * log key and the witness quorum (the policy's when it names them, else
 * the options'), the recipe and SHA256SUMS syntax. Each check gets PASS,
 * FAIL or NOT CHECKED in @p res, whatever the return value. The log check
 * is required when a log key is given or the policy names log or witness
 * keys.
 *
 * @return 0 when every required check passed; SP_EVERIFY when one failed
 *         (res says which); SP_ENOTFOUND, SP_EIO, SP_EINVALID, SP_EPARSE
 *         (pinned policy or key unusable) when verification could not run
 */
int sp_escrow_verify(sp_ctx *ctx, const char *bundle,
    const sp_escrow_verify_options *opts, sp_escrow_verify_result *res) SP_WUR;

#endif
