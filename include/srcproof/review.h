/*
 * The review ledger: signed review attestations, coverage carried across
 * releases by content hash, delta review packs and the one-page report.
 *
 * A review attestation (docs/spec/review.md) is a DSSE envelope over an
 * in-toto Statement whose subject is a manifest's SHA-256 and whose
 * predicate lists each reviewed file by path and sha256, with the depth of
 * the review, its verdict, optional line ranges and a note, signed by the
 * reviewer's key for the role `review`.
 *
 * Coverage is computed against one manifest from any set of attestations:
 * an attestation counts only when its signature meets the trust policy
 * (role `review`) or one of the keys given; a file is covered when a
 * counted attestation names its exact bytes (sha256) at the required depth,
 * whichever release the attestation was made for. Unchanged files thus stay
 * covered across releases with no new work; a changed file is uncovered.
 *
 * Typical use:
 *
 *     sp_review_trust t = SP_REVIEW_TRUST_INIT;
 *     t.policy = verified_policy; t.at = now;
 *     sp_review_ledger_new(ctx, &l, manifest, &t);
 *     sp_review_ledger_add_file(ctx, l, "alice.att");  (for each)
 *     sp_review_coverage_compute(ctx, &cov, l, &opts);
 *     sp_review_coverage_text(ctx, cov, &buf, 0);
 */
#ifndef SRCPROOF_REVIEW_H
#define SRCPROOF_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctx.h"
#include "manifest.h"
#include "sign.h"

struct json_t;

/* ---- constants ------------------------------------------------------------
 */

/** predicateType of a review attestation. */
#define SP_REVIEW_PREDICATE_V1 "https://srcproof.dev/review/v1"
/** The role a review attestation is signed for. */
#define SP_REVIEW_ROLE "review"
/** The role a rebuild verdict attestation is signed for. */
#define SP_REVIEW_REBUILD_ROLE "rebuild"

/** Longest note accepted, in bytes. */
#define SP_REVIEW_MAX_NOTE 4096
/** Most files one attestation may list. */
#define SP_REVIEW_MAX_FILES 16384
/** Most line ranges per file. */
#define SP_REVIEW_MAX_RANGES 64
/** Largest line number (2^53 - 1: exact in every JSON reader). */
#define SP_REVIEW_MAX_LINE ((uint64_t)9007199254740991)
/** Most attestations (or verdicts) one ledger or report reads. */
#define SP_REVIEW_MAX_ATTESTATIONS 65536

/* ---- depth and verdict -------------------------------------------------- */

/** How closely a file was read; ordered, deeper is larger. */
typedef enum sp_review_depth {
	SP_REVIEW_DEPTH_NONE = 0,     /**< not reviewed (never in input) */
	SP_REVIEW_DEPTH_OVERVIEW = 1, /**< "overview": skimmed */
	SP_REVIEW_DEPTH_READ = 2,     /**< "read": read in full */
	SP_REVIEW_DEPTH_IN_DEPTH = 3, /**< "in-depth": analysed */
} sp_review_depth;

/** What the reviewer concluded. */
typedef enum sp_review_verdict {
	SP_REVIEW_OK = 0,           /**< "ok" */
	SP_REVIEW_CONCERN = 1,      /**< "concern": see the note */
	SP_REVIEW_NOT_REVIEWED = 2, /**< "not-reviewed": explicitly not */
} sp_review_verdict;

/** "overview", "read", "in-depth" ("none" for 0). Never NULL. */
const char *sp_review_depth_name(sp_review_depth d);

/** Parse a depth name. @return 0 or SP_EINVALID (message set) */
int sp_review_depth_parse(
    sp_ctx *ctx, sp_review_depth *out, const char *name) SP_WUR;

/** "ok", "concern", "not-reviewed". Never NULL. */
const char *sp_review_verdict_name(sp_review_verdict v);

/** Parse a verdict name. @return 0 or SP_EINVALID (message set) */
int sp_review_verdict_parse(
    sp_ctx *ctx, sp_review_verdict *out, const char *name) SP_WUR;

/** An inclusive range of 1-based line numbers. */
typedef struct sp_review_range {
	uint64_t start; /**< first line, >= 1 */
	uint64_t end;   /**< last line, >= start */
} sp_review_range;

