/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guests without an agent in a migration (migrate plan --agentless): they
 * are planned from an inspection of their disks, inspected again before the
 * switch, and verified without an agent: the toolstack runs them as the
 * type wanted, they have not crashed, every block and network frontend of
 * theirs is connected, and their console log (where there is one) shows no
 * kernel panic.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "inspect.h"
#include "log.h"
#include "macro.h"
#include "migrate.h"
#include "render.h"
#include "spawn.h"
#include "strv.h"
#include "util.h"

#define XL_OUTPUT_MAX (64u << 10)
#define FRONTENDS_MAX 64
#define CONSOLE_SCAN_MAX (4u << 20)
/* What the kernel prints when it panics, on every version since 2.6. */
/*
 * Lines on a console that end a boot: the guest writes its console, so only
 * these fixed strings are looked for, and a reason quotes only them.
 * GRUB's two are what pvhgrub prints when the kernel is not one it can
 * load (a raw vmlinux: "invalid magic number"), before it returns to its
 * menu and tries again, for ever.
 */
static const struct {
        const char *line;
        const char *means;
} fatal_lines[] = {
        { "Kernel panic - not syncing", "a kernel panic" },
        { "error: invalid magic number", "GRUB could not load the kernel (error: invalid magic number)" },
        { "error: you need to load the kernel first",
          "GRUB did not load a kernel (error: you need to load the kernel first)" },
};
#define FATAL_LINE_MAX 64 /* longer than any of them */

extern char **environ;

static int inspect_now(struct xstore *x, const char *db_path, const struct mig_settings *s, unsigned domid,
                       const char *config, struct guest *g)
{
        const struct inspect_opts o = { .inspector = s->inspector, .cpu_s = s->inspect_time };
        struct db *d = NULL;
        int r;

        if (!s->inspector)
                return -EINVAL;
        r = guest_read(x, domid, GUEST_READ_REASONS, g);
        if (r >= 0)
                r = db_open(db_path, &d);
        if (r >= 0)
                r = inspect_guest(x, d, &o, config, g);
        db_close(d);
        return r;
}

/* Why an inspected guest is not planned; NULL when it is ready. */
static char *not_ready(const struct guest *g)
{
        _cleanup_free_ char *t = NULL;
        const char *v = guest_verdict_word(g);
        char *why = NULL;

        if (!guest_inspection_ok(g)) {
                _cleanup_free_ char *e = render_escape(guest_inspection_failure(g), strlen(guest_inspection_failure(g)));

                return asprintf(&why, "no agent, and its disks' inspection failed: %s", e ? e : "?") < 0 ? NULL : why;
        }
        if (streq(v, "ready"))
                return NULL;
        t = mguest_failing_text(g, streq(v, "fixable"));
        if (streq(v, "fixable"))
                return asprintf(&why, "fixable, but no agent can prepare it: send its owner the manual change: %s",
                                t && *t ? t : "see its checks") < 0 ? NULL : why;
        return asprintf(&why, "%s (inspected): %s", v, t && *t ? t : "a check fails") < 0 ? NULL : why;
}

char *magentless_plan(struct xstore *x, const char *db_path, const struct mig_settings *s, unsigned domid,
                      const char *config, char **ret_verdict)
{
        const char *type = inspect_domain_type(x, domid);
        struct guest g = {};
        char *why = NULL;
        int r;

        *ret_verdict = NULL;
        if (!type || !streq(type, "PV"))
                return asprintf(&why, "the toolstack runs it as %s, not PV", type ? type : "unknown") < 0 ? NULL : why;
        r = inspect_now(x, db_path, s, domid, config, &g);
        if (r < 0) {
                guest_done(&g);
                return asprintf(&why, "its disks could not be inspected: %s", strerror(-r)) < 0 ? NULL : why;
        }
        *ret_verdict = strdup(guest_verdict_word(&g));
        why = not_ready(&g);
        guest_done(&g);
        return why;
}

