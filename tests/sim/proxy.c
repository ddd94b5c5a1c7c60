/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

#include "log.h"
#include "macro.h"
#include "proxy.h"
#include "util.h"

#define HDR_SIZE sizeof(struct xsd_sockmsg)
#define MSG_MAX (HDR_SIZE + XENSTORE_PAYLOAD_MAX)
#define CLIENT_OUT_MAX (4u << 20) /* a client this far behind is dropped */

struct buf {
        struct buf *next;
        size_t len;
        uint8_t data[];
};

struct bufq {
        struct buf *head, **tail;
        size_t off;   /* already sent from head */
        size_t bytes; /* queued in total */
};

/* A watch or a transaction a client holds, to undo on disconnect. */
struct held {
        struct held *next;
        uint32_t tx_id;
        char *path;
        char *token; /* as the client gave it */
};

struct client {
        struct proxy_watcher w;
        struct proxy_dom *dom;
        struct client *next;
        uint32_t id;
        uint8_t in[MSG_MAX];
        size_t in_len;
        struct bufq out;
        struct held *watches;
        struct held *txs;
};

/* A request on the ring, until its answer comes back. */
struct pending {
        struct pending *next;
        uint32_t req_id;       /* ours, on the ring */
        uint32_t client_req_id;
        uint32_t type;
        uint32_t tx_id;
        struct client *client; /* NULL: the client is gone, or the request is ours */
        uint32_t client_id;
        char *path, *token;    /* XS_WATCH / XS_UNWATCH */
};

struct proxy_dom {
        struct simcore_host *host;
        int epfd;
        unsigned domid;
        struct xenstore_domain_interface *intf;
        struct proxy_watcher evtchn;
        struct proxy_watcher listener;
        struct simcore_addr peer;
        bool have_peer;
        char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
        struct bufq to_ring;
        uint8_t in[MSG_MAX];
        size_t in_len;
        struct pending *pending;
        struct client *clients;
        uint32_t next_req_id;
        uint32_t next_client_id;
        bool broken;
};

static void bufq_init(struct bufq *q)
{
        q->head = NULL;
        q->tail = &q->head;
        q->off = q->bytes = 0;
}

static void bufq_clear(struct bufq *q)
{
        while (q->head) {
                struct buf *b = q->head;

                q->head = b->next;
                free(b);
        }
        bufq_init(q);
}

static int bufq_push_msg(struct bufq *q, const struct xsd_sockmsg *hdr, const void *payload)
{
        struct buf *b = malloc(sizeof(*b) + HDR_SIZE + hdr->len);

        if (!b)
                return -ENOMEM;
        b->next = NULL;
        b->len = HDR_SIZE + hdr->len;
        memcpy(b->data, hdr, HDR_SIZE);
        if (hdr->len)
                memcpy(b->data + HDR_SIZE, payload, hdr->len);
        *q->tail = b;
        q->tail = &b->next;
        q->bytes += b->len;
        return 0;
}

static void bufq_consume(struct bufq *q, size_t n)
{
        q->off += n;
        q->bytes -= n;
        if (q->off < q->head->len)
                return;
        struct buf *b = q->head;
        q->head = b->next;
        if (!q->head)
                q->tail = &q->head;
        q->off = 0;
        free(b);
}

static void held_free(struct held *h)
{
        free(h->path);
        free(h->token);
        free(h);
}

static void held_free_all(struct held *h)
{
        while (h) {
                struct held *n = h->next;

                held_free(h);
                h = n;
        }
}

static void pending_free(struct pending *p)
{
        free(p->path);
        free(p->token);
        free(p);
}

/* ---- the ring ---- */

static void dom_notify(struct proxy_dom *d)
{
        if (d->have_peer)
                (void)simcore_evtchn_send(d->evtchn.fd, &d->peer, SIMCORE_EV_NOTIFY, d->domid,
                                          SIMCORE_GUEST_PORT);
}