/**
 * Parse "START-END" (or "N", one line) into @p out.
 * @return 0 or SP_EINVALID
 */
int sp_review_range_parse(
    sp_ctx *ctx, sp_review_range *out, const char *text) SP_WUR;

/* ---- making attestations ------------------------------------------------ */

/** One file to attest. Strings are borrowed for the duration of a call. */
typedef struct sp_review_item {
	const char *path; /**< path as in the manifest */
	/** Reviewed line ranges; NULL/0 means the whole file. Any order;
	 * overlapping ranges are merged. */
	const sp_review_range *ranges;
	size_t nranges;
	sp_review_depth depth;     /**< overview, read or in-depth */
	sp_review_verdict verdict; /**< ok, concern or not-reviewed */
	const char *note;          /**< UTF-8, at most SP_REVIEW_MAX_NOTE
	                              bytes, or NULL */
} sp_review_item;

/**
 * Build the canonical review statement (docs/spec/review.md) for files of
 * @p m: subject {name: @p subject_name, digest: the manifest's sha256},
 * predicate {role "review", signed_at @p when, reviewer @p keyid, the
 * manifest's product/release/kind/previous, files sorted by path with the
 * manifest's sha256 of each}. Appends compact JSON to @p out.
 *
 * Refused (SP_EINVALID, naming the file): a path not in the manifest, a
 * path given twice, no files or more than SP_REVIEW_MAX_FILES, a depth of
 * NONE, a bad range, a note that is too long, empty or not UTF-8.
 * SP_ELIMIT when the statement would exceed SP_DSSE_MAX_PAYLOAD.
 */
int sp_review_statement(sp_ctx *ctx, sp_buf *out, const sp_manifest *m,
    const char *subject_name, const sp_review_item *items, size_t nitems,
    int64_t when, const char *keyid) SP_WUR;

/**
 * sp_review_statement with @p key's id, signed with @p key.
 * @param env receives a new envelope (sp_dsse_free)
 */
int sp_review_attest(sp_ctx *ctx, sp_dsse **env, const sp_manifest *m,
    const char *subject_name, const sp_review_item *items, size_t nitems,
    int64_t when, const sp_key *key) SP_WUR;

/* ---- reading attestations ----------------------------------------------- */

/** A parsed review attestation (opaque; sp_review_attestation_free). */
typedef struct sp_review_attestation sp_review_attestation;

/** One file of a parsed attestation. Borrowed from the attestation. */
typedef struct sp_review_entry {
	const char *path;              /**< safe relative path, UTF-8 */
	uint8_t sha256[32];            /**< the reviewed bytes */
	const sp_review_range *ranges; /**< sorted, disjoint; NULL = whole */
	size_t nranges;
	sp_review_depth depth;
	sp_review_verdict verdict;
	const char *note; /**< NULL when none; untrusted text */
} sp_review_entry;

/**
 * Parse a review statement (the DSSE payload). Strict: canonical field
 * set, files sorted by path and unique, safe relative paths, lower-case
 * hex digests, ranges sorted and disjoint, notes within the cap. Nothing
 * in it is trusted until the envelope's signature is verified.
 * @return 0, SP_EPARSE or SP_ELIMIT (message set), SP_ENOMEM
 */
int sp_review_attestation_parse(sp_ctx *ctx, sp_review_attestation **out,
    const char *statement, size_t len) SP_WUR;

/**
 * Parse the statement carried by @p env (payload type must be in-toto).
 */
int sp_review_attestation_from_dsse(
    sp_ctx *ctx, sp_review_attestation **out, const sp_dsse *env) SP_WUR;

/** Free; NULL is a no-op. */
void sp_review_attestation_free(sp_review_attestation *a);

