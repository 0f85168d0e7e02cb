/*
 * Manifests: the canonical list of every file of a source release.
 *
 * A manifest binds a review to exact source bytes. It is built from a
 * directory, a git revision (read through libgit2, no checkout) or an archive
 * (tar, tar.gz, tar.bz2, tar.xz, tar.zst, zip; read through libarchive, never
 * unpacked), and the same content gives byte-identical manifests whichever
 * source it came from. The format is specified in docs/spec/manifest.md:
 * `# ` header lines then one `sha256sum` line per regular file, so that
 * `sha256sum -c --strict MANIFEST` passes in the source directory.
 *
 * Every manifest records the git tree id of its content (computed from the
 * bytes while hashing) and the matching SWHID. An update manifest records the
 * SHA-256 of the previous manifest's bytes, which makes update chains.
 */
#ifndef SRCPROOF_MANIFEST_H
#define SRCPROOF_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctx.h"

/** First line of every version-1 manifest (without the newline). */
#define SP_MANIFEST_MAGIC "# srcproof-manifest v1"

/** Hex length of a git (SHA-1) object id. */
#define SP_MANIFEST_GIT_HEX_LEN 40

/** Limits enforced by the builder and the parser (docs/spec/manifest.md). */
#define SP_MANIFEST_MAX_SIZE ((size_t)512 << 20)  /**< bytes of a manifest */
#define SP_MANIFEST_MAX_ENTRIES ((size_t)4 << 20) /**< entries */
#define SP_MANIFEST_MAX_PATH 4096   /**< bytes of a path, unescaped */
#define SP_MANIFEST_MAX_TARGET 4096 /**< bytes of a symlink target */
#define SP_MANIFEST_MAX_LABEL 256   /**< bytes of product and release */

/**
 * Size of a regular file of a parsed manifest: the format records no sizes
 * for files (sha256sum lines carry none), only their total.
 */
#define SP_MANIFEST_SIZE_UNKNOWN UINT64_MAX

/** A parsed or built manifest (opaque; sp_manifest_free). */
typedef struct sp_manifest sp_manifest;

/** What a manifest describes. */
typedef enum sp_manifest_kind {
	SP_MANIFEST_RELEASE = 0, /**< a full source release */
	SP_MANIFEST_UPDATE = 1,  /**< an update; records the previous digest */
} sp_manifest_kind;

/** Type of an entry. */
typedef enum sp_manifest_entry_type {
	SP_MANIFEST_REGULAR = 0,    /**< regular file (git mode 100644) */
	SP_MANIFEST_EXECUTABLE = 1, /**< executable file (git mode 100755) */
	SP_MANIFEST_SYMLINK = 2,    /**< symbolic link (git mode 120000) */
} sp_manifest_entry_type;

/**
 * One entry. Every pointer is borrowed from the manifest that holds the
 * entry and lives as long as it does.
 */
typedef struct sp_manifest_entry {
	const char *path;   /**< relative path, '/'-separated, NUL-free UTF-8 */
	size_t path_len;    /**< strlen(path) */
	uint8_t sha256[32]; /**< SHA-256 of the content (symlink: of target) */
	/** Content size (symlink: target length); SP_MANIFEST_SIZE_UNKNOWN
	 * for the files of a parsed manifest. */
	uint64_t size;
	sp_manifest_entry_type type;
	const char *link_target; /**< symlink target, NULL for files */
} sp_manifest_entry;

/** Where the content of a new manifest comes from. */
typedef enum sp_manifest_source_type {
	/** A directory, or a git repository when ref is set, or an archive. */
	SP_MANIFEST_SOURCE_AUTO = 0,
	SP_MANIFEST_SOURCE_DIR = 1,     /**< a directory tree */
	SP_MANIFEST_SOURCE_GIT = 2,     /**< a git revision, no checkout */
	SP_MANIFEST_SOURCE_ARCHIVE = 3, /**< tar (any compression) or zip */
} sp_manifest_source_type;

