/*
 * CLI helpers: messages, exit statuses, JSON output, progress, dispatch.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

void
cli_print_untrusted_n(FILE *f, const char *s, size_t len)
{
	sp_buf b = SP_BUF_INIT;

	if (sp_escape_terminal(&b, s, len) == 0 && b.ptr != NULL)
		fputs(b.ptr, f);
	else
		fputs("(unprintable)", f);
	sp_buf_dispose(&b);
}

void
cli_print_untrusted(FILE *f, const char *s)
{
	cli_print_untrusted_n(f, s, strlen(s));
}

static void vmessage(const char *label, const char *fmt, va_list ap)
    SP_PRINTF(2, 0);

static void
vmessage(const char *label, const char *fmt, va_list ap)
{
	char msg[2048];

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	fprintf(stderr, "srcproof: %s: ", label);
	cli_print_untrusted(stderr, msg);
	fputc('\n', stderr);
}

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	cli_progress_done();
	va_start(ap, fmt);
	vmessage("error", fmt, ap);
	va_end(ap);
}

void
cli_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("hint", fmt, ap);
	va_end(ap);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	cli_progress_done();
	va_start(ap, fmt);
	vmessage("warning", fmt, ap);
	va_end(ap);
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error", fmt, ap);
	va_end(ap);
	cli_hint("try 'srcproof %s --help'", cmd);
	return CLI_EXIT_USAGE;
}

void
cli_getopt_reset(void)
{
	optind = 0; /* GNU: full re-initialisation */
	opterr = 0;
}

int
cli_common_opt(struct cli_common *c, int opt, const char *usage, int *exit_now)
{
	switch (opt) {
	case CLI_OPT_JSON:
		c->json = true;
		return 1;
	case 'q':
		c->quiet = true;
		c->progress = false;
		return 1;
	case 'h':
		fputs(usage, stdout);
		*exit_now = CLI_EXIT_OK;
		return 1;
	default:
		return 0;
	}
}

int
cli_common_only(int argc, char **argv, const char *cmd, const char *usage,
    struct cli_common *common)
{
	return cli_common_and_output(argc, argv, cmd, usage, common, NULL);
}

int
cli_common_and_output(int argc, char **argv, const char *cmd, const char *usage,
    struct cli_common *common, const char **output)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'}, CLI_COMMON_LONGOPTS,
	    {NULL, 0, NULL, 0}};
	int opt, exit_now = -1;

	cli_getopt_reset();
	/* Without @p output, -o and --output are bad options. */
	while ((opt = getopt_long(argc, argv,
	            output != NULL ? "o:" CLI_COMMON_SHORTOPTS
	                           : CLI_COMMON_SHORTOPTS,
	            output != NULL ? longopts : longopts + 1, NULL)) != -1) {
		if (cli_common_opt(common, opt, usage, &exit_now))
			continue;
		if (opt == 'o' && output != NULL)
			*output = optarg;
		else
			return cli_bad_option(cmd, argv);
	}
	return exit_now;
}

bool
cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int
cli_parse_percent(const char *s, uint64_t *milli)
{
	uint64_t v = 0;
	int dec = -1;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == '.' && dec < 0) {
			dec = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || dec >= 3 || v > 1000000)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (dec >= 0)
			dec++;
	}
	for (dec = dec < 0 ? 0 : dec; dec < 3; dec++)
		v *= 10;
	if (v > 100000)
		return -1;
	*milli = v;
	return 0;
}

int
cli_number_opt(const char *cmd, const char *opt, const char *s, uint64_t min,
    uint64_t max, uint64_t *out)
{
	if (cli_parse_u64(s, min, max, out))
		return 0;
	return cli_usage_error(cmd,
	    "%s needs a number from %llu to %llu, not '%s'", opt,
	    (unsigned long long)min, (unsigned long long)max, s);
}

int
cli_bad_option(const char *cmd, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (optopt != 0 && optopt < 0x100)
		return cli_usage_error(
		    cmd, "bad or incomplete option '-%c'", optopt);
	return cli_usage_error(cmd, "bad or incomplete option '%s'", arg);
}

int
cli_exit_code(int code)
{
	switch (code) {
	case 0:
		return CLI_EXIT_OK;
	case SP_EVERIFY:
		return CLI_EXIT_FAIL;
	case SP_EINVALID:
		return CLI_EXIT_USAGE;
	default:
		return CLI_EXIT_ERROR;
	}
}

int
cli_fail(sp_ctx *ctx)
{
	int code = sp_ctx_errcode(ctx);

	if (code == 0)
		code = SP_ERROR;
	cli_error(
	    "%s", sp_ctx_errmsg(ctx)[0] ? sp_ctx_errmsg(ctx) : "unknown error");
	if (sp_ctx_errhint(ctx)[0] != '\0')
		cli_hint("%s", sp_ctx_errhint(ctx));
	return cli_exit_code(code);
}