int magentless_ready(struct xstore *x, const char *db_path, const struct mig_settings *s, const struct mguest *g,
                     char **ret_why)
{
        struct guest ig = {};
        int r = inspect_now(x, db_path, s, g->domid, g->config, &ig);

        if (r >= 0) {
                *ret_why = not_ready(&ig);
                r = *ret_why ? 1 : 0;
        }
        guest_done(&ig);
        return r;
}

/* Runs the toolstack with its output kept (its start): the status, or < 0. */
static int xl_output(const struct mig_settings *s, char *const argv[], char **ret)
{
        return mexec_output(argv, s->toolstack_timeout, XL_OUTPUT_MAX, ret);
}

/* The "type" of "c_info" in xl list -l's JSON: "pv", "pvh", "hvm"; NULL when not found. */
static char *c_info_type(const char *json)
{
        const char *p = strstr(json, "\"c_info\""), *q;

        if (!p || !(p = strstr(p, "\"type\"")))
                return NULL;
        p += STRLEN("\"type\"");
        p += strspn(p, " \t\n:");
        if (*p != '"')
                return NULL;
        q = strchr(p + 1, '"');
        return q && q - p - 1 < 8 ? strndup(p + 1, (size_t)(q - p - 1)) : NULL;
}

/* What the toolstack says of the domain: its type (xl list -l) and whether it crashed (xl list). */
static char *toolstack_missing(const struct mig_settings *s, const char *name, const char *type)
{
        char *lst[] = { s->xl, (char *)"list", (char *)"-l", (char *)name, NULL };
        _cleanup_free_ char *out = NULL, *t = NULL, *want = strdup(type);
        const char *down = NULL;
        char *why = NULL;
        int r = xl_output(s, lst, &out);

        if (!want)
                return NULL;
        for (char *p = want; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        if (r != 0)
                return asprintf(&why, "xl list -l %s failed (%d)", name, r) < 0 ? NULL : why;
        t = c_info_type(out);
        if (!t || !streq(t, want))
                return asprintf(&why, "the toolstack runs it as %s, not %s", t ? t : "?", want) < 0 ? NULL : why;
        r = mtoolstack_shutdown(s, name, &down);
        if (r < 0)
                return asprintf(&why, "xl list %s failed (%d)", name, r) < 0 ? NULL : why;
        return r > 0 ? mtoolstack_down_why(down) : NULL;
}

char *mtoolstack_down_why(const char *down)
{
        return streq(down, "crash") ? strdup("the toolstack shows it crashed")
                                    : strdup_printf("the toolstack shows it shut down (%s)", down);
}

int mtoolstack_shutdown(const struct mig_settings *s, const char *name, const char **ret_reason)
{
        /* xl's state letters: r b p, then s when shut down, the reason's letter, d when dying. */
        static const char letters[] = "-rscwS";
        static const char *const reasons[] = { "poweroff", "reboot", "suspend", "crash", "watchdog", "soft-reset" };
        char *argv[] = { s->xl, (char *)"list", (char *)name, NULL };
        _cleanup_free_ char *out = NULL;
        const char *line, *l;
        char flags[8];
        int r = xl_output(s, argv, &out);

        if (r != 0)
                return r > 0 ? -EIO : r;
        /* "Name ID Mem VCPUs State Time(s)", then the domain's line. */
        line = strchr(out, '\n');
        if (!line || sscanf(line + 1, "%*s %*u %*u %*u %7s", flags) != 1 || strlen(flags) != 6)
                return -EBADMSG;
        if (flags[3] != 's')
                return 0;
        l = strchr(letters, flags[4]);
        *ret_reason = l ? reasons[l - letters] : "unknown";
        return 1;
}

/* Every frontend of a kind connected (state 4): the count, or -1 with *ret_why. */
static int frontends(struct xstore *x, unsigned domid, const char *kind, char **ret_why)
{
        _cleanup_free_ char **ids = NULL;
        char dir[PROTO_DOMAIN_PATH_MAX], rel[32];
        unsigned n = 0;
        int r;

        snprintf(rel, sizeof(rel), "device/%s", kind);
        proto_domain_path(domid, rel, dir, sizeof(dir));
        r = xstore_directory(x, dir, &ids, &n);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n && i < FRONTENDS_MAX; i++) {
                _cleanup_free_ char *path = strdup_printf("%s/%s/state", dir, ids[i]), *v = NULL;
                size_t len;

                if (!path)
                        return -ENOMEM;
                /* Written by the guest: read within a small bound, and only "4" counts. */
                r = xstore_read(x, path, 8, &v, &len);
                if (r < 0 || len != 1 || v[0] != '4') {
                        *ret_why = strdup_printf("frontend %s/%s is not connected (state %s)", kind,
                                                 proto_value_check(PROTO_T_COUNT, ids[i], strlen(ids[i]), 8) == 0
                                                         ? ids[i] : "?",
                                                 r >= 0 && proto_value_check(PROTO_T_COUNT, v, len, 8) == 0 ? v : "-");
                        return -1;
                }
        }
        return (int)n;
}

