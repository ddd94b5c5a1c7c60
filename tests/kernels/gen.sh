#!/bin/sh
# Generates the binary files of a test root from its "generate" spec, with the
# real compressors:
#   kernel PATH COMP NOTES BITS VERSION...   COMP: raw gzip bzip2 lzma xz lzo lz4 zstd
#                                            NOTES:big puts the notes 20 MiB into vmlinux
#   initrd PATH COMP with|without [early]    an initramfs, xen-blkfront.ko.xz or not
#   padded PATH SEGMENTS MIB                 a hostile initramfs: SEGMENTS zstd streams, each an
#                                            archive followed, inside the stream, by MIB MiB of
#                                            zero padding; xen-blkfront.ko.xz in the last only
#   truncate PATH BYTES
#   gzip PATH SOURCE                         PATH: SOURCE (in the root) gzipped, SOURCE removed
#   symlink PATH TARGET                      a symbolic link (absolute targets do not survive
#                                            the distribution tarball, which follows links)
# usage: gen.sh MKKERNEL SPEC ROOT
set -eu
mkkernel=$1 spec=$2 root=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

compress() { # COMP IN OUT
	case $1 in
	gzip) gzip -9 -n -c "$2" >"$3" ;;
	bzip2) bzip2 -9 -c "$2" >"$3" ;;
	lzma) xz --format=lzma -9 -c "$2" >"$3" ;;
	xz) xz --check=crc32 --x86 --lzma2=preset=9 -c "$2" >"$3" ;;
	lzo) lzop -9 -c "$2" >"$3" ;;
	lz4) lz4 -l -9 -q -c "$2" >"$3" ;;
	zstd) zstd -19 -q -c "$2" >"$3" ;;
	*) echo "gen.sh: unknown compression $1" >&2; exit 99 ;;
	esac
}

kernel() { # PATH COMP NOTES BITS VERSION
	path=$1 comp=$2 notes=$3 bits=$4 version=$5
	release=${version%% *}
	big=
	case $notes in *:big) notes=${notes%:big} big=1 ;; esac
	mkdir -p "$(dirname "$root/$path")"
	MKKERNEL_BIG=$big "$mkkernel" elf "$tmp/vmlinux" "$notes" "$bits" "$release"
	if [ "$comp" = raw ]; then
		cp "$tmp/vmlinux" "$root/$path"
		return
	fi
	compress "$comp" "$tmp/vmlinux" "$tmp/payload"
	"$mkkernel" bzimage "$root/$path" "$tmp/payload" "$(stat -c %s "$tmp/vmlinux")" "$version"
}

initrd() { # PATH COMP with|without [early]
	path=$1 comp=$2 blk=$3 early=${4:-}
	d=$tmp/initrd
	rm -rf "$d" "$tmp/early"
	mkdir -p "$d/usr/lib/modules/6.1.0/kernel/drivers/block" "$d/usr/lib/modules/6.1.0/kernel/fs/ext4" \
		"$d/scripts" "$d/conf"
	echo '#!/bin/sh' >"$d/init"
	echo 'ROOT=' >"$d/conf/conf.d"
	head -c 3000 /dev/zero | tr '\0' 'x' >"$d/usr/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko.xz"
	[ "$blk" = with ] && echo blkfront >"$d/usr/lib/modules/6.1.0/kernel/drivers/block/xen-blkfront.ko.xz"
	mkdir -p "$(dirname "$root/$path")"
	# Fixed times and inode numbers: the same spec gives the same bytes, so a
	# test can rebuild an image and compare it with the first.
	find "$d" -exec touch -h -d @0 {} +
	(cd "$d" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) >"$tmp/main.cpio"
	compress "$comp" "$tmp/main.cpio" "$tmp/main.cpio.c"
	: >"$root/$path"
	if [ "$early" = early ]; then
		mkdir -p "$tmp/early/kernel/x86/microcode"
		echo microcode >"$tmp/early/kernel/x86/microcode/GenuineIntel.bin"
		find "$tmp/early" -exec touch -h -d @0 {} +
		(cd "$tmp/early" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) >"$root/$path"
	fi
	cat "$tmp/main.cpio.c" >>"$root/$path"
}

archive() { # DIR OUT: DIR as a reproducible cpio newc archive
	find "$1" -exec touch -h -d @0 {} +
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) >"$2"
}

padded() { # PATH SEGMENTS MIB
	path=$1 n=$2 mib=$3
	d=$tmp/padded
	rm -rf "$d"
	mkdir -p "$d/usr/lib/modules/6.1.0/kernel/drivers/block"
	echo '#!/bin/sh' >"$d/init"
	archive "$d" "$tmp/seg.cpio"
	echo blkfront >"$d/usr/lib/modules/6.1.0/kernel/drivers/block/xen-blkfront.ko.xz"
	archive "$d" "$tmp/last.cpio"
	# Each segment is one stream; the first one is compressed once, then copied.
	for s in seg last; do
		{ cat "$tmp/$s.cpio" && head -c "${mib}M" /dev/zero; } | zstd -q -c >"$tmp/$s.zst"
	done
	mkdir -p "$(dirname "$root/$path")"
	: >"$root/$path"
	i=1
	while [ "$i" -lt "$n" ]; do
		cat "$tmp/seg.zst" >>"$root/$path"
		i=$((i + 1))
	done
	cat "$tmp/last.zst" >>"$root/$path"
}

while read -r what path rest; do
	case $what in
	''|'#'*) ;;
	kernel)
		set -- $rest
		comp=$1 notes=$2 bits=$3
		shift 3
		kernel "$path" "$comp" "$notes" "$bits" "$*" ;;
	initrd) kernel_args=$rest; initrd "$path" $kernel_args ;;
	padded) padded "$path" $rest ;;
	truncate) truncate -s "$rest" "$root/$path" ;;
	gzip) gzip -9 -n -c "$root/$rest" >"$root/$path" && rm "$root/$rest" ;;
	symlink) mkdir -p "$(dirname "$root/$path")" && ln -sfn "$rest" "$root/$path" ;;
	*) echo "gen.sh: unknown line '$what'" >&2; exit 99 ;;
	esac
done <"$spec"