/** Options of sp_manifest_create. */
typedef struct sp_manifest_source_options {
	unsigned int version; /**< SP_MANIFEST_SOURCE_OPTIONS_VERSION */
	sp_manifest_source_type type;
	/** Directory, repository (work tree, .git or bare) or archive file. */
	const char *path;
	/** Git: revision (tag, branch, commit, any rev-parse expression). */
	const char *ref;
	/** Archive: leading path components to drop (like tar's). */
	unsigned int strip_components;
	/** Product name (clean UTF-8, 1..256 bytes), or NULL. */
	const char *product;
	/** Release version (clean UTF-8, 1..256 bytes), or NULL. */
	const char *release;
	sp_manifest_kind kind;
	/**
	 * Update: the previous manifest file. Its digest is recorded; it MUST
	 * parse, and name the same product when both name one. Exactly one of
	 * previous_path and previous_digest is set for an update, none for a
	 * release.
	 */
	const char *previous_path;
	/** Update: the previous manifest's SHA-256 (32 bytes), or NULL. */
	const uint8_t *previous_digest;
	/** Hashing threads; 0 picks the number of online CPUs (max 8). */
	unsigned int threads;
} sp_manifest_source_options;

#define SP_MANIFEST_SOURCE_OPTIONS_VERSION 1
#define SP_MANIFEST_SOURCE_OPTIONS_INIT                                        \
	{                                                                      \
		SP_MANIFEST_SOURCE_OPTIONS_VERSION, SP_MANIFEST_SOURCE_AUTO,   \
		    NULL, NULL, 0, NULL, NULL, SP_MANIFEST_RELEASE, NULL,      \
		    NULL, 0                                                    \
	}

/**
 * Build a manifest by hashing every file of a source. Progress (files and
 * bytes hashed) goes to the context's progress callback, from the calling
 * thread only.
 *
 * Refused with a clear error naming the file: special files, symlinks that
 * point outside the tree, invalid UTF-8 names, archive paths with '..' or a
 * leading '/', duplicate archive entries, truncated archives, unreadable
 * files, a git revision that does not exist.
 *
 * @param ctx context for errors and progress
 * @param out receives the manifest, owned by the caller (sp_manifest_free);
 *            NULL on failure
 * @param opts the source and the header fields
 * @return 0, SP_EINVALID (bad option), SP_ENOTFOUND (no such source or
 *         revision), SP_EUNSAFE (refused input), SP_EPARSE (corrupt
 *         archive or repository), SP_EIO, SP_ELIMIT, SP_ENOMEM
 */
int sp_manifest_create(sp_ctx *ctx, sp_manifest **out,
    const sp_manifest_source_options *opts) SP_WUR;

/**
 * Append the canonical bytes of @p m to @p out.
 * @return 0, SP_ENOMEM or SP_ELIMIT
 */
int sp_manifest_serialize(
    sp_ctx *ctx, const sp_manifest *m, sp_buf *out) SP_WUR;

/**
 * Write @p m to @p path atomically (nothing appears at @p path on failure),
 * streamed: the serialized form is never held whole in memory.
 * @param flags SP_ATOMIC_EXCL to refuse an existing file
 * @param digest if not NULL, receives the SHA-256 of the bytes written (the
 *        same as sp_manifest_digest, without serializing twice)
 */
int sp_manifest_write(sp_ctx *ctx, const sp_manifest *m, const char *path,
    unsigned flags, uint8_t digest[32]) SP_WUR;

/**
 * Parse a manifest. Only the canonical form is accepted: anything
 * sp_manifest_serialize would not produce byte for byte is refused.
 * @param out receives the manifest (sp_manifest_free)
 * @return 0, SP_EPARSE (malformed, unsorted, duplicate), SP_ELIMIT
 *         (oversized), SP_ENOMEM
 */
