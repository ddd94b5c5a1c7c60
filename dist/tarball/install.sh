#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# install.sh [--prefix DIR] [--root DIR] [--init systemd|openrc|sysv|none]
#            [--uninstall]
#
# Installs pvh-agent from this directory (the agent tarball): the program in
# PREFIX/sbin (default /usr/local), its manual page and bash completion under
# PREFIX/share, the owner's settings /etc/pvh-agent/agent.conf (kept when
# there), the state directory /var/lib/pvh-agent, and the service for
# the init system the guest runs, enabled (started at the next boot; the
# command to start it now is printed):
#   systemd  /etc/systemd/system/pvh-agent.service
#   openrc   /etc/init.d/pvh-agent and /etc/conf.d/pvh-agent
#   sysv     /etc/init.d/pvh-agent (/etc/rc.d/init.d on EL) and its settings
#            in /etc/default or /etc/sysconfig
# --root installs into another system's tree (an image being built): the
# init system is then that tree's. --uninstall removes what an install put
# there (the state directory and the settings stay: the state directory holds
# what "pvh-agent prepare" saved).
# Plain POSIX sh: it runs with busybox too.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=/usr/local
root=
init=
uninstall=no

usage() {
	echo "usage: install.sh [--prefix DIR] [--root DIR] [--init systemd|openrc|sysv|none] [--uninstall]" >&2
	exit 4
}
die() {
	echo "install.sh: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
	--prefix=*) prefix=${1#*=}; shift ;;
	--root) [ $# -ge 2 ] || usage; root=$2; shift 2 ;;
	--root=*) root=${1#*=}; shift ;;
	--init) [ $# -ge 2 ] || usage; init=$2; shift 2 ;;
	--init=*) init=${1#*=}; shift ;;
	--uninstall) uninstall=yes; shift ;;
	-h | --help) sed -n '3,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) usage ;;
	esac
