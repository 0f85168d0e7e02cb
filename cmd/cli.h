/*
 * CLI helpers: the only code that prints or picks exit statuses.
 */
#ifndef SP_CLI_H
#define SP_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "srcproof/srcproof.h"

/* Exit statuses, documented in srcproof(1). */
enum {
	CLI_EXIT_OK = 0,   /**< success, match, verified */
	CLI_EXIT_FAIL = 1, /**< verification failed, mismatch, policy not met */
	CLI_EXIT_USAGE = 2, /**< bad command line */
	CLI_EXIT_ERROR = 3, /**< could not complete: I/O, parse, missing tool */
};

/* Long-option codes for the options every command shares. */
enum {
	CLI_OPT_JSON = 0x1000,
	CLI_OPT_FIRST_FREE = 0x1100,
};

/* Options every command accepts. */
struct cli_common {
	bool json;
	bool quiet;
	bool progress; /**< stderr is a terminal and not -q */
};

#define CLI_COMMON_LONGOPTS                                                    \
	{"json", no_argument, NULL, CLI_OPT_JSON},                             \
	    {"quiet", no_argument, NULL, 'q'},                                 \
	{                                                                      \
		"help", no_argument, NULL, 'h'                                 \
	}

/* Short options every command shares ("qh"). */
#define CLI_COMMON_SHORTOPTS "qh"

/** A subcommand of a command group (`srcproof manifest create`). */
struct cli_sub {
	const char *name;
	int (*fn)(int argc, char **argv, sp_ctx *ctx);
	const char *summary;
};

/** Run getopt_long from the start of argv, with our own error messages. */
void cli_getopt_reset(void);

/**
 * Handle a shared option. Returns 1 when @p opt was one of them (for -h,
 * prints @p usage and sets *exit_now to CLI_EXIT_OK), 0 otherwise.
 */
int cli_common_opt(
    struct cli_common *c, int opt, const char *usage, int *exit_now);

/**
 * Parse the options of a command that takes only the shared ones. Returns
 * -1 to go on (operands start at optind), else the exit status: 0 after
 * --help, CLI_EXIT_USAGE after a bad option.
 */
int cli_common_only(int argc, char **argv, const char *cmd, const char *usage,
    struct cli_common *common);

/** Same, for a command that also takes -o/--output FILE into *output. */
int cli_common_and_output(int argc, char **argv, const char *cmd,
    const char *usage, struct cli_common *common, const char **output);

/**
 * Report an unknown option or missing argument from getopt ('?' or ':').
 * @return CLI_EXIT_USAGE
 */
int cli_bad_option(const char *cmd, char **argv);

/**
 * Print "srcproof: error: <msg>" then "srcproof: hint: try 'srcproof CMD
 * --help'". @return CLI_EXIT_USAGE
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) SP_PRINTF(2, 3);

/**
 * Parse a decimal number (digits only) from @p min to @p max into *out.
 * @return true when @p s is one
 */
bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/**
 * The value of option @p opt of @p cmd, a number from @p min to @p max:
 * 0, or CLI_EXIT_USAGE after "OPT needs a number from MIN to MAX, not 'S'".
 */
/**
 * Parse "PERCENT" (0 to 100, up to three decimals) into thousandths of a
 * percent (99.5 is 99500). @return 0, or -1 when @p s is not one
 */
int cli_parse_percent(const char *s, uint64_t *milli);

int cli_number_opt(const char *cmd, const char *opt, const char *s,
    uint64_t min, uint64_t max, uint64_t *out);

/** Print "srcproof: error: ..." (escaped). */
void cli_error(const char *fmt, ...) SP_PRINTF(1, 2);

/** Print "srcproof: hint: ..." (escaped). */
void cli_hint(const char *fmt, ...) SP_PRINTF(1, 2);

/** Print "srcproof: warning: ..." (escaped). */
void cli_warn(const char *fmt, ...) SP_PRINTF(1, 2);

/** Map a library return code to an exit status. */
int cli_exit_code(int code);

/**
 * Print the error (and hint) held by @p ctx and return the exit status for
 * its code.
 */
int cli_fail(sp_ctx *ctx);

/** Write untrusted text to @p f with controls and invalid UTF-8 escaped. */
void cli_print_untrusted(FILE *f, const char *s);

/** Same for @p len bytes that may hold NULs. */
void cli_print_untrusted_n(FILE *f, const char *s, size_t len);

/**
 * Print @p doc (stolen) on stdout as one JSON document, adding
 * "schema": "srcproof.<kind>/v1". @return CLI_EXIT_OK or CLI_EXIT_ERROR
 */
int cli_json_print(json_t *doc, const char *kind);

/** The next element of a streamed array: a new reference, or NULL (error
 * already reported). */
typedef json_t *(*cli_json_item_fn)(void *arg, size_t i);

/**
 * As cli_json_print, for a document with one long array: member @p key
 * (moved last) holds the @p n elements @p item gives, made and printed one
 * at a time, so that memory does not grow with the array. The text is the
 * one cli_json_print would print for the whole document, but for the
 * member's place. Takes @p doc. With @p key NULL: cli_json_print.
 */
int cli_json_print_items(json_t *doc, const char *kind, const char *key,
    size_t n, cli_json_item_fn item, void *arg);

/**
 * Dispatch a command group: argv[1] names the subcommand. Prints the group
 * help for --help or no subcommand.
 */
int cli_dispatch(const char *group, const char *summary,
    const struct cli_sub *subs, size_t nsubs, int argc, char **argv,
    sp_ctx *ctx);

/** Install the terminal progress reporter on @p ctx when c->progress. */
void cli_progress_setup(sp_ctx *ctx, struct cli_common *c);

/** End a progress line, if one was printed. */
void cli_progress_done(void);

/* Every command's entry point: int cmd_<verb>(argc, argv, ctx). */
#define SP_COMMAND(verb, summary) int cmd_##verb(int, char **, sp_ctx *);
#include "commands.def"
#undef SP_COMMAND

#endif
