/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

enum daemon_compat {
        DAEMON_COMPAT_CONFIG, /* as the configuration file says (compat =) */
        DAEMON_COMPAT_NONE,
        DAEMON_COMPAT_XAPI,
};

struct daemon_options {
        const char *root;      /* the system the agent judges: "/" in production */
        const char *state_dir; /* kernel cache, request ids, prepare backups; NULL: in the root */
        const char *pid_file;  /* written once running, removed at exit; NULL: none */
        const char *config;    /* the owner's configuration file; NULL: POLICY_PATH in the root */
        enum daemon_compat compat; /* --compat: wins over the file */
        bool foreground;
};

/*
 * Runs the agent until SIGTERM or SIGINT; returns an exit status. Unless
 * foreground (or a service manager expects notifications: $NOTIFY_SOCKET),
 * it goes to the background first and logs to syslog; the caller's process
 * exits once the daemon is set up (0) or could not start (1).
 */
int daemon_main(const struct daemon_options *o);
