/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report.h"
#include "strv.h"
#include "utf8.h"
#include "util.h"

struct fact {
        const char *key;
        char *val; /* NULL: unknown */
};

enum {
        F_GUEST_TYPE, F_GUEST_TYPE_SOURCE, F_RUNNING_RELEASE, F_ARCH, F_OS_ID, F_OS_VERSION_ID, F_OS_NAME,
        F_MENU_SOURCE, F_MENU_FILE, F_GRUB_DEFAULT, F_NEXT_ENTRY, F_NEXT_KERNEL, F_NEXT_RELEASE, F_NEXT_CMDLINE,
        F_NEXT_INITRD, F_KERNEL_FORMAT, F_KERNEL_COMPRESSION, F_KERNEL_VERSION_STRING, F_KERNEL_CONFIG,
        F_XEN_NOTES, F_UNREADABLE, _F_MAX,
};

static const char *const fact_keys[_F_MAX] = {
        "guest_type", "guest_type_source", "running_release", "arch", "os_id", "os_version_id", "os_name",
        "menu_source", "menu_file", "grub_default", "next_entry", "next_kernel", "next_release", "next_cmdline",
        "next_initrd", "kernel_format", "kernel_compression", "kernel_version_string", "kernel_config",
        "xen_notes", "unreadable",
};

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

/* The words of v joined by sep onto s (NULL: none yet); NULL when there are none, or on ENOMEM. */
static char *join(char *s, char *const *v, size_t n, const char *sep)
{
        for (size_t i = 0; i < n; i++) {
                char *j = s ? strdup_printf("%s%s%s", s, sep, v[i]) : strdup(v[i]);
                free(s);
                if (!j)
                        return NULL;
                s = j;
        }
        return s;
}

/* Every file the probe found but could not read, with why. */
static char *join_unreadable(const struct facts *f)
{
        char *s = join(NULL, f->nb.unreadable.v, f->nb.unreadable.n, "; ");

        if (!s && f->nb.unreadable.n > 0)
                return NULL;
        return join(s, f->unreadable.v, f->unreadable.n, "; ");
}

static char *notes_text(const struct facts *f)
{
        const struct xen_notes *n = &f->img.notes;
        char feat[32] = "none";

        if (f->kernel_error < 0 || (f->img.notes_error < 0 && f->img.notes_error != -ENODATA))
                return NULL;
        if (!n->xen)
                return strdup("none");
        if (n->has_features)
                snprintf(feat, sizeof(feat), "0x%08x", n->features);
        return strdup_printf("%s%s features=%s", n->elf64 ? "elf64" : "elf32", n->phys32_entry ? " phys32_entry" : "",
                             feat);
}

static void fill_image(const struct facts *f, struct fact *v)
{
        if (f->kernel_error < 0)
                return;
        v[F_KERNEL_FORMAT].val = strdup(kformat_name(f->img.format));
        if (f->img.format != KFORMAT_UNKNOWN)
                v[F_KERNEL_COMPRESSION].val = strdup(kcomp_name(f->img.comp));
        v[F_KERNEL_VERSION_STRING].val = f->img.version[0] ? strdup(f->img.version) : NULL;
        v[F_XEN_NOTES].val = notes_text(f);
}

static void fill(const struct facts *f, struct fact *v)
{
        for (size_t i = 0; i < _F_MAX; i++)
                v[i] = (struct fact){ .key = fact_keys[i] };
        v[F_GUEST_TYPE].val = strdup(f->guest_type ? f->guest_type : "PV");
        v[F_GUEST_TYPE_SOURCE].val = strdup(f->guest_type ? "/sys/hypervisor/guest_type" : "absent (kernel < 4.13)");
        v[F_RUNNING_RELEASE].val = dup_or_null(f->running_release);
        v[F_ARCH].val = dup_or_null(f->arch);
        v[F_OS_ID].val = dup_or_null(f->os_id);
        v[F_OS_VERSION_ID].val = dup_or_null(f->os_version_id);
        v[F_OS_NAME].val = dup_or_null(f->os_name);
        v[F_MENU_SOURCE].val = strdup(menu_source_name(f->nb.source));
        v[F_MENU_FILE].val = dup_or_null(f->nb.menu_file);
        v[F_GRUB_DEFAULT].val = dup_or_null(f->nb.default_value);
        v[F_NEXT_ENTRY].val = dup_or_null(f->nb.title);
        v[F_NEXT_KERNEL].val = dup_or_null(f->nb.kernel_path);
        v[F_NEXT_RELEASE].val = dup_or_null(f->next_release);
        v[F_NEXT_CMDLINE].val = dup_or_null(f->nb.args);
        v[F_NEXT_INITRD].val = join(NULL, f->nb.initrd_paths, f->nb.n_initrd, " ");
        v[F_KERNEL_CONFIG].val = dup_or_null(f->kcfg.path);
        v[F_UNREADABLE].val = join_unreadable(f);
        fill_image(f, v);
}