/** Subject: the manifest's sha256 as 64 lower-case hex. Borrowed. */
const char *sp_review_attestation_manifest(const sp_review_attestation *a);
/** Subject name. Borrowed, untrusted. */
const char *sp_review_attestation_subject_name(const sp_review_attestation *a);
/** Reviewer key id (64 hex). Borrowed. */
const char *sp_review_attestation_reviewer(const sp_review_attestation *a);
/** signed_at, seconds since the epoch. */
int64_t sp_review_attestation_time(const sp_review_attestation *a);
/** Manifest product / release / kind, NULL when not recorded. Borrowed. */
const char *sp_review_attestation_product(const sp_review_attestation *a);
const char *sp_review_attestation_release(const sp_review_attestation *a);
const char *sp_review_attestation_kind(const sp_review_attestation *a);
/** Number of files. */
size_t sp_review_attestation_count(const sp_review_attestation *a);
/** File @p i, or NULL when out of range. Borrowed. */
const sp_review_entry *sp_review_attestation_entry(
    const sp_review_attestation *a, size_t i);

/* ---- ledger: which attestations count -----------------------------------
 */

/** Whom to trust. Exactly one mode: policy, keys, or none (NOT CHECKED). */
typedef struct sp_review_trust {
	unsigned version; /**< SP_REVIEW_TRUST_VERSION */
	/** A policy already verified by the caller (sp_policy_verify_chain);
	 * attestations need the threshold of role `review` in it. */
	const sp_policy *policy;
	/** Or: trusted public keys; one signature of them suffices. */
	sp_key *const *keys;
	size_t nkeys;
	/** Time for key validity and policy expiry (0: now). */
	int64_t at;
} sp_review_trust;

#define SP_REVIEW_TRUST_VERSION 1
#define SP_REVIEW_TRUST_INIT                                                   \
	{                                                                      \
		SP_REVIEW_TRUST_VERSION, NULL, NULL, 0, 0                      \
	}

/** Why an attestation counts or not. */
typedef enum sp_review_att_status {
	SP_REVIEW_ATT_COUNTED = 0,       /**< trusted, used */
	SP_REVIEW_ATT_MALFORMED = 1,     /**< not a review attestation */
	SP_REVIEW_ATT_NOT_CHECKED = 2,   /**< no policy and no keys */
	SP_REVIEW_ATT_UNTRUSTED = 3,     /**< signatures do not meet trust */
	SP_REVIEW_ATT_OTHER_PRODUCT = 4, /**< for another product */
	SP_REVIEW_ATT_INCONSISTENT = 5,  /**< disagrees with its manifest */
	SP_REVIEW_ATT_DUPLICATE = 6,     /**< same statement counted already */
} sp_review_att_status;

/** "counted", "malformed", "NOT CHECKED", ... Never NULL. */
const char *sp_review_att_status_name(sp_review_att_status s);

/** What the ledger says about one attestation given to it. Borrowed. */
typedef struct sp_review_att_info {
	const char *label; /**< file name given by the caller (untrusted) */
	sp_review_att_status status;
	const char *reason; /**< why not counted ("" when counted); may
	                       quote untrusted text, escape before display */
	/** The rest is set when the statement parsed (else NULL/0). */
	const char *manifest; /**< subject sha256 hex */
	const char *reviewer; /**< key id hex */
	const char *product, *release;
	int64_t time;
	size_t files;      /**< entries */
	bool current;      /**< its subject is the ledger's manifest */
	bool checked;      /**< its subject manifest was known: entries
	                      were checked against it */
	size_t stale;      /**< entries whose sha256 is not in the ledger's
	                      manifest (changed or removed since) */
	size_t signatures; /**< signatures in the envelope */
} sp_review_att_info;

/** A set of attestations judged against one manifest. */
typedef struct sp_review_ledger sp_review_ledger;

/**
 * A new ledger for @p m (borrowed: it MUST outlive the ledger). @p trust
 * is copied; its policy and keys are borrowed.
 */
int sp_review_ledger_new(sp_ctx *ctx, sp_review_ledger **out,
    const sp_manifest *m, const sp_review_trust *trust) SP_WUR;

/**
 * Make another manifest known (an earlier release; borrowed, MUST outlive
 * the ledger): attestations whose subject it is get their entries checked
 * against it, as attestations for the ledger's own manifest always are.
 */
int sp_review_ledger_know(
    sp_ctx *ctx, sp_review_ledger *l, const sp_manifest *other) SP_WUR;

/**
 * Judge one attestation file's bytes (a DSSE envelope). Bad input is
 * recorded as "not counted" with the reason and is not an error.
 * @param label shown in reports (copied)
 * @return 0, SP_ENOMEM or SP_ELIMIT (too many attestations)
 */