/* Copies queued requests into the request ring; returns whether anything moved. */
static int ring_put(struct proxy_dom *d)
{
        struct xenstore_domain_interface *intf = d->intf;
        bool moved = false;

        while (d->to_ring.head) {
                XENSTORE_RING_IDX cons, prod;
                size_t avail, n;

                /* Read both indexes once, then check them, before touching the data. */
                cons = __atomic_load_n(&intf->req_cons, __ATOMIC_RELAXED);
                prod = __atomic_load_n(&intf->req_prod, __ATOMIC_RELAXED);
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                if (prod - cons > XENSTORE_RING_SIZE)
                        return -EIO;
                avail = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod);
                if (avail > XENSTORE_RING_SIZE - (prod - cons))
                        avail = XENSTORE_RING_SIZE - (prod - cons);
                if (avail == 0)
                        break;
                n = d->to_ring.head->len - d->to_ring.off;
                if (n > avail)
                        n = avail;
                memcpy(intf->req + MASK_XENSTORE_IDX(prod), d->to_ring.head->data + d->to_ring.off, n);
                /* The data must be visible before the index that publishes it. */
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                __atomic_store_n(&intf->req_prod, prod + (XENSTORE_RING_IDX)n, __ATOMIC_RELAXED);
                bufq_consume(&d->to_ring, n);
                moved = true;
        }
        return moved;
}

static void dom_handle_msg(struct proxy_dom *d);

/* Takes answers out of the response ring, one message at a time. */
static int ring_get(struct proxy_dom *d)
{
        struct xenstore_domain_interface *intf = d->intf;
        bool moved = false;

        for (;;) {
                XENSTORE_RING_IDX cons, prod;
                size_t avail, want, n;
                const struct xsd_sockmsg *hdr = (const void *)d->in;

                cons = __atomic_load_n(&intf->rsp_cons, __ATOMIC_RELAXED);
                prod = __atomic_load_n(&intf->rsp_prod, __ATOMIC_RELAXED);
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                if (prod - cons > XENSTORE_RING_SIZE)
                        return -EIO;
                if (prod == cons)
                        return moved;
                avail = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons);
                if (avail > prod - cons)
                        avail = prod - cons;
                want = d->in_len < HDR_SIZE ? HDR_SIZE - d->in_len
                                            : HDR_SIZE + hdr->len - d->in_len;
                n = avail < want ? avail : want;
                memcpy(d->in + d->in_len, intf->rsp + MASK_XENSTORE_IDX(cons), n);
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
                __atomic_store_n(&intf->rsp_cons, cons + (XENSTORE_RING_IDX)n, __ATOMIC_RELAXED);
                d->in_len += n;
                moved = true;
                if (d->in_len == HDR_SIZE && hdr->len > XENSTORE_PAYLOAD_MAX)
                        return -EIO;
                if (d->in_len >= HDR_SIZE && d->in_len == HDR_SIZE + hdr->len) {
                        dom_handle_msg(d);
                        d->in_len = 0;
                }
        }
}

static void dom_pump(struct proxy_dom *d)
{
        int got, put;

        if (d->broken)
                return;
        do {
                got = ring_get(d);
                put = got < 0 ? 0 : ring_put(d);
                if (got < 0 || put < 0) {
                        log_error("dom%u: ring indexes are corrupt, stopping the ring", d->domid);
                        d->broken = true;
                        return;
                }
                if (got || put)
                        dom_notify(d);
        } while (got || put);
}

static void dom_on_event(const struct simcore_event *ev, void *userdata)
{
        struct proxy_dom *d = userdata;

        if (ev->kind != SIMCORE_EV_BIND && ev->kind != SIMCORE_EV_NOTIFY)
                return;
        /* Whoever is bound to our port is where our notifications go. */
        simcore_port_addr(d->host, ev->src_dom, ev->src_port, &d->peer);
        d->have_peer = true;
}

static void dom_evtchn_handler(struct proxy_watcher *w, uint32_t events)
{
        struct proxy_dom *d = (struct proxy_dom *)((char *)w - offsetof(struct proxy_dom, evtchn));

        /* Drain every notification before looking at the rings: none is lost. */
        (void)simcore_evtchn_drain(w->fd, dom_on_event, d);
        dom_pump(d);
}

/* ---- requests from clients ---- */

static int send_to_ring(struct proxy_dom *d, struct pending *p, uint32_t type, uint32_t tx_id,
                        const void *payload, size_t len)
{
        struct xsd_sockmsg hdr = { .type = type, .tx_id = tx_id, .len = (uint32_t)len };
        int r;

        if (len > XENSTORE_PAYLOAD_MAX)
                return -E2BIG;
        do
                p->req_id = ++d->next_req_id;
        while (p->req_id == 0);
        hdr.req_id = p->req_id;
        p->type = type;
        p->tx_id = tx_id;
        r = bufq_push_msg(&d->to_ring, &hdr, payload);
        if (r < 0)
                return r;
        p->next = d->pending;
        d->pending = p;
        return 0;
}