char *magentless_missing(struct xstore *x, const struct mig_settings *s, unsigned domid, const char *name,
                         const char *type)
{
        char *why = NULL;
        int n;

        n = frontends(x, domid, "vbd", &why);
        if (n == 0)
                return strdup("no block frontend yet");
        if (n > 0)
                n = frontends(x, domid, "vif", &why);
        if (n < 0)
                return why ? why : strdup_printf("reading its frontends failed: %s", strerror(-n));
        return toolstack_missing(s, name, type);
}

/* The size of the console log: 0 when there is none yet (all it will hold is new), < 0 an error. */
static int console_size(const char *path, uint64_t *ret)
{
        struct stat st;

        if (stat(path, &st) < 0) {
                *ret = 0;
                return errno == ENOENT ? 0 : -errno;
        }
        *ret = (uint64_t)st.st_size;
        return 0;
}

/*
 * Which of fatal_lines the log has after from: its index + 1, 0 none, < 0
 * when it cannot be read (-ENOENT: no log). Read in bounded pieces.
 */
static int console_fatal(const char *path, uint64_t from)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        char buf[64 << 10];
        size_t keep = 0;
        struct stat st;
        uint64_t end;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        /* Smaller than at the mark: rotated or truncated since, and all of it is new. */
        if ((uint64_t)st.st_size < from)
                from = 0;
        end = (uint64_t)st.st_size - from > CONSOLE_SCAN_MAX ? from + CONSOLE_SCAN_MAX : (uint64_t)st.st_size;
        while (from < end) {
                size_t want = sizeof(buf) - keep < end - from ? sizeof(buf) - keep : (size_t)(end - from);
                ssize_t n = pread(fd, buf + keep, want, (off_t)from);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                from += (uint64_t)n;
                keep += (size_t)n;
                for (size_t i = 0; i < ELEMENTSOF(fatal_lines); i++)
                        if (memmem(buf, keep, fatal_lines[i].line, strlen(fatal_lines[i].line)))
                                return (int)i + 1;
                /* A line may straddle two pieces: keep the end of this one. */
                if (keep >= FATAL_LINE_MAX) {
                        memmove(buf, buf + keep - (FATAL_LINE_MAX - 1), FATAL_LINE_MAX - 1);
                        keep = FATAL_LINE_MAX - 1;
                }
        }
        return 0;
}

void magentless_console_mark(const struct mig_settings *s, struct mguest *g)
{
        _cleanup_free_ char *path = s->console_log ? mig_config_path(s->console_log, g->name) : NULL;

        g->console_known = path && console_size(path, &g->console_from) >= 0;
}

char *magentless_console_missing(const struct mig_settings *s, struct mguest *g)
{
        _cleanup_free_ char *path = s->console_log ? mig_config_path(s->console_log, g->name) : NULL;
        int r;

        if (!path)
                return NULL;
        if (!g->console_known) {
                magentless_console_mark(s, g);
                return NULL;
        }
        r = console_fatal(path, g->console_from);
        if (r > 0)
                return strdup_printf("its console log %s shows %s", path, fatal_lines[r - 1].means);
        if (r < 0 && r != -ENOENT)
                log_warning("Could not read the console log %s: %s.", path, strerror(-r));
        return NULL;
}
