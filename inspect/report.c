/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exitcode.h"
#include "inspection.h"
#include "macro.h"
#include "protocol.h"
#include "textbuf.h"
#include "util.h"

/*
 * The report a CPU limit ends the process with, kept ready for the signal
 * handler: two buffers, the one in use switched only once the other is
 * written, so that the handler never sees half a line.
 */
static char stage_report[2][PROTO_REPORT_LINE_MAX * 2];
static size_t stage_len[2];
static volatile sig_atomic_t stage_current;
static unsigned cpu_limit_s;

void stage_set(const char *fmt, ...)
{
        int next = !stage_current;
        char what[PROTO_XS_VALUE_MAX], text[1024], raw[PROTO_XS_VALUE_MAX + 128];
        va_list ap;
        int n;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        snprintf(raw, sizeof(raw), "the CPU time limit of %u s was reached while %s", cpu_limit_s, what);
        proto_text_sanitize(raw, strlen(raw), false, text, sizeof(text), NULL);
        n = snprintf(stage_report[next], sizeof(stage_report[next]), "inspect/error=limit\ninspect/message=%s\n",
                     text);
        stage_len[next] = n > 0 && (size_t)n < sizeof(stage_report[next]) ? (size_t)n : 0;
        stage_current = next;
}

static void on_cpu_limit(int sig)
{
        int i = stage_current;

        (void)!write(STDOUT_FILENO, stage_report[i], stage_len[i]);
        _exit(EXIT_FAILED);
}

int stage_catch_cpu_limit(void)
{
        struct sigaction sa = { .sa_handler = on_cpu_limit };
        struct rlimit rl;

        if (getrlimit(RLIMIT_CPU, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
                cpu_limit_s = (unsigned)rl.rlim_cur;
        stage_set("starting");
        return sigaction(SIGXCPU, &sa, NULL) < 0 ? -errno : 0;
}

static void limit_word(struct textbuf *b, const char *name, int resource)
{
        struct rlimit rl;
        char w[64];

        if (getrlimit(resource, &rl) < 0)
                return;
        if (rl.rlim_cur == RLIM_INFINITY)
                snprintf(w, sizeof(w), " %s=unlimited", name);
        else
                snprintf(w, sizeof(w), " %s=%" PRIu64, name, (uint64_t)rl.rlim_cur);
        textbuf_puts(b, w);
}

/* The effective capabilities, as a mask (0: none). */
static uint64_t capabilities(void)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        if (syscall(SYS_capget, &h, d) < 0)
                return UINT64_MAX;
        return (uint64_t)d[1].effective << 32 | d[0].effective;
}

static void interfaces(struct textbuf *b)
{
        struct if_nameindex *ifs = if_nameindex();

        textbuf_puts(b, " net=");
        for (struct if_nameindex *i = ifs; i && i->if_name; i++) {
                textbuf_puts(b, i != ifs ? "," : "");
                textbuf_puts(b, i->if_name);
        }
        if (ifs)
                if_freenameindex(ifs);
}

char *sandbox_describe(void)
{
        struct textbuf b;
        char w[160];

        textbuf_init(&b, 480);
        snprintf(w, sizeof(w), "uid=%u gid=%u groups=%d caps=%" PRIx64 " no_new_privs=%d pid=%d",
                 (unsigned)getuid(), (unsigned)getgid(), getgroups(0, NULL), capabilities(),
                 prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), (int)getpid());
        textbuf_puts(&b, w);
        interfaces(&b);
        textbuf_puts(&b, access("/etc/passwd", F_OK) == 0 ? " host_files=visible" : " host_files=hidden");
        limit_word(&b, "cpu", RLIMIT_CPU);
        limit_word(&b, "as", RLIMIT_AS);
        limit_word(&b, "fsize", RLIMIT_FSIZE);
        limit_word(&b, "nofile", RLIMIT_NOFILE);
        limit_word(&b, "nproc", RLIMIT_NPROC);
        limit_word(&b, "core", RLIMIT_CORE);
        if (textbuf_error(&b) < 0) {
                textbuf_done(&b);
                return NULL;
        }
        return b.data;
}

/* One line into b, when the codec takes it (every value here was made valid before). */
static void line(struct textbuf *b, const char *key, const char *value)
{
        char buf[PROTO_REPORT_LINE_MAX + 1], text[PROTO_XS_VALUE_MAX + 1];

        if (!value)
                return;
        if (startswith(key, "inspect/")) {
                proto_text_sanitize(value, strlen(value), false, text, 1024 + 1, NULL);
                value = text;
        }
        if (proto_report_encode(key, value, buf, sizeof(buf)) > 0)
                textbuf_puts(b, buf);
}

static void device_line(struct textbuf *b, const struct inspection *in, const char *key, const char *dev)
{
        _cleanup_free_ char *name = dev ? inspection_device_name(in, dev) : NULL;

        line(b, key, name);
}

static void devices_line(struct textbuf *b, const struct inspection *in)
{
        struct textbuf d;

        textbuf_init(&d, 1024);
        for (size_t i = 0; i < in->n_devices; i++) {
                _cleanup_free_ char *name = inspection_device_name(in, in->devices[i]);

                textbuf_puts(&d, i ? " " : "");
                textbuf_puts(&d, name ? name : "?");
        }
        if (d.data && d.omitted == 0)
                line(b, "inspect/devices", d.data);
        textbuf_done(&d);
}

static void inspect_lines(struct textbuf *b, const struct inspection *in)
{
        _cleanup_free_ char *sandbox = sandbox_describe();
        char key[48], files[24];

        if (in->error) {
                line(b, "inspect/error", in->error);
                line(b, "inspect/message", in->message);
        }
        device_line(b, in, "inspect/menu_device", in->menu_dev);
        line(b, "inspect/menu_file", in->menu_file);
        device_line(b, in, "inspect/root_device", in->root_dev);
        device_line(b, in, "inspect/boot_device", in->boot_dev);
        devices_line(b, in);
        for (size_t i = 0; i < in->n_notes; i++) {
                snprintf(key, sizeof(key), "inspect/note/%zu", i);
                line(b, key, in->notes[i]);
        }
        line(b, "inspect/sandbox", sandbox);
        snprintf(files, sizeof(files), "%u", in->tree.files);
        line(b, "inspect/files", files);
}

int report_write(int fd, const struct inspection *in, const struct kvset *result)
{
        struct textbuf b;
        int r;

        textbuf_init(&b, PROTO_REPORT_MAX);
        for (size_t i = 0; !in->error && i < result->n; i++)
                line(&b, result->items[i].key, result->items[i].value);
        inspect_lines(&b, in);
        r = textbuf_error(&b);
        if (r >= 0 && b.omitted)
                r = -E2BIG;
        if (r >= 0 && b.data)
                r = write_all(fd, b.data, b.len);
        textbuf_done(&b);
        return r;
}