int sp_review_ledger_add(sp_ctx *ctx, sp_review_ledger *l, const char *label,
    const char *data, size_t len) SP_WUR;

/**
 * Read @p path (at most SP_DSSE_MAX_SIZE bytes, O_NOFOLLOW) and add it.
 * @return 0, or SP_ENOTFOUND / SP_EIO when it cannot be read (an oversized
 *         file is recorded as malformed)
 */
int sp_review_ledger_add_file(
    sp_ctx *ctx, sp_review_ledger *l, const char *path) SP_WUR;

/** Free; NULL is a no-op. */
void sp_review_ledger_free(sp_review_ledger *l);

/** The ledger's manifest. */
const sp_manifest *sp_review_ledger_manifest(const sp_review_ledger *l);

/** The manifest's sha256 as hex. Borrowed. */
const char *sp_review_ledger_digest(const sp_review_ledger *l);

/** How trust was decided: "policy", "keys" or "none". */
const char *sp_review_ledger_trust_mode(const sp_review_ledger *l);

/** Number of attestations added. */
size_t sp_review_ledger_count(const sp_review_ledger *l);

/** Attestation @p i in the order added. */
const sp_review_att_info *sp_review_ledger_info(
    const sp_review_ledger *l, size_t i);

/* ---- coverage ------------------------------------------------------------
 */

/** Status of one file, in the order reports list them. */
typedef enum sp_review_file_status {
	SP_REVIEW_FILE_CONCERN = 0,   /**< an open concern (any depth) */
	SP_REVIEW_FILE_UNCOVERED = 1, /**< no trusted review of these bytes */
	SP_REVIEW_FILE_PARTIAL = 2,   /**< some lines at the required depth */
	SP_REVIEW_FILE_SHALLOW = 3,   /**< whole file, below the depth */
	SP_REVIEW_FILE_COVERED = 4,   /**< whole file at the required depth */
} sp_review_file_status;

/** "concern", "uncovered", "partial", "shallow", "covered". */
const char *sp_review_file_status_name(sp_review_file_status s);

/** A concern raised on a file and not withdrawn. Borrowed. */
typedef struct sp_review_concern {
	const char *reviewer; /**< key id */
	const char *note;     /**< untrusted text, may be NULL */
	sp_review_depth depth;
	int64_t time;
	const char *attestation; /**< label of the attestation */
} sp_review_concern;

/** Coverage of one manifest entry. Borrowed from the coverage. */
typedef struct sp_review_file {
	const sp_manifest_entry *entry; /**< borrowed from the manifest */
	sp_review_file_status status;
	/** Deepest level at which the whole file is covered (NONE if not). */
	sp_review_depth depth;
	bool covered; /**< depth >= the required depth (concerns too) */
	bool carried; /**< covered only by attestations for other
	                 manifests (earlier releases) */
	bool marked_not_reviewed; /**< a reviewer said "not-reviewed" */
	uint64_t bytes;           /**< size, UINT64_MAX when unknown */
	uint64_t lines;           /**< line count, UINT64_MAX when unknown */
	uint64_t lines_covered;   /**< at the required depth, UINT64_MAX when
	                             unknown */
	/** For an uncovered file: the sha256 a trusted reviewer last
	 * reviewed at this path (the file changed since), else NULL. */
	const uint8_t *last_reviewed;
	const sp_review_concern *concerns;
	size_t nconcerns;
} sp_review_file;

/** Totals. A value is UINT64_MAX when unknown (no source given). */
typedef struct sp_review_summary {
	uint64_t files, files_covered, files_carried, concerns;
	uint64_t by_status[5]; /**< indexed by sp_review_file_status */
	uint64_t by_depth[4];  /**< files by whole-file depth (0 = none) */
	uint64_t bytes, bytes_covered;
	uint64_t by_depth_bytes[4];
	uint64_t lines, lines_covered;
	size_t attestations, counted;
} sp_review_summary;

/** Options of sp_review_coverage_compute. */
typedef struct sp_review_coverage_opts {
	unsigned version; /**< SP_REVIEW_COVERAGE_OPTS_VERSION */
	/** Required depth (NONE means READ). */
	sp_review_depth min_depth;
	/**
	 * Source directory of the manifest, or NULL. When given, every file
	 * is read (O_NOFOLLOW), its sha256 checked against the manifest
	 * (SP_EVERIFY on a mismatch) and its bytes and lines counted.
	 */
	const char *source;
} sp_review_coverage_opts;

