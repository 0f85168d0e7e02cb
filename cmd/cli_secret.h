/*
 * Passphrases and PINs for the CLI: never from argv. Sources, in order:
 * --passphrase-fd N, the environment variable SRCPROOF_PASSPHRASE (the CI
 * path), then a prompt on /dev/tty with echo off.
 */
#ifndef SP_CLI_SECRET_H
#define SP_CLI_SECRET_H

#include <stdbool.h>

#include "srcproof/sign.h"

/** Name of the environment variable holding a passphrase or PIN. */
#define CLI_SECRET_ENV "SRCPROOF_PASSPHRASE"

/** Longest passphrase accepted, in bytes. */
#define CLI_SECRET_MAX 1024

/** Where secrets come from; payload of cli_secret_cb. */
struct cli_secret {
	int fd; /**< --passphrase-fd, or -1 */
};

#define CLI_SECRET_INIT                                                        \
	{                                                                      \
		-1                                                             \
	}

/**
 * Parse the argument of --passphrase-fd.
 * @return 0, or CLI_EXIT_USAGE after printing the error
 */
int cli_secret_parse_fd(struct cli_secret *s, const char *cmd, const char *arg);

/**
 * sp_passphrase_cb reading from the sources above (@p payload is a struct
 * cli_secret). A prompt with @p confirm asks twice. Reads at most
 * CLI_SECRET_MAX bytes, stops at the first newline, strips "\r\n".
 */
int cli_secret_cb(
    sp_ctx *ctx, sp_buf *out, const char *prompt, bool confirm, void *payload);

/**
 * Warn (on stderr, without the value) when an argument holds a PKCS#11
 * URI with pin-value=: a PIN on argv is visible to other processes.
 */
void cli_secret_warn_argv(int argc, char **argv);

#endif
