# Part of the grub2-mkconfig stand-in (see stub): the menu for the tree ROOT
# on stdout. usage: grub2-mkconfig.sh ROOT
root=$1
eval "$(cd "$root" && sh -c '. ./etc/default/grub >/dev/null 2>&1
	for v in GRUB_TIMEOUT GRUB_DEFAULT GRUB_TERMINAL GRUB_TERMINAL_OUTPUT GRUB_SERIAL_COMMAND GRUB_ENABLE_BLSCFG; do
		eval "x=\${$v-}"
		printf "%s=%s\n" "$v" "$(printf %s "$x" | sed "s/[^A-Za-z0-9 =,._:-]//g; s/.*/\"&\"/")"
	done')"
cat <<END
# Written by the grub2-mkconfig stand-in of the prepare tests.
set timeout=${GRUB_TIMEOUT:-5}
if [ -f \${config_directory}/grubenv ]; then
  load_env -f \${config_directory}/grubenv
elif [ -s \$prefix/grubenv ]; then
  load_env
fi
END
if [ "$GRUB_DEFAULT" = saved ]; then
	echo 'set default="${saved_entry}"'
else
	echo "set default=\"${GRUB_DEFAULT:-0}\""
fi
case "$GRUB_TERMINAL $GRUB_TERMINAL_OUTPUT" in
*serial*)
	echo "${GRUB_SERIAL_COMMAND:-serial}"
	echo "terminal_output serial"
	;;
esac
if [ "$GRUB_ENABLE_BLSCFG" = true ]; then
	printf 'insmod blscfg\nblscfg\n'
	exit 0
fi
ls "$root/boot/loader/entries" 2>/dev/null | grep '\.conf$' | sort -rV | while read -r f; do
	id=${f%.conf}
	awk -v id="$id" '
		{ k = $1; sub(/^[^ \t]+[ \t]*/, ""); v[k] = $0 }
		END {
			initrd = v["initrd"]
			gsub(/[ \t]*\$tuned_initrd/, "", initrd)
			printf "menuentry '\''%s'\'' --class kernel --id '\''%s'\'' {\n", v["title"], id
			printf "\tlinux %s %s\n", v["linux"], v["options"]
			if (initrd != "")
				printf "\tinitrd %s\n", initrd
			printf "}\n"
		}' "$root/boot/loader/entries/$f"
done