#define SP_REVIEW_COVERAGE_OPTS_VERSION 1
#define SP_REVIEW_COVERAGE_OPTS_INIT                                           \
	{                                                                      \
		SP_REVIEW_COVERAGE_OPTS_VERSION, SP_REVIEW_DEPTH_READ, NULL    \
	}

/** Coverage of a manifest (opaque; sp_review_coverage_free). */
typedef struct sp_review_coverage sp_review_coverage;

/**
 * Compute coverage of the ledger's manifest. The ledger MUST outlive the
 * result (concerns and labels are borrowed from it).
 */
int sp_review_coverage_compute(sp_ctx *ctx, sp_review_coverage **out,
    const sp_review_ledger *l, const sp_review_coverage_opts *opts) SP_WUR;

/** Free; NULL is a no-op. */
void sp_review_coverage_free(sp_review_coverage *cov);

/** Totals (borrowed). */
const sp_review_summary *sp_review_coverage_summary(
    const sp_review_coverage *cov);

/** Number of files (manifest entries). */
size_t sp_review_coverage_count(const sp_review_coverage *cov);

/**
 * File @p i in report order: concerns, uncovered, partial, shallow,
 * covered; path order within each.
 */
const sp_review_file *sp_review_coverage_file(
    const sp_review_coverage *cov, size_t i);

/** The file for @p path, or NULL. */
const sp_review_file *sp_review_coverage_find(
    const sp_review_coverage *cov, const char *path);

/** The required depth used. */
sp_review_depth sp_review_coverage_min_depth(const sp_review_coverage *cov);

/**
 * Does coverage reach @p percent_milli thousandths of a percent of files
 * (99.5% is 99500)? Exact integer arithmetic.
 */
bool sp_review_coverage_meets(
    const sp_review_coverage *cov, uint64_t percent_milli);

/**
 * Format @p num / @p den as a percentage with one decimal, rounded down
 * ("99.9%" for 99.96%, "100.0%" only when equal), into @p out.
 */
void sp_review_percent(char out[16], uint64_t num, uint64_t den);

enum sp_review_text_flags {
	SP_REVIEW_TEXT_ALL = 1 << 0, /**< list covered files too */
};

/**
 * Append the human coverage report (trusted and escaped text) to @p out:
 * trust mode, attestations with their status, concerns first, files not
 * covered, totals.
 */
int sp_review_coverage_text(sp_ctx *ctx, const sp_review_coverage *cov,
    sp_buf *out, unsigned flags) SP_WUR;

enum sp_review_json_flags {
	/** Leave "files" empty: a caller that writes a large report takes
	 * the file objects one at a time from sp_review_coverage_file_json
	 * instead of holding them all. */
	SP_REVIEW_JSON_NO_FILES = 1 << 0,
};

/**
 * The coverage as a JSON object (schema srcproof.review-coverage/v1 minus
 * the schema field), new reference in @p out.
 */
int sp_review_coverage_json(sp_ctx *ctx, const sp_review_coverage *cov,
    unsigned flags, struct json_t **out) SP_WUR;

/**
 * Element @p i (report order, as sp_review_coverage_file) of the "files"
 * array of sp_review_coverage_json, new reference in @p out.
 */
int sp_review_coverage_file_json(sp_ctx *ctx, const sp_review_coverage *cov,
    size_t i, struct json_t **out) SP_WUR;

/* ---- delta review packs ------------------------------------------------- */

/** Options of sp_review_delta. */
typedef struct sp_review_delta_opts {
	unsigned version;                /**< SP_REVIEW_DELTA_OPTS_VERSION */
	const sp_manifest *old_manifest; /**< the release reviewed before */
	/** Coverage of the new release (its ledger's manifest is the new
	 * manifest; its required depth is used). */
	const sp_review_coverage *coverage;
	const char *source;     /**< the new release's source directory */
	const char *old_source; /**< the old one's, or NULL */
	const char *output;     /**< the pack directory to create */
	/** Largest file read for a diff (default 64 MiB when 0). */
	uint64_t max_file;
	/**
	 * Source directories of earlier releases (OLD_SRC counts too): when
	 * the old bytes of a file were never reviewed, the base of its diff
	 * is the latest reviewed version of the same path found in one of
	 * them (by sha256), else the old bytes as "previous-unreviewed".
	 */
	const char *const *reviewed_sources;
	size_t nreviewed_sources; /**< entries of reviewed_sources */
} sp_review_delta_opts;

