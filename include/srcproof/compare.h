/*
 * Shipped-versus-rebuilt binary comparison (module sp_review).
 *
 * sp_compare_files() decides one of five verdicts for a shipped file and
 * the file rebuilt from reviewed source:
 *
 *   IDENTICAL                   whole files are byte-identical
 *   IDENTICAL_MODULO_SIGNATURE  the normalized images are byte-identical and
 *                               every embedded signature's digest equals the
 *                               digest of the rebuilt file (PE Authenticode,
 *                               Linux kernel module signature trailer)
 *   EXPLAINED_DIFFERENCE        the only differing bytes are derived fields
 *                               (ELF build-id, .gnu_debuglink CRC): not a
 *                               match, the rebuild is not reproduced
 *   DIFFERENT                   differing byte ranges, mapped to header
 *                               fields, sections and overlay
 *   ERROR                       a file could not be read or parsed
 *
 * Compressed kernel modules (xz, zstd, gzip, by magic) are compared on
 * their decompressed contents, written to unlinked temporary files of
 * bounded size (sp_compare_options.max_decompressed).
 *
 * The normalization rules and the JSON result are specified in
 * docs/spec/compare.md. Memory use is bounded: files are streamed, never
 * loaded whole.
 *
 * A caller that signs verdicts (srcproof rebuild) calls sp_compare_files()
 * once per artefact, reads sp_compare_result_summary() and embeds
 * sp_compare_result_json() in its attestation.
 */
#ifndef SRCPROOF_COMPARE_H
#define SRCPROOF_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctx.h"

struct json_t;

/** The verdict ladder, best first. */
typedef enum sp_verdict {
	SP_VERDICT_IDENTICAL = 0,
	SP_VERDICT_IDENTICAL_MODULO_SIGNATURE = 1,
	SP_VERDICT_EXPLAINED_DIFFERENCE = 2,
	SP_VERDICT_DIFFERENT = 3,
	SP_VERDICT_ERROR = 4,
} sp_verdict;

/**
 * Name of a verdict ("IDENTICAL", ..., "ERROR").
 * @return a static string, never NULL
 */
const char *sp_verdict_name(sp_verdict v);

/**
 * True for the two verdicts that count as a match (IDENTICAL,
 * IDENTICAL_MODULO_SIGNATURE).
 */
bool sp_verdict_is_match(sp_verdict v);

#define SP_COMPARE_OPTIONS_VERSION 1

/** Default cap on the number of differing ranges kept in a result. */
#define SP_COMPARE_DEFAULT_MAX_RANGES 64

/** Default cap on the decompressed size of a compressed module. */
#define SP_COMPARE_DEFAULT_MAX_DECOMPRESSED ((uint64_t)512 << 20)

/** Options of sp_compare_files(). */
typedef struct sp_compare_options {
	unsigned version; /**< SP_COMPARE_OPTIONS_VERSION */
	/**
	 * Detached PKCS#7 signature (DER or PEM): require that the shipped
	 * file equals the rebuilt file with this signature attached (whole
	 * file), as sp_attach_signature() would write it. NULL for none.
	 */
	const char *signature_path;
	/** Keep at most this many differing ranges (0: the default). */
	size_t max_ranges;
	/**
	 * Run diffoscope (when installed) and write its report under
	 * report_dir; the verdict never depends on it. Needs report_dir.
	 */
	bool diffoscope;
	/** Directory for diffoscope output (NULL unless diffoscope). */
	const char *report_dir;
	/** diffoscope wall-clock limit in seconds (0: 300). */
	unsigned diffoscope_timeout;
	/** Cap on each diffoscope output file in bytes (0: 40 MiB). */
	uint64_t diffoscope_max_output;
	/**
	 * Certificate (PEM or DER) of the key that signed a kernel module,
	 * for module signatures made without certificates (sign-file does
	 * so). It MUST match the SignerInfo's signer identifier: issuer and
	 * serial, or subjectKeyIdentifier (sign-file -k). NULL: only
	 * certificates inside the signature are used.
	 */
	const char *signer_cert_path;
	/**
	 * Compressed ELF files (.ko.xz, .ko.zst, .ko.gz, detected by magic)
	 * are compared decompressed; a file that decompresses to more than
	 * this many bytes is an ERROR (0: SP_COMPARE_DEFAULT_MAX_DECOMPRESSED).
	 */
	uint64_t max_decompressed;
} sp_compare_options;

#define SP_COMPARE_OPTIONS_INIT                                                \
	{                                                                      \
		SP_COMPARE_OPTIONS_VERSION, NULL, 0, false, NULL, 0, 0, NULL,  \
		    0                                                          \
	}

/** An opaque comparison result. */
typedef struct sp_compare_result sp_compare_result;

