/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "grubcfg.h"
#include "rootfs.h"
#include "strv.h"
#include "util.h"

#define GRUBCFG_MAX (4u << 20)
#define WORD_MAX (64u << 10)
#define WORDS_MAX 256
#define IF_DEPTH_MAX 64
#define BLOCK_DEPTH_MAX 16
#define ENTRIES_MAX 4096
#define ENV_FILE_MAX (64u << 10)

/* Variable references inside a lexed word: VAR_START name VAR_END. */
#define VAR_START '\001'
#define VAR_END '\002'

struct word {
        char *s;
        bool quoted;
};

struct cmd {
        struct word w[WORDS_MAX];
        size_t n;
};

struct buf {
        char *p;
        size_t len, cap;
};

static int buf_put(struct buf *b, char c)
{
        if (b->len + 2 > b->cap) {
                size_t ncap = b->cap ? b->cap * 2 : 64;
                char *np;

                if (ncap > WORD_MAX)
                        return -E2BIG;
                np = realloc(b->p, ncap);
                if (!np)
                        return -ENOMEM;
                b->p = np;
                b->cap = ncap;
        }
        b->p[b->len++] = c;
        b->p[b->len] = '\0';
        return 0;
}

static int buf_puts(struct buf *b, const char *s)
{
        for (; *s; s++) {
                int r = buf_put(b, *s);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void cmd_clear(struct cmd *c)
{
        for (size_t i = 0; i < c->n; i++)
                free(c->w[i].s);
        c->n = 0;
}

struct lexer {
        const char *p, *end;
};

static bool is_name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Lexes "$name", "${name}", "$1", "$?" at l->p (just after the '$'). */
static int lex_var(struct lexer *l, struct buf *b)
{
        int r = buf_put(b, VAR_START);

        if (r < 0)
                return r;
        if (l->p < l->end && *l->p == '{') {
                l->p++;
                while (l->p < l->end && *l->p != '}') {
                        r = buf_put(b, *l->p == VAR_END || *l->p == VAR_START ? '?' : *l->p);
                        if (r < 0)
                                return r;
                        l->p++;
                }
                if (l->p < l->end)
                        l->p++;
        } else if (l->p < l->end && (*l->p == '?' || *l->p == '#')) {
                r = buf_put(b, *l->p++);
        } else {
                while (l->p < l->end && is_name_char(*l->p) && r >= 0)
                        r = buf_put(b, *l->p++);
        }
        return r < 0 ? r : buf_put(b, VAR_END);
}

static char lit(char c)
{
        return c == VAR_START || c == VAR_END ? '?' : c;
}

static int lex_dquoted(struct lexer *l, struct buf *b)
{
        while (l->p < l->end && *l->p != '"') {
                char c = *l->p++;
                int r;

                if (c == '\\' && l->p < l->end && strchr("$\"\\\n", *l->p)) {
                        c = *l->p++;
                        if (c == '\n')
                                continue;
                        r = buf_put(b, c);
                } else if (c == '$')
                        r = lex_var(l, b);
                else
                        r = buf_put(b, lit(c));
                if (r < 0)
                        return r;
        }
        if (l->p < l->end)
                l->p++;
        return 0;
}

static int lex_squoted(struct lexer *l, struct buf *b)
{
        while (l->p < l->end && *l->p != '\'') {
                int r = buf_put(b, lit(*l->p++));
                if (r < 0)
                        return r;
        }
        if (l->p < l->end)
                l->p++;
        return 0;
}

static bool is_word_end(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';';
}

/* One word at l->p; the caller skipped blanks. */
static int lex_word(struct lexer *l, struct word *ret)
{
        struct buf b = {};
        bool quoted = false;
        int r = buf_put(&b, 'x');

        b.len = 0;
        while (r >= 0 && l->p < l->end && !is_word_end(*l->p)) {
                char c = *l->p++;

                if (c == '\\') {
                        if (l->p < l->end && *l->p == '\n') {
                                l->p++;
                                continue;
                        }
                        if (l->p < l->end)
                                r = buf_put(&b, lit(*l->p++));
                        quoted = true;
                } else if (c == '"') {
                        quoted = true;
                        r = lex_dquoted(l, &b);
                } else if (c == '\'') {
                        quoted = true;
                        r = lex_squoted(l, &b);
                } else if (c == '$')
                        r = lex_var(l, &b);
                else
                        r = buf_put(&b, lit(c));
        }
        if (r < 0) {
                free(b.p);
                return r;
        }
        b.p[b.len] = '\0';
        *ret = (struct word){ .s = b.p, .quoted = quoted };
        return 0;
}

static bool word_is(const struct word *w, const char *s)
{
        return !w->quoted && streq(w->s, s);
}

/* Lexes the next command: 1 when one was read, 0 at the end of the input. */
static int lex_cmd(struct lexer *l, struct cmd *c)
{
        const char *start;

        cmd_clear(c);
        while (l->p < l->end) {
                char ch = *l->p;
                int r;

                if (ch == ' ' || ch == '\t' || ch == '\r') {
                        l->p++;
                        continue;
                }
                if (ch == '\n' || ch == ';') {
                        l->p++;
                        if (c->n > 0)
                                return 1;
                        continue;
                }
                if (ch == '#' && c->n == 0) {
                        while (l->p < l->end && *l->p != '\n')
                                l->p++;
                        continue;
                }
                if (c->n >= WORDS_MAX)
                        return -E2BIG;
                start = l->p;
                r = lex_word(l, &c->w[c->n]);
                if (r < 0)
                        return r;
                /* "}" after words ("{ linux /k }") closes the block: it is the next command. */
                if (c->n > 0 && word_is(&c->w[c->n], "}")) {
                        free(c->w[c->n].s);
                        l->p = start;
                        return 1;
                }
                c->n++;
                /* "{" ends a menuentry head; "}" closes a block. */
                if (word_is(&c->w[c->n - 1], "{") || (c->n == 1 && word_is(&c->w[0], "}")))
                        return 1;
        }
        return c->n > 0;
}

enum block_kind { BLOCK_ENTRY, BLOCK_SKIP };

struct block {
        enum block_kind kind;
        struct boot_entry *entry;
        size_t if_depth;
};

struct ifframe {
        bool outer, taken, active;
};

struct exec {
        const struct grubcfg_io *io;
        struct grub_cfg *cfg;
        struct ifframe ifs[IF_DEPTH_MAX];
        size_t if_depth;
        struct block blocks[BLOCK_DEPTH_MAX];
        size_t block_depth;
};

static bool exec_active(const struct exec *x)
{
        if (x->block_depth > 0 && x->blocks[x->block_depth - 1].kind == BLOCK_SKIP)
                return false;
        return x->if_depth == 0 || x->ifs[x->if_depth - 1].active;
}

static struct boot_entry *exec_entry(const struct exec *x)
{
        if (x->block_depth == 0 || x->blocks[x->block_depth - 1].kind != BLOCK_ENTRY)
                return NULL;
        return x->blocks[x->block_depth - 1].entry;
}

static struct boot_entry *exec_menu(const struct exec *x)
{
        struct boot_entry *e = exec_entry(x);

        if (x->block_depth == 0)
                return x->cfg->menu;
        return e && e->submenu ? e : NULL;
}

/* Expands variable references; NULL on allocation failure. */
static char *expand(const struct exec *x, const char *s)
{
        struct buf b = {};

        if (buf_put(&b, 'x') < 0)
                return NULL;
        b.len = 0;
        b.p[0] = '\0';
        while (*s) {
                const char *end, *v;
                char name[128];
                size_t n;

                if (*s != VAR_START) {
                        if (buf_put(&b, *s++) < 0)
                                goto fail;
                        continue;
                }
                end = strchr(s, VAR_END);
                if (!end)
                        break;
                n = (size_t)(end - s - 1);
                if (n >= sizeof(name))
                        n = sizeof(name) - 1;
                memcpy(name, s + 1, n);
                name[n] = '\0';
                v = grub_env_get(&x->cfg->env, name);
                if (v && buf_puts(&b, v) < 0)
                        goto fail;
                s = end + 1;
        }
        return b.p;
fail:
        free(b.p);
        return NULL;
}

/* Expands a command's words into argv; unquoted words that expand to nothing disappear. */
static int expand_argv(const struct exec *x, const struct cmd *c, char ***ret, size_t *ret_n)
{
        _cleanup_strv_ char **v = NULL;
        size_t n = 0;

        for (size_t i = 0; i < c->n; i++) {
                char *s = expand(x, c->w[i].s);
                int r;

                if (!s)
                        return -ENOMEM;
                if (!*s && !c->w[i].quoted && strchr(c->w[i].s, VAR_START)) {
                        free(s);
                        continue;
                }
                r = strv_push(&v, &n, s);
                if (r < 0)
                        return r;
        }
        if (!v) {
                v = calloc(1, sizeof(char *));
                if (!v)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

static bool path_test(const struct exec *x, const char *op, const char *path)
{
        _cleanup_free_ char *p = NULL;
        struct stat st;

        if (x->io->root_fd < 0)
                return false;
        p = grub_path_in_root(x->io->root_fd, path);
        if (!p || root_stat(x->io->root_fd, p, &st) < 0)
                return false;
        if (streq(op, "-d"))
                return S_ISDIR(st.st_mode);
        if (streq(op, "-s"))
                return S_ISREG(st.st_mode) && st.st_size > 0;
        return true;
}

static bool num_test(const char *a, const char *op, const char *b)
{
        long x = strtol(a, NULL, 10), y = strtol(b, NULL, 10);

        if (streq(op, "-eq"))
                return x == y;
        if (streq(op, "-ne"))
                return x != y;
        if (streq(op, "-lt"))
                return x < y;
        if (streq(op, "-le"))
                return x <= y;
        if (streq(op, "-gt"))
                return x > y;
        return x >= y;
}

static bool eval_test(const struct exec *x, char **a, size_t n, unsigned depth)
{
        if (depth > 16)
                return false;
        for (size_t i = 0; i < n; i++)
                if (streq(a[i], "-o"))
                        return eval_test(x, a, i, depth + 1) || eval_test(x, a + i + 1, n - i - 1, depth + 1);
        for (size_t i = 0; i < n; i++)
                if (streq(a[i], "-a"))
                        return eval_test(x, a, i, depth + 1) && eval_test(x, a + i + 1, n - i - 1, depth + 1);
        if (n > 0 && streq(a[0], "!"))
                return !eval_test(x, a + 1, n - 1, depth + 1);
        if (n == 1)
                return a[0][0] != '\0';
        if (n == 2 && streq(a[0], "-n"))
                return a[1][0] != '\0';
        if (n == 2 && streq(a[0], "-z"))
                return a[1][0] == '\0';
        if (n == 2 && (streq(a[0], "-f") || streq(a[0], "-e") || streq(a[0], "-s") || streq(a[0], "-d")))
                return path_test(x, a[0], a[1]);
        if (n == 3 && (streq(a[1], "=") || streq(a[1], "==")))
                return streq(a[0], a[2]);
        if (n == 3 && streq(a[1], "!="))
                return !streq(a[0], a[2]);
        if (n == 3 && a[1][0] == '-' && strchr("elgn", a[1][1]))
                return num_test(a[0], a[1], a[2]);
        return false;
}

/* Evaluates an if/elif condition (the words after the keyword). */
static bool eval_cond(const struct exec *x, char **a, size_t n)
{
        if (n == 0)
                return false;
        if (streq(a[0], "!"))
                return !eval_cond(x, a + 1, n - 1);
        if (streq(a[0], "true"))
                return true;
        if (streq(a[0], "test"))
                return eval_test(x, a + 1, n - 1, 0);
        if (streq(a[0], "[") && n >= 2 && streq(a[n - 1], "]"))
                return eval_test(x, a + 1, n - 2, 0);
        /* Other commands (keystatus, search, ...) are taken to fail. */
        return false;
}

static int do_if(struct exec *x, char **a, size_t n)
{
        bool outer = exec_active(x), c;

        if (x->if_depth >= IF_DEPTH_MAX)
                return -E2BIG;
        c = outer && eval_cond(x, a + 1, n - 1);
        x->ifs[x->if_depth++] = (struct ifframe){ .outer = outer, .taken = c, .active = c };
        return 0;
}

static int do_elif_else_fi(struct exec *x, char **a, size_t n)
{
        struct ifframe *f;

        if (x->if_depth == 0)
                return 0;
        f = &x->ifs[x->if_depth - 1];
        if (streq(a[0], "fi") || streq(a[0], "done")) {
                x->if_depth--;
                return 0;
        }
        if (streq(a[0], "else")) {
                f->active = f->outer && !f->taken;
                f->taken = true;
                return 0;
        }
        /* elif */
        f->active = !f->taken && f->outer && eval_cond(x, a + 1, n - 1);
        f->taken = f->taken || f->active;
        return 0;
}

static int push_block(struct exec *x, enum block_kind kind, struct boot_entry *e)
{
        if (x->block_depth >= BLOCK_DEPTH_MAX)
                return -E2BIG;
        x->blocks[x->block_depth++] = (struct block){ .kind = kind, .entry = e, .if_depth = x->if_depth };
        return 0;
}

static void pop_block(struct exec *x)
{
        if (x->block_depth == 0)
                return;
        x->block_depth--;
        /* An unbalanced if inside a block ends with it. */
        if (x->if_depth > x->blocks[x->block_depth].if_depth)
                x->if_depth = x->blocks[x->block_depth].if_depth;
}

static bool option_takes_arg(const char *o)
{
        return streq(o, "--class") || streq(o, "--users") || streq(o, "--hotkey") || streq(o, "--id") ||
               streq(o, "--source");
}

/* menuentry/submenu TITLE [options] {: a new entry in the current menu. */
static int do_entry(struct exec *x, char **a, size_t n, struct boot_entry *menu)
{
        struct boot_entry *e;
        int r;

        if (x->cfg->n_entries >= ENTRIES_MAX)
                return -E2BIG;
        e = boot_entry_new();
        if (!e)
                return -ENOMEM;
        e->submenu = streq(a[0], "submenu");
        for (size_t i = 1; i + 1 < n; i++) {
                if (option_takes_arg(a[i]) && i + 2 < n) {
                        if (streq(a[i], "--id") && !e->id)
                                e->id = strdup(a[i + 1]);
                        i++;
                } else if (startswith(a[i], "--id="))
                        e->id = e->id ? e->id : strdup(a[i] + 5);
                else if (a[i][0] != '-' && !e->title)
                        e->title = strdup(a[i]);
        }
        if (!e->title)
                e->title = strdup("");
        r = boot_entry_add_child(menu, e);
        if (r < 0) {
                boot_entry_free(e);
                return r;
        }
        x->cfg->n_entries++;
        return push_block(x, BLOCK_ENTRY, e);
}

static char *join_args(char **a, size_t n)
{
        struct buf b = {};

        if (buf_put(&b, 'x') < 0)
                return NULL;
        b.len = 0;
        b.p[0] = '\0';
        for (size_t i = 0; i < n; i++)
                if ((i > 0 && buf_put(&b, ' ') < 0) || buf_puts(&b, a[i]) < 0) {
                        free(b.p);
                        return NULL;
                }
        return b.p;
}

static bool is_linux_cmd(const char *s)
{
        return streq(s, "linux") || streq(s, "linux16") || streq(s, "linuxefi") || streq(s, "kernel");
}

static bool is_initrd_cmd(const char *s)
{
        return streq(s, "initrd") || streq(s, "initrd16") || streq(s, "initrdefi");
}

static bool is_other_loader(const char *s)
{
        return streq(s, "multiboot") || streq(s, "multiboot2") || streq(s, "chainloader") ||
               streq(s, "xen_hypervisor") || streq(s, "configfile") || streq(s, "pvh");
}

static int do_entry_body(struct boot_entry *e, char **a, size_t n)
{
        int r;

        if (is_linux_cmd(a[0]) && n >= 2) {
                if ((r = free_and_strdup(&e->loader, a[0])) < 0 || (r = free_and_strdup(&e->kernel, a[1])) < 0)
                        return r;
                free(e->args);
                e->args = join_args(a + 2, n - 2);
                return e->args ? 0 : -ENOMEM;
        }
        if (is_initrd_cmd(a[0])) {
                for (size_t i = 1; i < n; i++)
                        if ((r = strv_push_dup(&e->initrd, &e->n_initrd, a[i])) < 0)
                                return r;
                return 0;
        }
        if (is_other_loader(a[0]) && !e->loader)
                return free_and_strdup(&e->loader, a[0]);
        return 0;
}

static int do_set(struct exec *x, char **a, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *k = strdup(a[i]);
                char *eq;
                int r;

                if (!k)
                        return -ENOMEM;
                eq = strchr(k, '=');
                if (eq)
                        *eq = '\0';
                if (!*k)
                        continue;
                r = grub_env_set(&x->cfg->env, k, eq ? eq + 1 : "");
                if (r < 0 && r != -E2BIG)
                        return r;
        }
        return 0;
}

static int do_load_env(struct exec *x, char **a, size_t n)
{
        _cleanup_free_ char *file = NULL, *inroot = NULL, *text = NULL;
        struct grub_env env = {};
        size_t len;
        int r;

        if (x->io->root_fd < 0)
                return 0;
        for (size_t i = 1; i < n; i++)
                if ((streq(a[i], "-f") || streq(a[i], "--file")) && i + 1 < n)
                        file = strdup(a[++i]);
                else if (startswith(a[i], "--file="))
                        file = strdup(a[i] + 7);
        if (!file)
                file = strdup_printf("%s/grubenv", x->io->config_dir);
        if (!file)
                return -ENOMEM;
        inroot = grub_path_in_root(x->io->root_fd, file);
        if (!inroot)
                return 0;
        r = root_read_file(x->io->root_fd, inroot, ENV_FILE_MAX, &text, &len);
        if (r < 0)
                return root_unreadable_add(x->io->unreadable, inroot, r);
        r = grub_env_parse(&env, text, len);
        for (size_t i = 0; r >= 0 && i < env.n; i++)
                r = grub_env_set(&x->cfg->env, env.keys[i], env.vals[i]);
        grub_env_done(&env);
        return r == -E2BIG ? 0 : r;
}

static bool has_arg(char **a, size_t n, const char *s)
{
        for (size_t i = 1; i < n; i++)
                if (strstr(a[i], s))
                        return true;
        return false;
}

/* A command in an active context. */
static int do_command(struct exec *x, char **a, size_t n)
{
        struct boot_entry *menu = exec_menu(x), *e = exec_entry(x);

        if (streq(a[n - 1], "{")) {
                if ((streq(a[0], "menuentry") || streq(a[0], "submenu")) && menu)
                        return do_entry(x, a, n, menu);
                return push_block(x, BLOCK_SKIP, NULL);
        }
        if (streq(a[0], "blscfg") || streq(a[0], "bls_import"))
                x->cfg->uses_blscfg = true;
        if (streq(a[0], "serial") ||
            (startswith(a[0], "terminal") && has_arg(a, n, "serial")))
                x->cfg->serial = true;
        if (e && !e->submenu)
                return do_entry_body(e, a, n);
        if (e)
                return 0; /* a submenu body runs only when it is opened */
        if (streq(a[0], "set"))
                return do_set(x, a + 1, n - 1);
        if (streq(a[0], "unset")) {
                for (size_t i = 1; i < n; i++)
                        grub_env_unset(&x->cfg->env, a[i]);
                return 0;
        }
        if (streq(a[0], "load_env"))
                return do_load_env(x, a, n);
        if (strchr(a[0], '=') && a[0][0] != '=' && n == 1)
                return do_set(x, a, 1);
        return 0;
}

static int exec_argv(struct exec *x, char **a, size_t n)
{
        while (n > 0 && (streq(a[0], "then") || streq(a[0], "do"))) {
                a++;
                n--;
        }
        if (n == 0)
                return 0;
        if (streq(a[0], "}")) {
                pop_block(x);
                return 0;
        }
        if (streq(a[0], "if"))
                return do_if(x, a, n);
        if (streq(a[0], "elif") || streq(a[0], "else") || streq(a[0], "fi") || streq(a[0], "done")) {
                int r = do_elif_else_fi(x, a, n);
                /* "else cmd" runs cmd under the new state. */
                return r < 0 || !streq(a[0], "else") ? r : exec_argv(x, a + 1, n - 1);
        }
        if (streq(a[0], "while") || streq(a[0], "until") || streq(a[0], "for")) {
                if (x->if_depth >= IF_DEPTH_MAX)
                        return -E2BIG;
                x->ifs[x->if_depth++] = (struct ifframe){ .outer = exec_active(x), .taken = true };
                return 0;
        }
        if (!exec_active(x))
                return streq(a[n - 1], "{") ? push_block(x, BLOCK_SKIP, NULL) : 0;
        return do_command(x, a, n);
}

static int set_initial_env(struct grub_env *env, const char *config_dir)
{
        static const char *const vars[][2] = {
                { "feature_menuentry_id", "y" },  { "feature_default_font_path", "y" },
                { "feature_all_video_module", "y" }, { "feature_timeout_style", "y" },
                { "feature_platform_search_hint", "y" }, { "feature_200_final", "y" },
                { "grub_platform", "xen_pvh" }, { "grub_cpu", "i386" },
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                if ((r = grub_env_set(env, vars[i][0], vars[i][1])) < 0)
                        return r;
        if ((r = grub_env_set(env, "prefix", config_dir)) < 0)
                return r;
        return grub_env_set(env, "config_directory", config_dir);
}

int grubcfg_parse(const char *text, size_t len, const struct grubcfg_io *io, struct grub_cfg *ret)
{
        struct grub_cfg cfg = {};
        struct exec x = { .io = io, .cfg = &cfg };
        struct lexer l = { .p = text, .end = text + len };
        struct cmd *c;
        int r;

        if (len > GRUBCFG_MAX)
                return -EFBIG;
        c = calloc(1, sizeof(*c));
        cfg.menu = boot_entry_new();
        if (!c || !cfg.menu || set_initial_env(&cfg.env, io->config_dir) < 0) {
                r = -ENOMEM;
                goto out;
        }
        cfg.menu->submenu = true;
        while ((r = lex_cmd(&l, c)) > 0) {
                _cleanup_strv_ char **argv = NULL;
                size_t n;

                r = expand_argv(&x, c, &argv, &n);
                if (r < 0)
                        break;
                r = exec_argv(&x, argv, n);
                if (r < 0)
                        break;
        }
out:
        if (c)
                cmd_clear(c);
        free(c);
        if (r < 0) {
                grubcfg_done(&cfg);
                return r;
        }
        *ret = cfg;
        return 0;
}

void grubcfg_done(struct grub_cfg *cfg)
{
        boot_entry_free(cfg->menu);
        grub_env_done(&cfg->env);
        *cfg = (struct grub_cfg){};
}

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

static const struct boot_entry *find_child(const struct boot_entry *menu, const char *key)
{
        unsigned idx;

        if (all_digits(key))
                return safe_atou(key, &idx) >= 0 && idx < menu->n_children ? menu->children[idx] : NULL;
        for (size_t i = 0; i < menu->n_children; i++) {
                const struct boot_entry *e = menu->children[i];

                if ((e->id && streq(e->id, key)) || (e->title && streq(e->title, key)))
                        return e;
        }
        return NULL;
}

/* A submenu reached at the end of a path boots its first entry. */
static const struct boot_entry *first_leaf(const struct boot_entry *e)
{
        for (unsigned depth = 0; e && e->submenu && depth < BLOCK_DEPTH_MAX; depth++)
                e = e->n_children > 0 ? e->children[0] : NULL;
        return e && !e->submenu ? e : NULL;
}

const struct boot_entry *grub_resolve_default(const struct boot_entry *menu, const char *def,
                                              bool *ret_fallback)
{
        _cleanup_free_ char *copy = strdup(def && *def ? def : "0");
        const struct boot_entry *cur = menu;
        char *save = NULL;

        *ret_fallback = false;
        if (!copy || !menu || menu->n_children == 0)
                return NULL;
        for (char *part = strtok_r(copy, ">", &save); part && cur; part = strtok_r(NULL, ">", &save))
                cur = cur->submenu ? find_child(cur, part) : NULL;
        if (!cur || cur == menu) {
                *ret_fallback = true;
                cur = menu->children[0];
        }
        return first_leaf(cur);
}

/* "(hd0,msdos1)/boot/vmlinuz" → "/boot/vmlinuz"; a /boot on its own partition is tried too. */
static char *squeeze_slashes(const char *path)
{
        char *s = strdup(path), *w = s;

        for (const char *r = path; s && *r; r++)
                if (*r != '/' || w == s || w[-1] != '/')
                        *w++ = *r;
        if (s)
                *w = '\0';
        return s;
}

char *grub_path_in_root(int root_fd, const char *path)
{
        _cleanup_free_ char *under_boot = NULL, *clean = NULL;
        const char *p = path;

        if (*p == '(') {
                const char *close = strchr(p, ')');
                if (!close)
                        return NULL;
                p = close + 1;
        }
        clean = squeeze_slashes(p);
        if (!clean)
                return NULL;
        p = clean;
        if (*p != '/')
                return strdup_printf("/%s", p);
        if (root_fd < 0 || root_stat(root_fd, p, &(struct stat){}) >= 0 || startswith(p, "/boot/"))
                return strdup(p);
        under_boot = strdup_printf("/boot%s", p);
        if (under_boot && root_stat(root_fd, under_boot, &(struct stat){}) >= 0)
                return TAKE_PTR(under_boot);
        return strdup(p);
}