/* Our own requests (cleanup after a client): answers are dropped. */
static void send_own(struct proxy_dom *d, uint32_t type, uint32_t tx_id, const char *path,
                     const char *token)
{
        struct pending *p = calloc(1, sizeof(*p));
        char buf[XENSTORE_PAYLOAD_MAX];
        size_t len = 0;
        int n;

        if (!p)
                return;
        if (path) {
                n = snprintf(buf, sizeof(buf), "%s%c%s", path, 0, token);
                len = n > 0 && (size_t)n < sizeof(buf) ? (size_t)n + 1 : 0;
        } else {
                memcpy(buf, "F", 2);
                len = 2;
        }
        if (len == 0 || send_to_ring(d, p, type, tx_id, buf, len) < 0)
                pending_free(p);
}

static void client_write(struct client *c);

static void client_reply(struct client *c, const struct xsd_sockmsg *hdr, const void *payload)
{
        if (c->out.bytes > CLIENT_OUT_MAX) {
                log_warning("dom%u: client %u does not read its answers, dropping it",
                            c->dom->domid, c->id);
                shutdown(c->w.fd, SHUT_RDWR);
                return;
        }
        if (bufq_push_msg(&c->out, hdr, payload) < 0)
                return;
        client_write(c);
}

static void client_error(struct client *c, const struct xsd_sockmsg *req, const char *err)
{
        struct xsd_sockmsg hdr = {
                .type = XS_ERROR,
                .req_id = req->req_id,
                .tx_id = req->tx_id,
                .len = (uint32_t)strlen(err) + 1,
        };

        client_reply(c, &hdr, err);
}

static struct held *held_find_tx(struct held *list, uint32_t tx_id)
{
        for (; list; list = list->next)
                if (list->tx_id == tx_id)
                        return list;
        return NULL;
}

/* "path\0token\0": exactly two strings. */
static int split_watch(const uint8_t *payload, size_t len, const char **path, const char **token)
{
        const char *p = (const char *)payload;
        size_t l1;

        if (len < 4 || payload[len - 1] != 0)
                return -EINVAL;
        l1 = strnlen(p, len);
        if (l1 + 1 >= len || strlen(p + l1 + 1) + l1 + 2 != len)
                return -EINVAL;
        *path = p;
        *token = p + l1 + 1;
        return 0;
}

static int client_forward_watch(struct client *c, const struct xsd_sockmsg *hdr,
                                const uint8_t *payload, struct pending *p)
{
        char buf[XENSTORE_PAYLOAD_MAX + 1];
        const char *path, *token;
        int n;

        if (split_watch(payload, hdr->len, &path, &token) < 0)
                return -EINVAL;
        p->path = strdup(path);
        p->token = strdup(token);
        if (!p->path || !p->token)
                return -ENOMEM;
        n = snprintf(buf, sizeof(buf), "%s%c%x:%s", path, 0, c->id, token);
        if (n < 0 || (size_t)n + 1 > XENSTORE_PAYLOAD_MAX)
                return -E2BIG;
        return send_to_ring(c->dom, p, hdr->type, hdr->tx_id, buf, (size_t)n + 1);
}

static const char *client_check(struct client *c, const struct xsd_sockmsg *hdr)
{
        if (hdr->type == XS_WATCH_EVENT || hdr->type == XS_ERROR || hdr->type >= XS_TYPE_COUNT)
                return "EINVAL";
        /* A client may use only its own transactions (xenstored would say ENOENT too). */
        if (hdr->tx_id && !held_find_tx(c->txs, hdr->tx_id))
                return "ENOENT";
        return NULL;
}

static void client_request(struct client *c)
{
        const struct xsd_sockmsg *hdr = (const void *)c->in;
        const uint8_t *payload = c->in + HDR_SIZE;
        struct pending *p;
        const char *err;
        int r;

        err = client_check(c, hdr);
        if (err)
                return client_error(c, hdr, err);
        p = calloc(1, sizeof(*p));
        if (!p)
                return client_error(c, hdr, "ENOMEM");
        p->client = c;
        p->client_id = c->id;
        p->client_req_id = hdr->req_id;
        if (hdr->type == XS_WATCH || hdr->type == XS_UNWATCH)
                r = client_forward_watch(c, hdr, payload, p);
        else
                r = send_to_ring(c->dom, p, hdr->type, hdr->tx_id, payload, hdr->len);
        if (r < 0) {
                pending_free(p);
                return client_error(c, hdr, r == -E2BIG ? "E2BIG" : "EINVAL");
        }
        dom_pump(c->dom);
}

