/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static const char *log_ident = "pvh";
static int log_max_level = LOG_INFO;
static bool log_to_journal;
static bool log_syslog;

/* JOURNAL_STREAM is "DEV:INO" of the stream; it counts only if it is still our stderr. */
static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

void log_setup(const char *ident, bool verbose)
{
        log_ident = ident;
        log_max_level = verbose ? LOG_DEBUG : LOG_INFO;
        log_to_journal = stderr_is_journal();
}

void log_to_syslog(void)
{
        openlog(log_ident, LOG_PID, LOG_DAEMON);
        log_syslog = true;
}

void log_set_max_level(int level)
{
        log_max_level = level;
}

int log_get_max_level(void)
{
        return log_max_level;
}

int log_internal(int level, int error, const char *fmt, ...)
{
        int saved = errno;
        char buf[2048];
        va_list ap;

        if (error < 0)
                error = -error;
        if (level > log_max_level)
                goto out;

        /* "%m" in fmt refers to the error we were given, not whatever errno is. */
        errno = error;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);

        if (log_syslog)
                syslog(level, "%s", buf);
        else if (log_to_journal)
                fprintf(stderr, "<%d>%s\n", level, buf);
        else
                fprintf(stderr, "%s: %s\n", log_ident, buf);
out:
        errno = saved;
        return -error;
}