#define SP_REVIEW_DELTA_OPTS_VERSION 1
#define SP_REVIEW_DELTA_OPTS_INIT                                              \
	{                                                                      \
		SP_REVIEW_DELTA_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, \
		    NULL, 0                                                    \
	}

/** Counts of a delta pack. */
typedef struct sp_review_delta_summary {
	uint64_t fresh; /**< files in the pack (need fresh eyes) */
	uint64_t added, changed, concerns; /**< why they are in it */
	uint64_t removed, renamed, mode;   /**< listed, no review needed */
	uint64_t already_covered;          /**< new content already covered */
	uint64_t carried;             /**< unchanged files that stay covered */
	uint64_t unchanged_uncovered; /**< unchanged, never covered */
	uint64_t lines_added, lines_removed;
} sp_review_delta_summary;

/**
 * Write a delta review pack (docs/spec/review.md, "Delta pack"): a new
 * directory @p opts->output holding delta.json, report.txt, report.html,
 * and for each file needing fresh eyes diffs/NNNN.diff (unified diff
 * against the last reviewed version, libgit2) and files/NNNN (the new
 * bytes). The directory appears whole or not at all (SP_EEXISTS when it
 * exists). Source files are read with O_NOFOLLOW and checked against
 * their manifests (SP_EVERIFY on a mismatch).
 */
int sp_review_delta(sp_ctx *ctx, const sp_review_delta_opts *opts,
    sp_review_delta_summary *summary) SP_WUR;

/* ---- one-page report ---------------------------------------------------- */

/** Options of sp_review_report. */
typedef struct sp_review_report_opts {
	unsigned version; /**< SP_REVIEW_REPORT_OPTS_VERSION */
	/** Coverage of the manifest (its ledger holds manifest and trust). */
	const sp_review_coverage *coverage;
	/** Signature envelopes over the manifest file (labels = paths). */
	const char *const *sigs;
	size_t nsigs;
	/** Rebuild verdict attestations (role `rebuild`). */
	const char *const *verdicts;
	size_t nverdicts;
	/** Shown as the generation time (0: now). */
	int64_t now;
	/** Output directory to create (report.txt, report.html,
	 * report.json); NULL writes nothing. */
	const char *output;
} sp_review_report_opts;

#define SP_REVIEW_REPORT_OPTS_VERSION 1
#define SP_REVIEW_REPORT_OPTS_INIT                                             \
	{                                                                      \
		SP_REVIEW_REPORT_OPTS_VERSION, NULL, NULL, 0, NULL, 0, 0, NULL \
	}

/** What a report found, for the exit status. */
typedef struct sp_review_report_result {
	size_t sigs_ok, sigs_failed, sigs_not_checked;
	size_t verdicts_match, verdicts_mismatch, verdicts_not_checked;
	uint64_t open_concerns;
} sp_review_report_result;

/**
 * Build the one-page report: product, release, manifest digest,
 * signatures and whether they meet the trust, coverage by depth, open
 * concerns, rebuild verdicts, and what was NOT checked. Signature and
 * verdict files are judged with the coverage's trust (policy roles
 * release/update and rebuild, or its keys); bad ones are reported, not
 * errors. Files are written when opts->output is set (the directory
 * appears whole or not at all).
 * @param text (optional) receives the text report (escaped)
 * @param json (optional) receives the JSON report (new reference)
 * @param result (optional) receives the counts
 * @return 0; SP_ENOTFOUND or SP_EIO when a file cannot be read;
 *         SP_EEXISTS when the output exists; SP_ENOMEM
 */
int sp_review_report(sp_ctx *ctx, const sp_review_report_opts *opts,
    sp_buf *text, struct json_t **json, sp_review_report_result *result) SP_WUR;

#endif
