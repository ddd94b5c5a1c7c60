/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "log.h"
#include "macro.h"
#include "util.h"

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct httpd {
        struct MHD_Daemon *mhd;
        httpd_render_fn render;
        void *userdata;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, void *body, size_t len,
                             enum MHD_ResponseMemoryMode mode, const char *type)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
        enum MHD_Result r;

        if (!resp) {
                if (mode == MHD_RESPMEM_MUST_FREE)
                        free(body);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        r = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return r;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
        return reply(c, status, (void *)text, strlen(text), MHD_RESPMEM_PERSISTENT, "text/plain");
}

static enum MHD_Result reply_metrics(struct httpd *h, struct MHD_Connection *c)
{
        char *body = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&body, &len);
        int r;

        if (!m)
                return MHD_NO;
        r = h->render(m, h->userdata);
        if (fclose(m) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(body);
                return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics unavailable\n");
        }
        return reply(c, MHD_HTTP_OK, body, len, MHD_RESPMEM_MUST_FREE, METRICS_TYPE);
}

/*
 * libmicrohttpd calls this once when the headers are in, then for each part
 * of a body, then once more at the end. Answering at the first call makes it
 * close the connection after the answer (it cannot know what follows), so
 * GET and HEAD are answered at the last call: a keep-alive connection then
 * stays open and pipelined requests after it are answered too.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **con_cls)
{
        struct httpd *h = cls;
        bool get = streq(method, MHD_HTTP_METHOD_GET) || streq(method, MHD_HTTP_METHOD_HEAD);

        if (!*con_cls) {
                *con_cls = h; /* headers seen; nothing to free at the end */
                /* Other methods are refused at once, and their bodies never read. */
                return get ? MHD_YES : reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only\n");
        }
        /* A GET with a body is no request of ours: the connection is dropped. */
        if (*data_size > 0)
                return MHD_NO;
        if (!streq(url, "/metrics"))
                return reply_text(c, MHD_HTTP_NOT_FOUND, "see /metrics\n");
        return reply_metrics(h, c);
}

/* Clients that go away, time out or get refused are routine: their messages are debug. */
_printf_(2, 0) static void on_log(void *cls, const char *fmt, va_list ap)
{
        char buf[512];

        if (log_get_max_level() < LOG_DEBUG)
                return;
        vsnprintf(buf, sizeof(buf), fmt, ap);
        buf[strcspn(buf, "\n")] = 0;
        log_debug("libmicrohttpd: %s", buf);
}

int httpd_start(const struct sockaddr_in *listen, httpd_render_fn render, void *userdata,
                struct httpd **ret)
{
        struct httpd *h = calloc(1, sizeof(*h));

        if (!h)
                return -ENOMEM;
        *h = (struct httpd){ .render = render, .userdata = userdata };
        h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
                                  MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)listen,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_TIMEOUT_S,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_CONNECTIONS_MAX,
                                  MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                  (unsigned)HTTPD_CONNECTIONS_PER_IP,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL, MHD_OPTION_END);
        if (!h->mhd) {
                free(h);
                return -EADDRNOTAVAIL;
        }
        *ret = h;
        return 0;
}

struct httpd *httpd_stop(struct httpd *h)
{
        if (!h)
                return NULL;
        MHD_stop_daemon(h->mhd);
        free(h);
        return NULL;
}

unsigned httpd_port(struct httpd *h)
{
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);

        return info ? info->port : 0;
}

int httpd_fd(struct httpd *h)
{
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);

        return info ? info->epoll_fd : -EIO;
}

unsigned httpd_connections(struct httpd *h)
{
        const union MHD_DaemonInfo *info =
                MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

        return info ? info->num_connections : 0;
}

int httpd_run(struct httpd *h)
{
        unsigned before, after = httpd_connections(h);

        /*
         * At its connection limit libmicrohttpd takes the listening socket out
         * of its epoll set, and puts it back only at the start of a later run,
         * when it has room again. A run that closes connections must therefore
         * be followed by another: after the last connection of a full house
         * closes, nothing else would wake us for the clients waiting in the
         * backlog (MHD_get_timeout() does not ask for it), and serve would
         * never accept again. Its own polling thread runs again after every
         * cleanup in the same way.
         */
        do {
                before = after;
                if (MHD_run(h->mhd) != MHD_YES)
                        return -EIO;
                after = httpd_connections(h);
        } while (after < before);
        return 0;
}

int httpd_timeout(struct httpd *h, uint64_t *ret_usec)
{
        MHD_UNSIGNED_LONG_LONG ms;

        if (MHD_get_timeout(h->mhd, &ms) != MHD_YES)
                return 0;
        *ret_usec = (uint64_t)ms * 1000;
        return 1;
}