static void facts_free(struct fact *v)
{
        for (size_t i = 0; i < _F_MAX; i++)
                free(v[i].val);
}

/* Guest-controlled text on a terminal: control characters and bytes that are not UTF-8 escaped. */
static void text_string(FILE *out, const char *s)
{
        const unsigned char *p = (const unsigned char *)s;

        while (*p) {
                uint32_t cp;
                int r = utf8_next((const char *)p, strlen((const char *)p), &cp);
                size_t n = r > 0 ? (size_t)r : 0;

                if (*p < 0x20 || *p == 0x7F || n == 0) {
                        fprintf(out, "\\x%02x", *p);
                        n = 1;
                } else
                        fwrite(p, 1, n, out);
                p += n;
        }
}

int report_text(FILE *out, const struct facts *f, const struct check_result *res, enum proto_verdict v)
{
        struct fact facts[_F_MAX];

        for (size_t i = 0; i < _PROTO_CHECK_MAX; i++) {
                fprintf(out, "%-8s %-15s ", check_status_name(res[i].status), proto_check_to_string(res[i].id));
                text_string(out, res[i].reason ? res[i].reason : "");
                fputc('\n', out);
                if (res[i].fix && res[i].status != CHECK_PASS) {
                        fprintf(out, "%-8s %-15s fix: ", "", "");
                        text_string(out, res[i].fix);
                        fputc('\n', out);
                }
        }
        fill(f, facts);
        fprintf(out, "\nfacts:\n");
        for (size_t i = 0; i < _F_MAX; i++) {
                fprintf(out, "  %-22s ", facts[i].key);
                text_string(out, facts[i].val ? facts[i].val : "-");
                fputc('\n', out);
        }
        facts_free(facts);
        fprintf(out, "\nverdict: %s\n", proto_verdict_to_string(v));
        return ferror(out) ? -EIO : 0;
}

int report_json(FILE *out, const struct facts *f, const struct check_result *res, enum proto_verdict v)
{
        struct fact facts[_F_MAX];

        fprintf(out, "{\n  \"verdict\": \"%s\",\n  \"checks\": [\n", proto_verdict_to_string(v));
        for (size_t i = 0; i < _PROTO_CHECK_MAX; i++) {
                fprintf(out, "    {\"id\": \"%s\", \"status\": \"%s\", \"reason\": ", proto_check_to_string(res[i].id),
                        check_status_name(res[i].status));
                json_cstr(out, res[i].reason, 0, NULL);
                fputs(", \"fix\": ", out);
                json_cstr(out, res[i].status == CHECK_PASS ? NULL : res[i].fix, 0, NULL);
                fprintf(out, "}%s\n", i + 1 < _PROTO_CHECK_MAX ? "," : "");
        }
        fill(f, facts);
        fputs("  ],\n  \"facts\": {\n", out);
        for (size_t i = 0; i < _F_MAX; i++) {
                fprintf(out, "    \"%s\": ", facts[i].key);
                json_cstr(out, facts[i].val, 0, NULL);
                fprintf(out, "%s\n", i + 1 < _F_MAX ? "," : "");
        }
        facts_free(facts);
        fputs("  }\n}\n", out);
        return ferror(out) ? -EIO : 0;
}
