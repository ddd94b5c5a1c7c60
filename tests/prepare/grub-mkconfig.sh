# Part of the update-grub stand-in (see stub): the tree's menu regenerated
# from its settings, on stdout. usage: grub-mkconfig.sh ROOT
# It keeps the tree's /boot/grub/grub.cfg as the template (entries, default,
# submenus) and rewrites what Debian's 00_header and 10_linux take from the
# settings: each linux line becomes "linux PATH root=... ro ARGS", ARGS being
# "$GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT" (recovery entries:
# "single $GRUB_CMDLINE_LINUX"), and the serial and terminal_* lines of the
# header are there only while GRUB_TERMINAL names serial. The same settings
# give the same bytes.
root=$1
eval "$(cd "$root" && sh -c '. ./etc/default/grub >/dev/null 2>&1
	for f in ./etc/default/grub.d/*.cfg; do [ -f "$f" ] && . "$f"; done
	for v in GRUB_CMDLINE_LINUX GRUB_CMDLINE_LINUX_DEFAULT GRUB_TERMINAL GRUB_TERMINAL_INPUT GRUB_TERMINAL_OUTPUT GRUB_SERIAL_COMMAND; do
		eval "x=\${$v-}"
		printf "%s=%s\n" "$v" "$(printf %s "$x" | sed "s/[^A-Za-z0-9 =,._:/-]//g; s/.*/\"&\"/")"
	done')"
serial=
case "$GRUB_TERMINAL $GRUB_TERMINAL_INPUT $GRUB_TERMINAL_OUTPUT" in *serial*) serial=1 ;; esac
awk -v lin="$GRUB_CMDLINE_LINUX" -v def="$GRUB_CMDLINE_LINUX_DEFAULT" -v serial="$serial" \
	-v sercmd="$GRUB_SERIAL_COMMAND" -v term="$GRUB_TERMINAL" '
	function squeeze(s) { gsub(/  +/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s); return s }
	/^[ \t]*(serial|terminal_input|terminal_output)([ \t]|$)/ { if (!serial) next }
	/^[ \t]*(linux|linux16)[ \t]/ {
		match($0, /^[ \t]*/)
		indent = substr($0, 1, RLENGTH)
		head = $1 "\t" $2
		keep = ""
		for (i = 3; i <= NF; i++)
			if ($i ~ /^root=/ || $i == "ro" || $i == "rw")
				keep = keep " " $i
		args = $0 ~ /[ \t]single([ \t]|$)/ ? "single " lin : lin " " def
		print indent head keep " " squeeze(args)
		next
	}
	{ print }' "$root/boot/grub/grub.cfg"
