/*
 * Small shared helpers: hex, constant-time compare, escaping of untrusted
 * text, safe and atomic file I/O, SHA-256, UTC times, relative path checks.
 */
#ifndef SRCPROOF_UTIL_H
#define SRCPROOF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "ctx.h"

/* ---- hex --------------------------------------------------------------- */

/**
 * Lower-case hex of @p len bytes into @p out, which MUST hold 2*len+1 bytes.
 */
void sp_hex_encode(char *out, const uint8_t *in, size_t len);

/**
 * Decode exactly @p outlen bytes from @p in (2*outlen hex characters, upper
 * or lower case; @p inlen MUST equal 2*outlen).
 * @return 0 or SP_EPARSE
 */
int sp_hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen);

/** True when @p s is exactly 2*n lower-case hex characters. */
bool sp_is_lower_hex(const char *s, size_t len, size_t n);

/* ---- constant time ------------------------------------------------------ */

/**
 * Compare two buffers in constant time (CRYPTO_memcmp).
 * CT: time depends only on @p len.
 * @return true when equal
 */
bool sp_ct_equal(const void *a, const void *b, size_t len);

/** Wipe memory in a way the compiler cannot drop (OPENSSL_cleanse). */
void sp_wipe(void *p, size_t len);

/* ---- untrusted text ---------------------------------------------------- */

/**
 * Append @p s (@p len bytes) to @p out with every byte that could control a
 * terminal escaped: C0 controls, DEL, C1 controls, backslash and invalid
 * UTF-8 become \xNN (\n, \t, \r as \n \t \r); valid printable UTF-8 passes.
 */
int sp_escape_terminal(sp_buf *out, const char *s, size_t len) SP_WUR;

/**
 * Append @p s to @p out escaped for HTML text and attribute values (&, <, >,
 * ", '), with controls and invalid UTF-8 shown as \xNN as above.
 */
int sp_escape_html(sp_buf *out, const char *s, size_t len) SP_WUR;

/** True when @p s is valid UTF-8 with no control characters. */
bool sp_is_clean_utf8(const char *s, size_t len);

/**
 * True when @p s is strict UTF-8 (RFC 3629: no overlongs, surrogates or
 * values past U+10FFFF). Control characters, NUL included, are allowed:
 * callers refuse what their format does not take.
 */
bool sp_utf8_valid(const char *s, size_t len);

/* ---- paths --------------------------------------------------------------- */

/**
 * True when @p path (@p len bytes) is a safe relative path: not empty, no
 * NUL, no leading '/', no empty, "." or ".." component, no trailing '/'.
 */
bool sp_path_is_safe_relative(const char *path, size_t len);

/** "@p dir/@p name", allocated (free it), or NULL when out of memory. */
char *sp_path_join(const char *dir, const char *name);

/* ---- files ----------------------------------------------------------------
 */

enum sp_open_flags {
	SP_OPEN_NOFOLLOW =
	    1 << 0, /**< refuse a symbolic link as last component */
};

/**
 * Open @p path read-only (O_CLOEXEC, O_NOFOLLOW when asked) and require a
 * regular file.
 * @return 0 with *fd_out set, or SP_ENOTFOUND / SP_EIO / SP_EUNSAFE
 */
int sp_open_read(sp_ctx *ctx, int *fd_out, const char *path, unsigned flags);

/**
 * Read a whole regular file of at most @p max bytes into @p out (appended).
 * @return 0, SP_ENOTFOUND, SP_EIO or SP_ELIMIT
 */
int sp_read_file(sp_ctx *ctx, sp_buf *out, const char *path, size_t max,
    unsigned flags) SP_WUR;

/** Read everything from @p fd (at most @p max bytes) into @p out. */
int sp_read_fd(
    sp_ctx *ctx, sp_buf *out, int fd, size_t max, const char *name) SP_WUR;

/** Atomic writer: temp file in the target's directory, renamed on commit. */
typedef struct sp_atomic sp_atomic;

enum sp_atomic_flags {
	SP_ATOMIC_EXCL = 1 << 0, /**< fail with SP_EEXISTS if target exists */
};

/**
 * Start writing @p path atomically with permission @p mode. Nothing appears
 * at @p path until sp_atomic_commit succeeds.
 */
int sp_atomic_open(sp_ctx *ctx, sp_atomic **out, const char *path, mode_t mode,
    unsigned flags) SP_WUR;

/** Append bytes to the pending file. */
int sp_atomic_write(sp_atomic *w, const void *data, size_t len) SP_WUR;

/** The pending file's descriptor, for callers that write it themselves. */
int sp_atomic_fd(const sp_atomic *w);

/**
 * fsync the file, rename it over the target, fsync the directory; frees
 * @p w whatever the result (on failure the temp file is removed).
 */
int sp_atomic_commit(sp_atomic *w) SP_WUR;

/** Remove the temp file and free @p w; NULL is a no-op. */
void sp_atomic_abort(sp_atomic *w);

/** Write a whole file atomically (open + write + commit). */
int sp_write_file_atomic(sp_ctx *ctx, const char *path, const void *data,
    size_t len, mode_t mode, unsigned flags) SP_WUR;

/* ---- digests ----------------------------------------------------------------
 */

#define SP_SHA256_LEN 32
#define SP_SHA256_HEX_LEN 64

/** SHA-256 of a memory buffer. */
int sp_sha256(sp_ctx *ctx, uint8_t out[SP_SHA256_LEN], const void *data,
    size_t len) SP_WUR;

/**
 * SHA-256 of everything readable from @p fd, streamed; *size_out (optional)
 * receives the byte count.
 */
int sp_sha256_fd(sp_ctx *ctx, uint8_t out[SP_SHA256_LEN], uint64_t *size_out,
    int fd, const char *name) SP_WUR;

/** SHA-256 of a regular file (opened with O_NOFOLLOW). */
int sp_sha256_file(sp_ctx *ctx, uint8_t out[SP_SHA256_LEN], uint64_t *size_out,
    const char *path) SP_WUR;

/* ---- time
 * -------------------------------------------------------------------- */

/** Length of "YYYY-MM-DDTHH:MM:SSZ" plus NUL. */
#define SP_TIME_STR_LEN 21

/**
 * Parse an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SSZ", a date "YYYY-MM-DD"
 * (midnight UTC) or "@SECONDS" into seconds since the epoch.
 * @return 0 or SP_EPARSE
 */
int sp_time_parse(int64_t *out, const char *s);

/** Format @p t as "YYYY-MM-DDTHH:MM:SSZ" into @p out. */
int sp_time_format(char out[SP_TIME_STR_LEN], int64_t t);

#endif
