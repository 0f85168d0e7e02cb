# label: docs
# The manual pages: every verb of cmd/commands.def has
# docs/man/srcproof-VERB.1 (and no page is left for a verb that is gone),
# srcproof(1) lists each of them, each page has the usual sections and
# documents every option its command's --help shows and, for a verb with
# subcommands (those under "commands:" in `srcproof VERB --help`), every
# long option each `srcproof VERB SUB --help` shows; groff formats every
# page without a warning.
. "$SP_SOURCE_DIR/tests/lib/e2e.sh"
MAN=$SP_SOURCE_DIR/docs/man
verbs=$(sed -n 's/^SP_COMMAND(\([a-z_]*\),.*/\1/p' "$SP_SOURCE_DIR/cmd/commands.def" |
	tr '_\n' '- ')
[ -n "$verbs" ] || fail "no SP_COMMAND line in cmd/commands.def"

# A man page escapes every '-' as '\-'.
roff() {
	printf '%s' "$1" | sed 's/-/\\-/g'
}
# documented PAGE OPTION: PAGE's source names OPTION, written '\-\-name'
# as a whole word (not the start of a longer option).
documented() {
	local re
	re=$(roff "$2" | sed 's/\\/\\\\/g')
	grep -Eq -- "$re([^a-z0-9\\]|\\[^-]|\$)" "$1"
}

nsubs=0 nopts=0
for v in $verbs; do
	page=$MAN/srcproof-$v.1
	[ -f "$page" ] || fail "verb '$v' has no man page docs/man/srcproof-$v.1"
	upper=$(printf '%s' "$v" | tr '[:lower:]' '[:upper:]')
	grep -q "^\.TH SRCPROOF-$upper 1 " "$page" || fail "$page: no '.TH SRCPROOF-$upper 1'"
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" "SEE ALSO"; do
		grep -qx "\.SH $s" "$page" || fail "$page: no section $s"
	done
	grep -qF "srcproof $(roff "$v")" "$page" || fail "$page: the SYNOPSIS does not name 'srcproof $v'"
	if ! grep -qxF ".B $(roff "$v")" "$MAN/srcproof.1" ||
		! grep -qF "srcproof\\-$(roff "$v") (1)" "$MAN/srcproof.1"; then
		fail "srcproof.1 does not list '$v' with srcproof-$v(1) under COMMANDS"
	fi
	# Every option of --help (but --help itself, see srcproof(1)).
	expect_rc 0 sp "$v" --help
	for o in $(grep -o -- '--[a-z][a-z0-9-]*' "$T/out" | sort -u); do
		[ "$o" = --help ] && continue
		documented "$page" "$o" ||
			fail "$page does not document $o (srcproof $v --help shows it)"
	done
	# The subcommands, and every long option of each.
	subs=$(sed -n '/^commands:$/,/^$/s/^  \([a-z][a-z0-9-]*\)  .*/\1/p' "$T/out")
	for sub in $subs; do
		nsubs=$((nsubs + 1))
		grep -qF -- "$(roff "$sub")" "$page" || fail "$page does not name the subcommand '$sub'"
		expect_rc 0 sp "$v" "$sub" --help
		grep -q "^usage: srcproof $v $sub" "$T/out" || fail "srcproof $v $sub --help: no usage line"
		for o in $(grep -o -- '--[a-z][a-z0-9-]*' "$T/out" | sort -u); do
			[ "$o" = --help ] && continue
			nopts=$((nopts + 1))
			documented "$page" "$o" ||
				fail "$page does not document $o (srcproof $v $sub --help shows it)"
		done
	done
done
# The help texts have subcommands and options, or the loop above proved
# nothing.
[ "$nsubs" -ge 20 ] && [ "$nopts" -ge 100 ] ||
	fail "only $nsubs subcommands and $nopts options found in the --help texts"
for page in "$MAN"/srcproof-*.1; do
	v=${page##*/srcproof-}
	v=${v%.1}
	case " $verbs " in
	*" $v "*) ;;
	*) fail "docs/man/srcproof-$v.1: no verb '$v' in cmd/commands.def" ;;
	esac
done

need_tool groff "apt-get install groff-base; the pages were not formatted"
for page in "$MAN"/*.1; do
	groff -man -Tutf8 -ww -z "$page" >"$T/groff" 2>&1 || fail "groff failed on $page"
	[ ! -s "$T/groff" ] || fail "groff warns about $page: $(head -5 "$T/groff")"
	# Bold is overstruck (X backspace X): strip it before looking.
	groff -man -Tutf8 "$page" 2>/dev/null | sed 's/.\x08//g' | grep -q '^NAME$' ||
		fail "$page renders no NAME heading"
done
echo "man_pages: ok"