/** Key facts of a result, borrowed from it. */
typedef struct sp_compare_summary {
	sp_verdict verdict;
	/**
	 * How the files were compared: "bytes", "pe-authenticode",
	 * "pe-detached-signature", "elf", "elf-module-signature".
	 */
	const char *method;
	/** One line saying why this verdict (trusted text). */
	const char *reason;
	/** For ERROR: the error message (may quote escaped file text). */
	const char *error;
	/** For ERROR: the sp_error_code. */
	int error_code;
	const char *shipped_format; /**< "pe32", "pe32+", "elf64", "data"... */
	const char *rebuilt_format;
	uint64_t shipped_size;
	uint64_t rebuilt_size;
	bool have_digests; /**< false when a file could not be read */
	uint8_t shipped_sha256[32];
	uint8_t rebuilt_sha256[32];
	/** SHA-256 of the normalized rebuilt image (PE, module), if any. */
	bool have_normalized;
	uint8_t normalized_sha256[32];
	uint64_t normalized_size;
	size_t nsignatures;       /**< embedded signatures checked */
	size_t nsignatures_match; /**< of which digest and signature hold */
	size_t nranges;           /**< differing ranges kept */
	uint64_t ranges_total;    /**< differing ranges found */
	uint64_t bytes_differing; /**< total length of every range */
	size_t nfindings;         /**< findings of any severity */
	/**
	 * "xz", "zstd" or "gzip" when that file was compared decompressed,
	 * else NULL. Sizes and digests above are of the files as given; the
	 * ranges are offsets in the decompressed contents.
	 */
	const char *shipped_compression;
	const char *rebuilt_compression;
} sp_compare_summary;

/**
 * Compare @p shipped with @p rebuilt.
 *
 * Bad input never fails the call: a file that cannot be opened, read or
 * parsed yields a result with verdict SP_VERDICT_ERROR, its error message
 * and code (so that negative results can be reported and signed); the
 * same error is also set in @p ctx.
 *
 * @param ctx context (errors, OpenSSL library context)
 * @param out receives the result, owned by the caller
 *            (sp_compare_result_free); NULL on failure
 * @param shipped path of the shipped file
 * @param rebuilt path of the rebuilt file
 * @param opts options, or NULL for defaults
 * @return 0 when a result was produced (any verdict), SP_ENOMEM, or
 *         SP_EINVALID for bad options
 */
int sp_compare_files(sp_ctx *ctx, sp_compare_result **out, const char *shipped,
    const char *rebuilt, const sp_compare_options *opts) SP_WUR;

/** Free a result; NULL is a no-op. */
void sp_compare_result_free(sp_compare_result *res);

/** The key facts of @p res (borrowed from @p res). */
const sp_compare_summary *sp_compare_result_summary(
    const sp_compare_result *res);

/**
 * The full result as a JSON object (docs/spec/compare.md, without the
 * "schema" member).
 * @param out receives a new reference (json_decref)
 * @return 0 or SP_ENOMEM
 */
int sp_compare_result_json(
    sp_ctx *ctx, struct json_t **out, const sp_compare_result *res) SP_WUR;

/**
 * Append the plain-text report of @p res to @p out. Untrusted strings
 * are escaped for a terminal.
 */
int sp_compare_result_text(
    sp_ctx *ctx, sp_buf *out, const sp_compare_result *res) SP_WUR;

/**
 * Append a self-contained HTML page (no external resources, every
 * untrusted string escaped) describing @p res to @p out.
 */
int sp_compare_result_html(
    sp_ctx *ctx, sp_buf *out, const sp_compare_result *res) SP_WUR;

/**
 * Write report.txt, report.html and result.json into @p dir (created
 * 0755 when missing), each atomically.
 * @return 0, SP_EIO or SP_ENOMEM
 */
int sp_compare_write_report(
    sp_ctx *ctx, const sp_compare_result *res, const char *dir) SP_WUR;

/**
 * Attach a detached PKCS#7 Authenticode signature to an unsigned PE
 * image, writing @p out_path atomically, byte for byte as
 * `osslsigncode attach-signature` does: pad the image with zeros to a
 * multiple of 8, append one WIN_CERTIFICATE (revision 0x0200, type 2,
 * dwLength = 8 + DER length + zero padding to 8), point the Certificate
 * Table directory entry at it and recompute the CheckSum.
 *
 * The signature MUST parse as PKCS#7 SignedData holding an
 * SpcIndirectDataContent; its digest MUST equal the image's Authenticode
 * digest (else SP_EVERIFY).
 *
 * @param unsigned_path the unsigned image (a certificate table is refused)
 * @param sig_path DER or PEM PKCS#7 signature
 * @param out_path output file; refused if it exists unless @p force
 * @return 0, SP_EVERIFY, SP_EPARSE, SP_EEXISTS, SP_EIO, SP_ENOMEM
 */
int sp_attach_signature(sp_ctx *ctx, const char *unsigned_path,
    const char *sig_path, const char *out_path, bool force) SP_WUR;

#endif