/* ---- answers from xenstored ---- */

static struct client *dom_find_client(struct proxy_dom *d, uint32_t id)
{
        for (struct client *c = d->clients; c; c = c->next)
                if (c->id == id)
                        return c;
        return NULL;
}

static void dom_watch_event(struct proxy_dom *d, const struct xsd_sockmsg *hdr, uint8_t *payload)
{
        char out[XENSTORE_PAYLOAD_MAX];
        const char *path, *token;
        struct xsd_sockmsg h = *hdr;
        struct client *c;
        unsigned long id;
        char *end;
        size_t lp;

        if (split_watch(payload, hdr->len, &path, &token) < 0)
                return;
        id = strtoul(token, &end, 16);
        if (end == token || *end != ':')
                return;
        c = dom_find_client(d, (uint32_t)id);
        if (!c)
                return; /* its owner is gone; the watch is being removed */
        lp = strlen(path) + 1;
        memcpy(out, path, lp);
        memcpy(out + lp, end + 1, strlen(end + 1) + 1);
        h.len = (uint32_t)(lp + strlen(end + 1) + 1);
        client_reply(c, &h, out);
}

static struct pending *dom_take_pending(struct proxy_dom *d, uint32_t req_id)
{
        for (struct pending **pp = &d->pending; *pp; pp = &(*pp)->next) {
                struct pending *p = *pp;

                if (p->req_id == req_id) {
                        *pp = p->next;
                        return p;
                }
        }
        return NULL;
}

static void held_remove(struct held **list, struct held *h)
{
        for (struct held **pp = list; *pp; pp = &(*pp)->next)
                if (*pp == h) {
                        *pp = h->next;
                        held_free(h);
                        return;
                }
}

static struct held *held_find_watch(struct held *list, const char *path, const char *token)
{
        for (; list; list = list->next)
                if (streq(list->path, path) && streq(list->token, token))
                        return list;
        return NULL;
}

static void held_add(struct held **list, uint32_t tx_id, struct pending *p)
{
        struct held *h = calloc(1, sizeof(*h));

        if (!h)
                return;
        h->tx_id = tx_id;
        h->path = TAKE_PTR(p->path);
        h->token = TAKE_PTR(p->token);
        h->next = *list;
        *list = h;
}

static void unwatch_prefixed(struct proxy_dom *d, uint32_t client_id, const char *path,
                             const char *token)
{
        char prefixed[XENSTORE_PAYLOAD_MAX];

        snprintf(prefixed, sizeof(prefixed), "%x:%s", client_id, token);
        send_own(d, XS_UNWATCH, 0, path, prefixed);
}

/* The client left while this was on its way: undo what the request achieved. */
static void track_orphan(struct proxy_dom *d, struct pending *p, bool ok, uint32_t tx)
{
        if (p->type == XS_WATCH && ok)
                unwatch_prefixed(d, p->client_id, p->path, p->token);
        else if (p->type == XS_TRANSACTION_START && tx)
                send_own(d, XS_TRANSACTION_END, tx, NULL, NULL);
}

/* Keeps the client's watches and transactions in step with what xenstored accepted. */
static void track_answer(struct proxy_dom *d, struct pending *p, const struct xsd_sockmsg *hdr,
                         const uint8_t *payload)
{
        struct client *c = p->client;
        bool ok = hdr->type != XS_ERROR;
        uint32_t tx = 0;

        if (p->type == XS_TRANSACTION_START && ok && hdr->len > 0 && payload[hdr->len - 1] == 0)
                tx = (uint32_t)strtoul((const char *)payload, NULL, 10);
        if (!c)
                return track_orphan(d, p, ok, tx);
        if (p->type == XS_WATCH && ok)
                held_add(&c->watches, 0, p);
        else if (p->type == XS_UNWATCH && ok)
                held_remove(&c->watches, held_find_watch(c->watches, p->path, p->token));
        else if (p->type == XS_TRANSACTION_START && tx)
                held_add(&c->txs, tx, p);
        else if (p->type == XS_TRANSACTION_END)
                held_remove(&c->txs, held_find_tx(c->txs, p->tx_id));
}