done
case $prefix in /*) ;; *) die "--prefix must be an absolute path" ;; esac
case $root in '' | /*) ;; *) die "--root must be an absolute path" ;; esac
root=${root%/}
[ -z "$root" ] || [ -d "$root" ] || die "$root is not a directory"

# The init system of the tree: the one running it first (when it is this
# system), then the one installed as its init.
detect_init() {
	if [ -z "$root" ] && [ -d /run/systemd/system ]; then
		echo systemd
	elif [ -z "$root" ] && [ -d /run/openrc ]; then
		echo openrc
	elif [ -x "$root/sbin/openrc-run" ] || [ -x "$root/usr/sbin/openrc-run" ]; then
		echo openrc
	elif [ -d "$root/usr/lib/systemd/system" ] || [ -d "$root/lib/systemd/system" ]; then
		case $(readlink "$root/sbin/init" 2>/dev/null || true) in
		*systemd*) echo systemd ;;
		*) if [ -x "$root/sbin/init" ] && [ ! -L "$root/sbin/init" ]; then echo sysv; else echo systemd; fi ;;
		esac
	elif [ -d "$root/etc/rc.d/init.d" ] || [ -d "$root/etc/init.d" ]; then
		echo sysv
	else
		echo none
	fi
}

# The SysV script's directory: EL keeps it in /etc/rc.d/init.d.
sysv_dir() {
	if [ -d "$root/etc/rc.d/init.d" ] && [ ! -L "$root/etc/rc.d/init.d" ]; then
		echo /etc/rc.d/init.d
	else
		echo /etc/init.d
	fi
}

# Where the SysV script reads its settings.
sysv_settings() {
	if [ -d "$root/etc/sysconfig" ] && [ ! -d "$root/etc/default" ]; then
		echo /etc/sysconfig/pvh-agent
	else
		echo /etc/default/pvh-agent
	fi
}

manifest=$prefix/share/pvh-agent/installed-files
sbin=$prefix/sbin/pvh-agent

# put SRC DEST MODE [SED-EXPR]: one file, recorded in the manifest.
put() {
	mkdir -p "$root$(dirname "$2")"
	if [ -n "${4:-}" ]; then
		sed "$4" "$here/$1" >"$root$2.new"
	else
		cp "$here/$1" "$root$2.new"
	fi
	chmod "$3" "$root$2.new"
	mv -f "$root$2.new" "$root$2"
	echo "$2" >>"$root$manifest.new"
}

# keep SRC DEST MODE: a settings file, never overwritten once there.
keep() {
	if [ -e "$root$2" ]; then
		echo "install.sh: keeping $2" >&2
	else
		put "$@"
	fi
}

# enable_sysv: the rc links, by the tree's own tool when it runs here.
enable_sysv() {
	if [ -z "$root" ] && command -v update-rc.d >/dev/null 2>&1; then
		update-rc.d pvh-agent defaults >/dev/null
	elif [ -z "$root" ] && command -v chkconfig >/dev/null 2>&1; then
		chkconfig --add pvh-agent
	else
		d=$(dirname "$(sysv_dir)")
		for l in 2 3 4 5; do mkdir -p "$root$d/rc$l.d"; ln -sf "../init.d/pvh-agent" "$root$d/rc$l.d/S80pvh-agent"; done
		for l in 0 1 6; do mkdir -p "$root$d/rc$l.d"; ln -sf "../init.d/pvh-agent" "$root$d/rc$l.d/K20pvh-agent"; done
	fi
}

do_install() {
	[ -x "$here/pvh-agent" ] || die "no pvh-agent beside install.sh"
	[ -n "$init" ] || init=$(detect_init)
	mkdir -p "$root$(dirname "$manifest")"
	: >"$root$manifest.new"
	put pvh-agent "$sbin" 0755
	put pvh-agent.8 "$prefix/share/man/man8/pvh-agent.8" 0644
	put pvh-agent.bash-completion "$prefix/share/bash-completion/completions/pvh-agent" 0644
	keep agent.conf /etc/pvh-agent/agent.conf 0644
	mkdir -p "$root/var/lib/pvh-agent"
	chmod 0700 "$root/var/lib/pvh-agent"
	case $init in
	systemd)
		put systemd/pvh-agent.service /etc/systemd/system/pvh-agent.service 0644 \
			"s|^ExecStart=[^ ]*/pvh-agent |ExecStart=$sbin |"
		if [ -n "$root" ]; then
			systemctl --root="$root" enable pvh-agent.service >/dev/null 2>&1 ||
				die "systemctl --root=$root enable pvh-agent.service failed"
		else
			systemctl daemon-reload 2>/dev/null || true
			systemctl enable pvh-agent.service >/dev/null 2>&1 || die "systemctl enable pvh-agent.service failed"
		fi
		start="systemctl start pvh-agent"
		;;
	openrc)
		put openrc/pvh-agent /etc/init.d/pvh-agent 0755 "s|^command=.*|command=$sbin|"
		keep openrc/pvh-agent.confd /etc/conf.d/pvh-agent 0644
		if [ -z "$root" ] && command -v rc-update >/dev/null 2>&1; then
			rc-update add pvh-agent default >/dev/null
		else
			mkdir -p "$root/etc/runlevels/default"
			ln -sf /etc/init.d/pvh-agent "$root/etc/runlevels/default/pvh-agent"
		fi
		start="rc-service pvh-agent start"
		;;
	sysv)
		put sysv/pvh-agent "$(sysv_dir)/pvh-agent" 0755 "s|^DAEMON=.*|DAEMON=$sbin|"
		keep sysv/pvh-agent.default "$(sysv_settings)" 0644
		enable_sysv
		start="$(sysv_dir)/pvh-agent start"
		;;
	none)
		start="$sbin daemon --pid-file /run/pvh-agent.pid"
		;;
	*) usage ;;
	esac
	mv -f "$root$manifest.new" "$root$manifest"
	echo "pvh-agent installed in ${root:-/} for $init; start it with: $start"
}

do_uninstall() {
	[ -f "$root$manifest" ] || die "nothing installed under $prefix (no $manifest)"
	if [ -z "$root" ]; then
		if [ -d /run/systemd/system ]; then
			systemctl disable --now pvh-agent.service >/dev/null 2>&1 || true
		elif [ -x /etc/init.d/pvh-agent ]; then
			/etc/init.d/pvh-agent stop || true
		elif [ -x /etc/rc.d/init.d/pvh-agent ]; then
			/etc/rc.d/init.d/pvh-agent stop || true
		fi
		command -v rc-update >/dev/null 2>&1 && rc-update del pvh-agent default >/dev/null 2>&1
		command -v update-rc.d >/dev/null 2>&1 && update-rc.d -f pvh-agent remove >/dev/null 2>&1
		command -v chkconfig >/dev/null 2>&1 && chkconfig --del pvh-agent >/dev/null 2>&1
	else
		systemctl --root="$root" disable pvh-agent.service >/dev/null 2>&1 || true
	fi
	rm -f "$root"/etc/rc[0-6].d/[SK][0-9][0-9]pvh-agent "$root"/etc/rc.d/rc[0-6].d/[SK][0-9][0-9]pvh-agent \
		"$root/etc/runlevels/default/pvh-agent"
	while read -r f; do
		case $f in
		/etc/default/* | /etc/sysconfig/* | /etc/conf.d/* | /etc/pvh-agent/*) ;; # the settings stay
		*) rm -f "$root$f" ;;
		esac
	done <"$root$manifest"
	rm -f "$root$manifest"
	rmdir "$root$(dirname "$manifest")" 2>/dev/null || true
	echo "pvh-agent removed from ${root:-/}; /var/lib/pvh-agent is kept"
}

if [ "$uninstall" = yes ]; then
	do_uninstall
else
	do_install
fi