int sp_manifest_parse(
    sp_ctx *ctx, sp_manifest **out, const char *data, size_t len) SP_WUR;

/** Read and parse the manifest file @p path (at most SP_MANIFEST_MAX_SIZE). */
int sp_manifest_load(sp_ctx *ctx, sp_manifest **out, const char *path) SP_WUR;

/** Free a manifest; NULL is a no-op. */
void sp_manifest_free(sp_manifest *m);

/* ---- header ------------------------------------------------------------ */

/** Product name, or NULL when none is recorded. */
const char *sp_manifest_product(const sp_manifest *m);

/** Release version, or NULL when none is recorded. */
const char *sp_manifest_release(const sp_manifest *m);

/** Release or update. */
sp_manifest_kind sp_manifest_kind_of(const sp_manifest *m);

/** "release" or "update". */
const char *sp_manifest_kind_name(sp_manifest_kind kind);

/** Previous manifest's SHA-256 as 64 lower-case hex, or NULL (release). */
const char *sp_manifest_previous(const sp_manifest *m);

/** Git tree id of the content, 40 lower-case hex. */
const char *sp_manifest_git_tree(const sp_manifest *m);

/** "swh:1:dir:<git tree id>". */
const char *sp_manifest_swhid(const sp_manifest *m);

/** Regular files (executables included): the number of sha256sum lines. */
uint64_t sp_manifest_file_count(const sp_manifest *m);

/** Symbolic links. */
uint64_t sp_manifest_symlink_count(const sp_manifest *m);

/** Sum of the sizes of the regular files. */
uint64_t sp_manifest_total_bytes(const sp_manifest *m);

/* ---- entries ------------------------------------------------------------ */

/** Number of entries (files and symlinks), sorted by path bytes. */
size_t sp_manifest_entry_count(const sp_manifest *m);

/** Entry @p i (0-based), or NULL when out of range. Borrowed. */
const sp_manifest_entry *sp_manifest_entry_at(const sp_manifest *m, size_t i);

/** Entry with this exact path (binary search), or NULL. Borrowed. */
const sp_manifest_entry *sp_manifest_find(
    const sp_manifest *m, const char *path);

/* ---- digests --------------------------------------------------------------
 */

/** SHA-256 of the canonical bytes of @p m (what an update records). */
int sp_manifest_digest(
    sp_ctx *ctx, const sp_manifest *m, uint8_t out[32]) SP_WUR;

/**
 * SHA-256 of the bytes of the manifest file @p path, as recorded by an
 * update's `previous` line. The file is not parsed.
 */
int sp_manifest_digest_file(
    sp_ctx *ctx, uint8_t out[32], const char *path) SP_WUR;

/* ---- audit of a source against a manifest ------------------------------- */

/** Outcome for one path of an audit. */
typedef enum sp_manifest_check_status {
	SP_CHECK_MATCHED = 0, /**< same type and content */
	SP_CHECK_CHANGED =
	    1, /**< content, target or file/symlink type differ */
	SP_CHECK_MISSING = 2, /**< in the manifest, not in the source */
	SP_CHECK_NEW = 3,     /**< in the source, not in the manifest */
	SP_CHECK_MODE = 4,    /**< same content, executable bit differs */
} sp_manifest_check_status;

/** Counts of an audit. */
typedef struct sp_manifest_check_summary {
	uint64_t matched, changed, missing, added, mode;
	/** The source's git tree id equals the manifest's git-tree line. */
	bool tree_matches;
	char actual_tree[SP_MANIFEST_GIT_HEX_LEN + 1]; /**< source's tree id */
} sp_manifest_check_summary;

/**
 * Called for each path of an audit, in path-byte order. @p expected is the
 * manifest's entry (NULL for SP_CHECK_NEW), @p actual the source's (NULL for
 * SP_CHECK_MISSING). Return non-zero to stop (sp_manifest_check returns that
 * value).
 */