static void dom_handle_msg(struct proxy_dom *d)
{
        struct xsd_sockmsg hdr = *(const struct xsd_sockmsg *)d->in;
        uint8_t *payload = d->in + HDR_SIZE;
        struct pending *p;

        if (hdr.type == XS_WATCH_EVENT)
                return dom_watch_event(d, &hdr, payload);
        p = dom_take_pending(d, hdr.req_id);
        if (!p) {
                log_warning("dom%u: answer to unknown request %u dropped", d->domid, hdr.req_id);
                return;
        }
        track_answer(d, p, &hdr, payload);
        if (p->client) {
                hdr.req_id = p->client_req_id;
                client_reply(p->client, &hdr, payload);
        }
        pending_free(p);
}

/* ---- clients ---- */

static void client_free(struct client *c);

static void client_write(struct client *c)
{
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c->w };

        while (c->out.head) {
                ssize_t n = send(c->w.fd, c->out.head->data + c->out.off,
                                 c->out.head->len - c->out.off, MSG_DONTWAIT | MSG_NOSIGNAL);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        break;
                if (n < 0) {
                        /* Reading will see the hang-up and clean up. */
                        bufq_clear(&c->out);
                        break;
                }
                bufq_consume(&c->out, (size_t)n);
        }
        if (c->out.head)
                ev.events |= EPOLLOUT;
        (void)epoll_ctl(c->dom->epfd, EPOLL_CTL_MOD, c->w.fd, &ev);
}

/* Returns > 0 while the client is alive, 0 at end of stream, -errno on a fault. */
static int client_read(struct client *c)
{
        const struct xsd_sockmsg *hdr = (const void *)c->in;
        size_t want;
        ssize_t n;

        want = c->in_len < HDR_SIZE ? HDR_SIZE - c->in_len : HDR_SIZE + hdr->len - c->in_len;
        n = recv(c->w.fd, c->in + c->in_len, want, MSG_DONTWAIT);
        if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 1 : -errno;
        if (n == 0)
                return 0;
        c->in_len += (size_t)n;
        if (c->in_len == HDR_SIZE && hdr->len > XENSTORE_PAYLOAD_MAX)
                return -E2BIG; /* like xenstored: an oversized message ends the connection */
        if (c->in_len >= HDR_SIZE && c->in_len == HDR_SIZE + hdr->len) {
                client_request(c);
                c->in_len = 0;
        }
        return (size_t)n == want ? 2 : 1;
}

static void client_handler(struct proxy_watcher *w, uint32_t events)
{
        struct client *c = (struct client *)((char *)w - offsetof(struct client, w));
        int r = 1;

        if (events & EPOLLOUT)
                client_write(c);
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                /* Bounded, so one busy client cannot starve the others. */
                for (int i = 0; i < 64; i++) {
                        r = client_read(c);
                        if (r != 2)
                                break;
                }
        }
        if (r <= 0) {
                if (r < 0)
                        log_debug_errno(r, "dom%u: client %u: %m", c->dom->domid, c->id);
                client_free(c);
        }
}

/* Like xenbus_dev_frontend's release: unwatch and abort what the client left. */
static void client_free(struct client *c)
{
        struct proxy_dom *d = c->dom;

        for (struct client **pp = &d->clients; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        for (struct pending *p = d->pending; p; p = p->next)
                if (p->client == c)
                        p->client = NULL;
        for (struct held *h = c->watches; h; h = h->next)
                unwatch_prefixed(d, c->id, h->path, h->token);
        for (struct held *h = c->txs; h; h = h->next)
                send_own(d, XS_TRANSACTION_END, h->tx_id, NULL, NULL);
        held_free_all(c->watches);
        held_free_all(c->txs);
        bufq_clear(&c->out);
        close(c->w.fd);
        free(c);
        dom_pump(d);
}

static void listener_handler(struct proxy_watcher *w, uint32_t events)
{
        struct proxy_dom *d = (struct proxy_dom *)((char *)w - offsetof(struct proxy_dom, listener));
        struct epoll_event ev = { .events = EPOLLIN };
        struct client *c;
        int fd;

        fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
                return;
        c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return;
        }
        c->w = (struct proxy_watcher){ .fd = fd, .handler = client_handler };
        c->dom = d;
        c->id = ++d->next_client_id;
        bufq_init(&c->out);
        ev.data.ptr = &c->w;
        if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                close(fd);
                free(c);
                return;
        }
        c->next = d->clients;
        d->clients = c;
}

unsigned proxy_dom_nclients(const struct proxy_dom *d)
{
        unsigned n = 0;

        for (const struct client *c = d->clients; c; c = c->next)
                n++;
        return n;
}