int
cli_json_print(json_t *doc, const char *kind)
{
	return cli_json_print_items(doc, kind, NULL, 0, NULL, NULL);
}

/* Print @p text with @p indent spaces before every line. */
static void
put_indented(const char *text, const char *indent)
{
	const char *p = text, *nl;

	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		fputs(indent, stdout);
		if (nl == NULL) {
			fputs(p, stdout);
			return;
		}
		fwrite(p, 1, (size_t)(nl - p + 1), stdout);
	}
}

int
cli_json_print_items(json_t *doc, const char *kind, const char *key, size_t n,
    cli_json_item_fn item, void *arg)
{
	const size_t flags = JSON_INDENT(2) | JSON_ENSURE_ASCII;
	const char *tail = "[]\n}";
	char schema[128], *text = NULL;
	json_t *out = NULL;
	size_t i, len;
	int rc = CLI_EXIT_ERROR;

	if (doc == NULL) {
		cli_error("out of memory while building JSON output");
		return CLI_EXIT_ERROR;
	}
	snprintf(schema, sizeof(schema), "srcproof.%s/v1", kind);
	out = json_object();
	/* The array last and empty: its elements go where "[]" is. */
	if (out == NULL ||
	    json_object_set_new(out, "schema", json_string(schema)) < 0 ||
	    (key != NULL && json_object_get(doc, key) != NULL &&
	        json_object_del(doc, key) < 0) ||
	    json_object_update(out, doc) < 0 ||
	    (key != NULL && json_object_set_new(out, key, json_array()) < 0)) {
		cli_error("out of memory while building JSON output");
		goto out;
	}
	if ((text = json_dumps(out, flags)) == NULL) {
		cli_error("cannot serialise JSON output");
		goto out;
	}
	len = strlen(text);
	if (key != NULL && (len < strlen(tail) ||
	                       strcmp(text + len - strlen(tail), tail) != 0)) {
		cli_error("cannot serialise JSON output");
		goto out;
	}
	if (key == NULL || n == 0) {
		puts(text);
		rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
		goto out;
	}
	fwrite(text, 1, len - strlen(tail), stdout);
	fputs("[\n", stdout);
	for (i = 0; i < n; i++) {
		json_t *e = item(arg, i);
		char *t = e != NULL ? json_dumps(e, flags) : NULL;

		json_decref(e);
		if (t == NULL) {
			/* What was printed is cut short: not valid JSON. */
			fputs("\n", stdout);
			fflush(stdout);
			if (e != NULL)
				cli_error("cannot serialise JSON output");
			goto out;
		}
		put_indented(t, "    ");
		free(t);
		fputs(i + 1 < n ? ",\n" : "\n", stdout);
	}
	fputs("  ]\n}\n", stdout);
	rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
out:
	free(text);
	json_decref(out);
	json_decref(doc);
	return rc;
}

static void
group_help(FILE *f, const char *group, const char *summary,
    const struct cli_sub *subs, size_t nsubs)
{
	size_t i;

	fprintf(f, "usage: srcproof %s <command> [options]\n\n%s\n\n", group,
	    summary);
	fputs("commands:\n", f);
	for (i = 0; i < nsubs; i++)
		fprintf(f, "  %-14s %s\n", subs[i].name, subs[i].summary);
	fprintf(
	    f, "\nRun 'srcproof %s <command> --help' for details.\n", group);
}

int
cli_dispatch(const char *group, const char *summary, const struct cli_sub *subs,
    size_t nsubs, int argc, char **argv, sp_ctx *ctx)
{
	size_t i;

	if (argc < 2) {
		group_help(stderr, group, summary, subs, nsubs);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		group_help(stdout, group, summary, subs, nsubs);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < nsubs; i++) {
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1, ctx);
	}
	return cli_usage_error(
	    group, "unknown command '%s %s'", group, argv[1]);
}

static bool progress_shown;

static void
progress_cb(const char *what, uint64_t files, uint64_t bytes, uint64_t total,
    void *payload)
{
	(void)payload;
	if (total > 0)
		fprintf(stderr, "\r%s: %llu/%llu files, %.1f MiB", what,
		    (unsigned long long)files, (unsigned long long)total,
		    (double)bytes / (1024.0 * 1024.0));
	else
		fprintf(stderr, "\r%s: %llu files, %.1f MiB", what,
		    (unsigned long long)files,
		    (double)bytes / (1024.0 * 1024.0));
	progress_shown = true;
}

void
cli_progress_setup(sp_ctx *ctx, struct cli_common *c)
{
	if (c->progress && !c->quiet)
		sp_ctx_set_progress(ctx, progress_cb, NULL);
}

void
cli_progress_done(void)
{
	if (progress_shown) {
		fputc('\n', stderr);
		progress_shown = false;
	}
}
