/*
 * Internals of the review ledger (review/attest.c, coverage.c,
 * coverage_out.c, delta.c, report.c, ledger_util.c). Not public API.
 */
#ifndef SP_LEDGER_INT_H
#define SP_LEDGER_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srcproof/review.h"
#include "srcproof/util.h"

/* ---- attestations -------------------------------------------------------- */

struct sp_review_attestation {
	json_t *root; /* owns every string the entries point to */
	char manifest[SP_SHA256_HEX_LEN + 1];
	char reviewer[SP_KEYID_HEX_LEN + 1];
	const char *subject_name;
	const char *product, *release, *kind;
	int64_t time;
	sp_review_entry *entries;
	size_t nentries;
	sp_review_range *ranges; /* pool the entries point into */
};

/* ---- ledger -------------------------------------------------------------- */

struct ledger_att {
	sp_review_att_info info;
	char *label;
	sp_buf reason;
	sp_review_attestation *a; /* NULL when it did not parse */
	uint8_t payload_md[SP_SHA256_LEN];
	size_t known; /* index + 1 of the known manifest it names, 0 none */
};

struct ledger_known {
	const sp_manifest *m;
	uint8_t md[SP_SHA256_LEN];
	char hex[SP_SHA256_HEX_LEN + 1];
};

struct sp_review_ledger {
	const sp_manifest *m;
	uint8_t md[SP_SHA256_LEN];
	char hex[SP_SHA256_HEX_LEN + 1];
	sp_review_trust trust;
	struct ledger_known *known;
	size_t nknown;
	struct ledger_att *atts;
	size_t natts, aatts;
	/* sha256 of every entry of m, sorted, for membership tests. */
	uint8_t (*hashes)[SP_SHA256_LEN];
	size_t nhashes;
};

/* ---- coverage -------------------------------------------------------------
 */

/* One trusted entry of a counted attestation. */
struct ledger_ref {
	const sp_review_entry *e;
	const struct ledger_att *att;
};

struct sp_review_coverage {
	const sp_review_ledger *ledger;
	sp_review_depth min_depth;
	bool have_source;
	sp_review_file *files; /* manifest order */
	size_t nfiles;
	size_t *order; /* report order: indexes into files */
	sp_review_concern *concerns;
	size_t nconcerns;
	sp_review_summary sum;
	/* Trusted entries by path, for "last reviewed" lookups. */
	const struct ledger_ref *bypath;
	size_t nbypath;
	struct ledger_ref *refs; /* owns both orders */
};

/**
 * The latest trusted entry for @p path whose verdict is not
 * "not-reviewed", or NULL.
 */
const struct ledger_ref *sp_review__last_reviewed(
    const sp_review_coverage *cov, const char *path);

/**
 * The trusted entries for @p path, oldest first (attestation time): a
 * pointer to the first and their number in @p count (0: none).
 */
const struct ledger_ref *sp_review__path_refs(
    const sp_review_coverage *cov, const char *path, size_t *count);

/** One attestation's ledger entry as JSON (new reference or NULL). */
json_t *sp_review__att_json(const sp_review_att_info *in);

/** Was @p sha256 reviewed (any depth, verdict not "not-reviewed") by a
 * trusted reviewer, under any path? */
bool sp_review__sha_reviewed(
    const sp_review_coverage *cov, const uint8_t *sha256);

/** One file of a coverage as JSON (new reference, NULL on ENOMEM). */
json_t *sp_review__file_json(
    const sp_review_coverage *cov, const sp_review_file *f);

/* ---- helpers (ledger_util.c) ----------------------------------------------
 */

/** Parse JSON (duplicates rejected, at most @p max bytes). */
int sp_review__json_parse(sp_ctx *ctx, json_t **out, const char *data,
    size_t len, size_t max, const char *what);

/** Refuse members of @p obj other than @p allowed. */
int sp_review__json_members(sp_ctx *ctx, const json_t *obj,
    const char *const *allowed, size_t n, const char *what);

/**
 * A JSON string of untrusted text (new reference): as it is when valid
 * UTF-8, else escaped as by sp_escape_terminal; JSON null for NULL.
 */
json_t *sp_review__json_text(const char *s, size_t len);

/** Sort and merge overlapping or adjacent ranges in place; new count. */
size_t sp_review__ranges_normalize(sp_review_range *r, size_t n);

/** sp_escape_terminal of a NUL-terminated string, "" for NULL. */
int sp_review__put_term(sp_buf *out, const char *s) SP_WUR;

/** sp_escape_html of a NUL-terminated string, "" for NULL. */
int sp_review__put_html(sp_buf *out, const char *s) SP_WUR;

/** Append at most @p max bytes of @p s escaped for a terminal, with
 * "..." when cut (never inside a UTF-8 sequence). */
int sp_review__put_term_cut(sp_buf *out, const char *s, size_t max) SP_WUR;

/** Same for HTML. */
int sp_review__put_html_cut(sp_buf *out, const char *s, size_t max) SP_WUR;

/** The start of the self-contained HTML page (inline CSS, no scripts, no
 * external resources). @p title is trusted text. */
int sp_review__html_begin(sp_buf *out, const char *title) SP_WUR;

/** The end of the HTML page. */
int sp_review__html_end(sp_buf *out) SP_WUR;

/** A directory written whole or not at all. */
struct sp_review_outdir {
	sp_ctx *ctx;
	char *final;
	char *tmp;
};

/**
 * Create a temporary directory beside @p path. SP_EEXISTS when @p path
 * exists already.
 */
int sp_review__outdir_begin(
    sp_ctx *ctx, struct sp_review_outdir *d, const char *path) SP_WUR;

/** Create the subdirectory @p name in it. */
int sp_review__outdir_mkdir(
    struct sp_review_outdir *d, const char *name) SP_WUR;

/** Write the file @p name (relative, trusted) in it. */
int sp_review__outdir_write(struct sp_review_outdir *d, const char *name,
    const void *data, size_t len) SP_WUR;

/** Rename the directory into place (fsync'd). */
int sp_review__outdir_commit(struct sp_review_outdir *d) SP_WUR;

/** Remove the temporary directory (after a failure); safe to repeat. */
void sp_review__outdir_abort(struct sp_review_outdir *d);

/**
 * Read the file @p path of the source directory @p dir (O_NOFOLLOW, at
 * most @p max bytes), check its sha256 against @p e and append it to
 * @p out. SP_EVERIFY names the file when it does not match; SP_EUNSAFE
 * for an unsafe path.
 */
int sp_review__read_source(sp_ctx *ctx, sp_buf *out, const char *dir,
    const sp_manifest_entry *e, uint64_t max) SP_WUR;

/**
 * Stream the file @p e of the source directory @p dir: check its sha256
 * against the manifest (SP_EVERIFY when it differs) and count its bytes
 * and lines. A symbolic link must have the manifest's target (one line).
 */
int sp_review__scan_source(sp_ctx *ctx, const char *dir,
    const sp_manifest_entry *e, uint64_t *bytes, uint64_t *lines) SP_WUR;

/** Count lines: newlines, plus one when the last byte is not one. */
uint64_t sp_review__count_lines(const char *data, size_t len);

/** Key id shortened for display (first 16 hex characters). */
void sp_review__short_id(char out[17], const char *keyid);

#endif
