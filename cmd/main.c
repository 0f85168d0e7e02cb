/*
 * srcproof: entry point and the table of subcommands.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_secret.h"

#include "banned.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv, sp_ctx *ctx);
	const char *summary;
};

static const struct command commands[] = {
#define SP_COMMAND(verb, summary) {#verb, cmd_##verb, summary},
#include "commands.def"
#undef SP_COMMAND
};

static void
usage(FILE *f)
{
	size_t i;

	fputs("usage: srcproof <command> [options]\n\n"
	      "Prove that shipped binaries were built from reviewed source.\n\n"
	      "commands:\n",
	    f);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const char *name = commands[i].name;
		char shown[32];
		size_t j;

		/* C identifiers spell dashes as underscores. */
		for (j = 0; name[j] != '\0' && j + 1 < sizeof(shown); j++)
			shown[j] = name[j] == '_' ? '-' : name[j];
		shown[j] = '\0';
		fprintf(f, "  %-18s %s\n", shown, commands[i].summary);
	}
	fputs("\noptions for every command: --help, --json, -q/--quiet\n"
	      "exit status: 0 ok, 1 verification failed or mismatch, 2 usage "
	      "error,\n"
	      "             3 could not complete\n"
	      "Run 'srcproof <command> --help' or 'man srcproof-<command>'.\n",
	    f);
}

static int
same_verb(const char *table_name, const char *arg)
{
	size_t i;

	for (i = 0; table_name[i] != '\0' && arg[i] != '\0'; i++) {
		char a = arg[i] == '-' ? '_' : arg[i];

		if (table_name[i] != a)
			return 0;
	}
	return table_name[i] == '\0' && arg[i] == '\0';
}

int
main(int argc, char **argv)
{
	sp_ctx *ctx = NULL;
	size_t i;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("srcproof %s\n", SP_VERSION);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!same_verb(commands[i].name, argv[1]))
			continue;
		cli_secret_warn_argv(argc, argv);
		if (sp_ctx_new(&ctx) < 0) {
			cli_error("out of memory");
			return CLI_EXIT_ERROR;
		}
		rc = commands[i].fn(argc - 1, argv + 1, ctx);
		cli_progress_done();
		sp_ctx_free(ctx);
		if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
			cli_error("cannot write to standard output");
			rc = CLI_EXIT_ERROR;
		}
		return rc;
	}
	cli_error("unknown command '%s'", argv[1]);
	cli_hint("run 'srcproof --help' for the list of commands");
	return CLI_EXIT_USAGE;
}