typedef int (*sp_manifest_check_cb)(sp_manifest_check_status status,
    const sp_manifest_entry *expected, const sp_manifest_entry *actual,
    void *payload);

/**
 * Audit a source against @p m: hash the source (as sp_manifest_create
 * would; header fields of @p src are ignored) and compare every entry.
 * @param cb called for every path including matches; may be NULL
 * @param summary receives the counts; may be NULL
 * @return 0 when everything matches (tree included), SP_EVERIFY when
 *         anything differs, or the error of reading the source
 */
int sp_manifest_check(sp_ctx *ctx, const sp_manifest *m,
    const sp_manifest_source_options *src, sp_manifest_check_cb cb,
    void *payload, sp_manifest_check_summary *summary) SP_WUR;

/** sp_manifest_check of the directory @p dir. */
int sp_manifest_check_dir(sp_ctx *ctx, const sp_manifest *m, const char *dir,
    sp_manifest_check_cb cb, void *payload,
    sp_manifest_check_summary *summary) SP_WUR;

/**
 * Compare the entries of two manifests (what an audit does after hashing):
 * @p expected against @p actual, same callback and summary.
 */
int sp_manifest_compare(sp_ctx *ctx, const sp_manifest *expected,
    const sp_manifest *actual, sp_manifest_check_cb cb, void *payload,
    sp_manifest_check_summary *summary) SP_WUR;

/* ---- diff of two manifests ---------------------------------------------- */

/** One difference between manifests A and B. */
typedef enum sp_manifest_diff_kind {
	SP_DIFF_ADDED = 0,   /**< only in B */
	SP_DIFF_REMOVED = 1, /**< only in A */
	SP_DIFF_CHANGED = 2, /**< same path, other content/target/type */
	SP_DIFF_RENAMED = 3, /**< same content and type, new path */
	SP_DIFF_MODE = 4,    /**< same path and content, exec bit differs */
} sp_manifest_diff_kind;

/** Counts of a diff. */
typedef struct sp_manifest_diff_summary {
	uint64_t added, removed, changed, renamed, mode, unchanged;
} sp_manifest_diff_summary;

/**
 * Called once per difference, ordered by path (A's path for removed and
 * renamed, B's otherwise). @p a is A's entry (NULL for ADDED), @p b is B's
 * (NULL for REMOVED). Return non-zero to stop.
 */
typedef int (*sp_manifest_diff_cb)(sp_manifest_diff_kind kind,
    const sp_manifest_entry *a, const sp_manifest_entry *b, void *payload);

/**
 * Diff two manifests. A removed entry and an added entry with the same type,
 * size and SHA-256 (same target for symlinks) are one rename; candidates
 * pair up in path order.
 * @return 0 (whether or not they differ: see @p summary), the callback's
 *         non-zero value, or SP_ENOMEM
 */
int sp_manifest_diff(sp_ctx *ctx, const sp_manifest *a, const sp_manifest *b,
    sp_manifest_diff_cb cb, void *payload,
    sp_manifest_diff_summary *summary) SP_WUR;

/* ---- update chains ---------------------------------------------------------
 */

/**
 * Check that @p ms[0..n) form an unbroken chain in this order: every
 * ms[i] (i >= 1) is an update whose previous digest is the digest of
 * ms[i-1], and names the same product when both name one. ms[0] may be a
 * release or an update (its own link is not checked).
 *
 * @param broken_at receives the index i of the first broken link (the
 *        manifest that does not link to ms[i-1]), or 0 when unbroken; may
 *        be NULL
 * @return 0, or SP_EVERIFY with a message naming link i (and saying when
 *         ms[i] links to another member of the list: wrong order)
 */
int sp_manifest_chain_check(sp_ctx *ctx, const sp_manifest *const *ms, size_t n,
    size_t *broken_at) SP_WUR;

#endif
