#!/usr/bin/env python3
"""Run a command on a new pseudo-terminal and answer its prompts.

usage: pty_answer.py [--timeout SECONDS] PROMPT ANSWER [PROMPT ANSWER...]
                     -- COMMAND [ARG...]

Each ANSWER (and a newline) is typed only once PROMPT, a substring, has
appeared in the terminal's output after the previous answer: no sleeps,
so a slow machine cannot make an answer arrive before the program reads
it. The command's terminal output (stdout, stderr and /dev/tty are the
pseudo-terminal) is copied to our stdout. Exit status: the command's, or
124 when a prompt or the command's end does not come within the timeout
(default 60 s).
"""
import os
import pty
import select
import signal
import sys
import time


def main(argv):
    timeout = 60.0
    if argv[:1] == ["--timeout"]:
        timeout = float(argv[1])
        argv = argv[2:]
    if "--" not in argv:
        sys.exit(__doc__)
    sep = argv.index("--")
    pairs, cmd = argv[:sep], argv[sep + 1:]
    if len(pairs) % 2 or not cmd:
        sys.exit(__doc__)
    pairs = list(zip(pairs[0::2], pairs[1::2]))

    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)

    seen = b""
    start = 0  # where the next prompt is looked for
    deadline = time.monotonic() + timeout
    eof = False
    while not eof:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.buffer.write(seen)
            print(f"\npty_answer: timed out; still waiting for "
                  f"{pairs[0][0]!r}" if pairs else
                  "\npty_answer: timed out waiting for the end")
            sys.exit(124)
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the command closed the terminal
                chunk = b""
            if not chunk:
                eof = True
            seen += chunk
        while pairs:
            at = seen.find(pairs[0][0].encode(), start)
            if at < 0:
                break
            start = at + len(pairs[0][0])
            os.write(fd, pairs[0][1].encode() + b"\n")
            pairs.pop(0)
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(seen)
    sys.stdout.flush()
    if pairs:
        print(f"\npty_answer: the command ended before {pairs[0][0]!r}")
        sys.exit(124)
    sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)


if __name__ == "__main__":
    main(sys.argv[1:])
