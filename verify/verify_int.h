/*
 * Internals of sp_verify: the result and the report writers.
 */
#ifndef SP_VERIFY_INT_H
#define SP_VERIFY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "srcproof/compare.h"
#include "srcproof/escrow.h"
#include "srcproof/review.h"
#include "srcproof/verify.h"

/** Longest detail of a check, NUL included. */
#define SP_VERIFY_DETAIL_MAX 1024
/** Most rebuild artefacts, witnesses and attestations kept for reports. */
#define SP_VERIFY_MAX_LISTED 64

struct sp_verify_check_slot {
	sp_escrow_check_status status;
	bool required;
	char detail[SP_VERIFY_DETAIL_MAX];
};

struct sp_verify_artefact {
	char *name, *method, *reason;
	sp_verdict verdict;
};

struct sp_verify_att {
	char *label, *reason;
	const char *status; /* static */
};

struct sp_verify_cosigner {
	char *name;
	int64_t time;
};

struct sp_verify_result {
	struct sp_verify_check_slot checks[SP_VERIFY_CHECK_COUNT];
	sp_verify_check view[SP_VERIFY_CHECK_COUNT]; /* public view */
	bool ok;

	/* The bundle. */
	char *bundle;
	char bundle_sha256[65];
	uint64_t bundle_bytes;
	bool encrypted;
	char cipher[32];
	const char *compression; /* static */
	uint64_t members, source_files;
	char product[257], release[257], kind[16];
	char manifest_sha256[65], previous_sha256[65];

	/* Times. */
	int64_t at, now;
	bool at_given;

	/* The policy in force (the last of the chain). */
	bool policy_loaded, policy_ok;
	uint64_t policy_version;
	int64_t policy_expires;
	char policy_product[257];
	size_t policy_chain;
	unsigned witness_threshold; /* 0: the policy names no witness */
	size_t policy_witnesses;
	unsigned log_threshold; /* 0: the policy names no log key */
	size_t policy_log_keys;

	/* Log. */
	bool have_log;
	uint64_t log_index, log_size;
	char log_origin[257];
	const char *log_key_source; /* "policy", "option" or NULL */
	const char *witness_source; /* "policy", "options" or NULL */
	unsigned quorum;
	size_t ncosigners;
	struct sp_verify_cosigner cosigners[SP_VERIFY_MAX_LISTED];

	/* Rebuild. */
	bool rebuilt;
	sp_verdict verdict;
	size_t nartefacts, artefacts_total;
	struct sp_verify_artefact artefacts[SP_VERIFY_MAX_LISTED];

	/* Coverage. */
	bool have_coverage;
	sp_review_summary coverage;
	sp_review_depth min_depth;
	uint64_t require_milli;
	size_t natts, atts_total;
	struct sp_verify_att atts[SP_VERIFY_MAX_LISTED];

	char *report_dir;
	char tool_version[64];
};

/** Names of the checks, by id. */
extern const char *const sp_verify__check_names[SP_VERIFY_CHECK_COUNT];

/** Set check @p id. */
void sp_verify__set(sp_verify_result *res, sp_verify_check_id id,
    sp_escrow_check_status st, const char *fmt, ...) SP_PRINTF(4, 5);

/** Write report.txt, report.html and report.json into @p dir. */
int sp_verify__write_reports(
    sp_ctx *ctx, const sp_verify_result *res, const char *dir) SP_WUR;

#endif
