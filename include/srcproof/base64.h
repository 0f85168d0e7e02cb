/*
 * Strict base64 (RFC 4648 section 4, standard alphabet, '=' padding).
 *
 * The decoder accepts only the canonical encoding: no whitespace, no
 * URL-safe characters, padding required, unused trailing bits zero. Every
 * byte string has exactly one accepted encoding.
 */
#ifndef SRCPROOF_BASE64_H
#define SRCPROOF_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/**
 * Append the base64 encoding of @p len bytes at @p in to @p out.
 * @return 0, SP_ENOMEM or SP_ELIMIT (sp_buf codes)
 */
int sp_base64_encode(sp_buf *out, const void *in, size_t len) SP_WUR;

/**
 * Decode the canonical base64 text @p in (@p len characters) and append the
 * bytes to @p out.
 * @return 0, SP_EPARSE (not canonical base64), SP_ENOMEM or SP_ELIMIT
 */
int sp_base64_decode(sp_buf *out, const char *in, size_t len) SP_WUR;

#endif