/* ---- the domain ---- */

static int watcher_add(int epfd, struct proxy_watcher *w)
{
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

        if (epoll_ctl(epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
                return -errno;
        return 0;
}

int proxy_dom_new(struct simcore_host *host, int epfd, unsigned domid, struct proxy_dom **ret)
{
        struct proxy_dom *d;
        struct simcore_addr a;
        void *ring;
        int r;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->host = host;
        d->epfd = epfd;
        d->domid = domid;
        d->evtchn.fd = d->listener.fd = -1;
        bufq_init(&d->to_ring);
        r = simcore_ring_create(host, domid);
        if (r >= 0)
                r = simcore_ring_map(host, domid, &ring);
        if (r < 0)
                goto fail;
        d->intf = ring;
        simcore_port_addr(host, domid, SIMCORE_GUEST_PORT, &a);
        d->evtchn = (struct proxy_watcher){ .fd = simcore_evtchn_bind(&a), .handler = dom_evtchn_handler };
        if (d->evtchn.fd < 0) {
                r = d->evtchn.fd;
                goto fail;
        }
        r = watcher_add(epfd, &d->evtchn);
        if (r < 0)
                goto fail;
        *ret = d;
        return 0;
fail:
        proxy_dom_free(d);
        return r;
}

static int listen_unix(const char *path)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sun.sun_path))
                return -ENAMETOOLONG;
        strcpy(sun.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void)unlink(path);
        if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 128) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* xenstored bound its end while handling XS_INTRODUCE: learn its port now. */
static void dom_learn_peer(struct proxy_dom *d)
{
        (void)simcore_evtchn_drain(d->evtchn.fd, dom_on_event, d);
        if (!d->have_peer)
                log_warning("dom%u: no event channel peer yet", d->domid);
}

int proxy_dom_start(struct proxy_dom *d)
{
        char path[4096];
        int r;

        dom_learn_peer(d);
        r = simcore_path(d->host, path, sizeof(path), "guest/%u.sock", d->domid);
        if (r < 0)
                return r;
        if (strlen(path) >= sizeof(d->sock_path))
                return -ENAMETOOLONG;
        d->listener = (struct proxy_watcher){ .fd = listen_unix(path), .handler = listener_handler };
        if (d->listener.fd < 0)
                return d->listener.fd;
        strcpy(d->sock_path, path);
        return watcher_add(d->epfd, &d->listener);
}

/* Forgets every client and request: the store that knew them is gone. */
static void dom_drop_all(struct proxy_dom *d)
{
        while (d->clients) {
                struct client *c = d->clients;

                d->clients = c->next;
                held_free_all(c->watches);
                held_free_all(c->txs);
                bufq_clear(&c->out);
                close(c->w.fd); /* the client reads end of file, as from a reset xenbus */
                free(c);
        }
        while (d->pending) {
                struct pending *p = d->pending;

                d->pending = p->next;
                pending_free(p);
        }
        bufq_clear(&d->to_ring);
        d->in_len = 0;
}

void proxy_dom_reset(struct proxy_dom *d)
{
        dom_drop_all(d);
        /* Nobody is served until the domain is introduced again; connects wait in the backlog. */
        if (d->listener.fd >= 0)
                (void)epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->listener.fd, NULL);
        /* Stale notifications from the old xenstored must not name our peer. */
        (void)simcore_evtchn_drain(d->evtchn.fd, NULL, NULL);
        d->have_peer = false;
        d->broken = false;
        /* A fresh page, as a new XS_INTRODUCE expects: indexes 0, no features, connected. */
        memset(d->intf, 0, SIMCORE_PAGE_SIZE);
}

int proxy_dom_resume(struct proxy_dom *d)
{
        int r;

        dom_learn_peer(d);
        if (d->listener.fd >= 0) {
                r = watcher_add(d->epfd, &d->listener);
                if (r < 0)
                        return r;
        }
        dom_pump(d);
        return 0;
}

void proxy_dom_free(struct proxy_dom *d)
{
        if (!d)
                return;
        dom_drop_all(d);
        if (d->listener.fd >= 0)
                close(d->listener.fd);
        if (d->sock_path[0])
                (void)unlink(d->sock_path);
        if (d->evtchn.fd >= 0)
                close(d->evtchn.fd);
        if (d->intf)
                munmap(d->intf, SIMCORE_PAGE_SIZE);
        (void)simcore_ring_remove(d->host, d->domid);
        free(d);
}
