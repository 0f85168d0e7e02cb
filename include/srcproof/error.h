/*
 * srcproof error codes.
 *
 * Every library function that can fail returns an int: 0 on success, one of
 * the negative codes below on failure. The message lives in the caller's
 * sp_ctx (see ctx.h). A failed verification is SP_EVERIFY, never a boolean.
 */
#ifndef SRCPROOF_ERROR_H
#define SRCPROOF_ERROR_H

/** Error codes returned by srcproof functions. */
typedef enum sp_error_code {
	SP_OK = 0,             /**< success */
	SP_ERROR = -1,         /**< generic failure */
	SP_ENOMEM = -2,        /**< allocation failed */
	SP_EINVALID = -3,      /**< invalid argument or option value */
	SP_ENOTFOUND = -4,     /**< a named thing does not exist */
	SP_EPARSE = -5,        /**< input is malformed */
	SP_EVERIFY = -6,       /**< verification failed: a "no" answer */
	SP_EIO = -7,           /**< reading or writing failed */
	SP_EEXISTS = -8,       /**< refusing to overwrite */
	SP_ELIMIT = -9,        /**< a size or count limit was exceeded */
	SP_EUNSUPPORTED = -10, /**< format or algorithm not supported */
	SP_EUNSAFE = -11,      /**< input refused as unsafe (path, link) */
} sp_error_code;

/**
 * Short stable name of an error code ("verify", "parse", ...).
 * @return a static string, never NULL
 */
const char *sp_error_name(int code);

#endif
