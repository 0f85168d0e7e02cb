/*
 * Passphrases and PINs: --passphrase-fd, SRCPROOF_PASSPHRASE or /dev/tty.
 */
#include "cli_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#include "banned.h"

int
cli_secret_parse_fd(struct cli_secret *s, const char *cmd, const char *arg)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < 0 || v > INT_MAX)
		return cli_usage_error(
		    cmd, "--passphrase-fd needs a file descriptor number");
	if (fcntl((int)v, F_GETFD) < 0)
		return cli_usage_error(
		    cmd, "--passphrase-fd %ld is not an open descriptor", v);
	s->fd = (int)v;
	return 0;
}

/*
 * Read one line (without its end) from @p fd into @p out. The buffer gets
 * its largest size before the first byte is read, so it never moves: a
 * realloc would leave an unwiped copy of the secret behind.
 */
static int
read_line(sp_ctx *ctx, sp_buf *out, int fd, const char *what)
{
	char c;

	if (sp_buf_reserve(out, CLI_SECRET_MAX + 1) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sp_err_set(ctx, SP_EIO, "cannot read the %s: %s",
			    what, strerror(errno));
		}
		if (n == 0 || c == '\n')
			break;
		if (out->size >= CLI_SECRET_MAX)
			return sp_err_set(ctx, SP_EINVALID,
			    "the %s is longer than %d bytes", what,
			    CLI_SECRET_MAX);
		out->ptr[out->size++] = c;
		out->ptr[out->size] = '\0';
	}
	c = '\0';
	if (out->size > 0 && out->ptr[out->size - 1] == '\r')
		out->ptr[--out->size] = '\0';
	if (out->ptr == NULL && sp_buf_put(out, "", 0) < 0)
		return sp_err_set(ctx, SP_ENOMEM, "out of memory");
	return 0;
}

static int
tty_ask(sp_ctx *ctx, sp_buf *out, int tty, const char *prompt)
{
	struct termios old, quiet;
	bool restore = false;
	int error;

	/* Echo off (and typed-ahead input flushed) before the prompt, as
	 * readpassphrase(3) does: whatever is typed once the prompt shows
	 * is neither echoed nor lost. */
	if (tcgetattr(tty, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(tty, TCSAFLUSH, &quiet) == 0;
	}
	if (dprintf(tty, "%s: ", prompt) < 0) {
		error = sp_err_set(ctx, SP_EIO, "cannot write to /dev/tty");
		goto out;
	}
	error = read_line(ctx, out, tty, "passphrase");
out:
	if (restore)
		(void)tcsetattr(tty, TCSAFLUSH, &old);
	(void)!write(tty, "\n", 1);
	return error;
}

int
cli_secret_cb(
    sp_ctx *ctx, sp_buf *out, const char *prompt, bool confirm, void *payload)
{
	struct cli_secret *s = payload;
	sp_buf again = SP_BUF_INIT;
	const char *env = getenv(CLI_SECRET_ENV);
	int tty = -1, error = 0;

	if (s != NULL && s->fd >= 0)
		return read_line(ctx, out, s->fd, "passphrase");
	if (env != NULL) {
		if (strlen(env) > CLI_SECRET_MAX)
			return sp_err_set(ctx, SP_EINVALID,
			    "%s is longer than %d bytes", CLI_SECRET_ENV,
			    CLI_SECRET_MAX);
		if (sp_buf_puts(out, env) < 0)
			return sp_err_set(ctx, SP_ENOMEM, "out of memory");
		return 0;
	}
	tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty < 0) {
		sp_err_set(ctx, SP_EINVALID,
		    "a %s is needed and there is no terminal to ask", prompt);
		sp_err_hint(
		    ctx, "use --passphrase-fd N or set %s", CLI_SECRET_ENV);
		return SP_EINVALID;
	}
	if ((error = tty_ask(ctx, out, tty, prompt)) < 0)
		goto out;
	if (confirm) {
		char p2[600];

		snprintf(p2, sizeof(p2), "%s (again)", prompt);
		if ((error = tty_ask(ctx, &again, tty, p2)) < 0)
			goto out;
		if (again.size != out->size ||
		    !sp_ct_equal(again.ptr, out->ptr, out->size)) {
			error = sp_err_set(
			    ctx, SP_EINVALID, "the passphrases do not match");
			goto out;
		}
	}
out:
	sp_buf_dispose_secret(&again);
	close(tty);
	return error;
}

void
cli_secret_warn_argv(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *p = strstr(argv[i], "pkcs11:");

		if (p == NULL || strstr(p, "pin-value=") == NULL)
			continue;
		/* Never print the argument: it holds the PIN. */
		cli_warn("a PKCS#11 URI with pin-value= puts the PIN on the "
		         "command line, where other users can read it (ps, "
		         "/proc)");
		cli_hint("use pin-source=FILE in the URI, --passphrase-fd N "
		         "or %s instead",
		    CLI_SECRET_ENV);
		return;
	}
}
