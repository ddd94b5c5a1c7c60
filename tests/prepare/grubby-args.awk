# Part of the grubby stand-in (see stub): the options line of a BLS entry, or
# with env=1 the kernelopts of a GRUB environment block (kept 1024 bytes),
# changed as grubby-bls's update_args changes a command line.
function update(args,    n, w, i, k, out, r, nr, a, na, key, drop) {
	n = split(args, w, /[ \t]+/)
	nr = split(rm, r, " ")
	na = split(add, a, " ")
	out = ""
	for (i = 1; i <= n; i++) {
		if (w[i] == "")
			continue
		drop = 0
		for (k = 1; k <= nr; k++)
			if (w[i] == r[k] || (index(r[k], "=") == 0 && index(w[i], r[k] "=") == 1))
				drop = 1
		for (k = 1; k <= na; k++) {
			key = a[k]
			sub(/=.*/, "", key)
			if (w[i] == key || index(w[i], key "=") == 1)
				drop = 1
		}
		if (!drop)
			out = out (out == "" ? "" : " ") w[i]
	}
	for (k = 1; k <= na; k++)
		out = out (out == "" ? "" : " ") a[k]
	return out
}
env && /^kernelopts=/ { text = text "kernelopts=" update(substr($0, 12)) "\n"; next }
env && /^#/ && NR > 1 { next }
env { text = text $0 "\n"; next }
/^options[ \t]/ { sub(/^options[ \t]+/, ""); print "options " update($0); next }
{ print }
END {
	if (env) {
		printf "%s", text
		for (i = length(text); i < 1024; i++)
			printf "#"
	}
}
