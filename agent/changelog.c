/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileedit.h"
#include "changelog.h"
#include "macro.h"
#include "strv.h"
#include "textbuf.h"
#include "util.h"

#define SEQ_DIGITS 6

static int open_dir(int state_fd, bool create)
{
        int fd;

        if (create && mkdirat(state_fd, HISTORY_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(state_fd, HISTORY_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static bool is_seq(const char *name)
{
        if (strlen(name) != SEQ_DIGITS)
                return false;
        for (const char *c = name; *c; c++)
                if (*c < '0' || *c > '9')
                        return false;
        return true;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries' names, oldest first (fixed-width numbers sort as text). */
static int entries(int dir_fd, char ***ret, size_t *ret_n)
{
        int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
        char **v = NULL;
        size_t n = 0;
        struct dirent *de;
        int r = 0;

        if (!dir) {
                r = -errno;
                if (fd >= 0)
                        close(fd);
                return r;
        }
        while (r >= 0 && (de = readdir(dir)))
                if (is_seq(de->d_name))
                        r = strv_push_dup(&v, &n, de->d_name);
        closedir(dir);
        if (r < 0) {
                strv_free(v);
                return r;
        }
        if (n > 0)
                qsort(v, n, sizeof(*v), cmp_names);
        *ret = v;
        *ret_n = n;
        return 0;
}

/* The distinct "+++ b/PATH" and "run: CMD" lines of the output, for the entry and the log. */
static void summarize(const char *out, size_t len, struct textbuf *files, struct textbuf *cmds)
{
        for (size_t i = 0; i < len;) {
                const char *line = out + i, *nl = memchr(line, '\n', len - i);
                size_t n = nl ? (size_t)(nl - line) : len - i;

                if (n > 6 && memcmp(line, "+++ b/", 6) == 0) {
                        textbuf_puts(files, files->len ? " /" : "/");
                        textbuf_append(files, line + 6, n - 6);
                } else if (n > 5 && memcmp(line, "run: ", 5) == 0) {
                        textbuf_puts(cmds, cmds->len ? "; " : "");
                        textbuf_append(cmds, line + 5, n - 5);
                }
                i += n + 1;
        }
}

static void prune(int dir_fd)
{
        _cleanup_strv_ char **v = NULL;
        size_t n = 0;

        if (entries(dir_fd, &v, &n) < 0)
                return;
        for (size_t i = 0; n > HISTORY_KEEP && i < n - HISTORY_KEEP; i++)
                (void)fileedit_remove(dir_fd, v[i]);
}

int history_record(int state_fd, const struct history_entry *e, char *summary, size_t size)
{
        _cleanup_close_ int dir_fd = open_dir(state_fd, true);
        _cleanup_strv_ char **v = NULL;
        struct textbuf files, cmds, text;
        char name[SEQ_DIGITS + 1], when[32];
        unsigned last = 0;
        size_t n = 0;
        time_t now = time(NULL);
        struct tm tm;
        int r;

        if (dir_fd < 0)
                return dir_fd;
        r = entries(dir_fd, &v, &n);
        if (r < 0)
                return r;
        if (n > 0)
                (void)safe_atou(v[n - 1], &last);
        snprintf(name, sizeof(name), "%0*u", SEQ_DIGITS, (last + 1) % 1000000);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        textbuf_init(&files, 4096);
        textbuf_init(&cmds, 4096);
        textbuf_init(&text, HISTORY_ENTRY_MAX);
        if (e->output)
                summarize(e->output, e->output_len, &files, &cmds);
        textbuf_printf(&text, "time %s\nrequest %s\naction %s\nresult %s\nmessage %s\nfiles %s\ncommands %s\n\n",
                       when, e->request, e->action, e->result, e->message ? e->message : "",
                       files.data ? files.data : "", cmds.data ? cmds.data : "");
        if (e->output)
                textbuf_append(&text, e->output, e->output_len);
        if (summary)
                snprintf(summary, size, "files: %s; commands: %s", files.len ? files.data : "none",
                         cmds.len ? cmds.data : "none");
        r = textbuf_error(&text);
        if (r >= 0)
                r = fileedit_replace(dir_fd, name, text.data, text.len,
                                     &(struct file_meta){ .mode = 0600, .uid = geteuid(), .gid = getegid() });
        textbuf_done(&files);
        textbuf_done(&cmds);
        textbuf_done(&text);
        if (r >= 0)
                prune(dir_fd);
        return r;
}

/* The value of the header line "KEY VALUE" in text, up to the blank line. */
static const char *header(const char *text, const char *key, size_t *ret_len)
{
        size_t kl = strlen(key);

        for (const char *p = text; *p && *p != '\n';) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);

                if (n > kl && memcmp(p, key, kl) == 0 && p[kl] == ' ') {
                        *ret_len = n - kl - 1;
                        return p + kl + 1;
                }
                p += n + (nl ? 1 : 0);
        }
        *ret_len = 0;
        return "";
}

static int read_entry(int dir_fd, const char *name, char **ret)
{
        return fileedit_read(dir_fd, name, HISTORY_ENTRY_MAX + 8192, ret, NULL, NULL);
}

int history_list(int state_fd, FILE *out)
{
        _cleanup_close_ int dir_fd = open_dir(state_fd, false);
        _cleanup_strv_ char **v = NULL;
        size_t n = 0;
        int r;

        if (dir_fd == -ENOENT)
                return 0;
        if (dir_fd < 0)
                return dir_fd;
        r = entries(dir_fd, &v, &n);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *text = NULL;
                const char *k[] = { "time", "request", "action", "result", "message" };
                const char *val[ELEMENTSOF(k)];
                size_t len[ELEMENTSOF(k)];

                if (read_entry(dir_fd, v[i], &text) < 0)
                        continue;
                for (size_t j = 0; j < ELEMENTSOF(k); j++)
                        val[j] = header(text, k[j], &len[j]);
                fprintf(out, "%s %.*s %.*s %.*s %.*s: %.*s\n", v[i], (int)len[0], val[0], (int)len[1], val[1],
                        (int)len[2], val[2], (int)len[3], val[3], (int)len[4], val[4]);
        }
        return r;
}

int history_show(int state_fd, const char *which, FILE *out)
{
        _cleanup_close_ int dir_fd = open_dir(state_fd, false);
        _cleanup_strv_ char **v = NULL;
        size_t n = 0;
        int r;

        if (dir_fd < 0)
                return dir_fd;
        r = entries(dir_fd, &v, &n);
        for (size_t i = n; r >= 0 && i > 0; i--) {
                _cleanup_free_ char *text = NULL;
                const char *id;
                size_t len;

                if (read_entry(dir_fd, v[i - 1], &text) < 0)
                        continue;
                id = header(text, "request", &len);
                if (!streq(v[i - 1], which) && !(strlen(which) == len && memcmp(id, which, len) == 0))
                        continue;
                fputs(text, out);
                return 0;
        }
        return r < 0 ? r : -ENOENT;
}
