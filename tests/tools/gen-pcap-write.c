/* nvg-gen-pcap's link layer (Ethernet with VLAN tags, Linux SLL and SLL2, raw IP, BSD
 * loopback) and the classic pcap file around the frames. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gen-pcap.h"

size_t gen_frame(struct gen *g, const struct item *it, uint8_t *out)
{
    size_t n = 0;
    switch (g->link) {
    case LINKTYPE_ETHERNET: {
        memcpy(out, it->dmac, 6);
        memcpy(out + 6, it->smac, 6);
        n = 12;
        const struct host *t = it->tagged;
        if (t && t->ntags) {
            g->stats[ST_VLAN]++;
            if (t->ntags == 2) {
                put16(out + n, t->tpid);
                put16(out + n + 2, t->vlan[0]);
                n += 4;
            }
            put16(out + n, 0x8100);
            put16(out + n + 2, t->vlan[t->ntags - 1]);
            n += 4;
        }
        put16(out + n, it->ethertype);
        n += 2;
        break;
    }
    case LINKTYPE_LINUX_SLL:
        put16(out, it->outgoing ? 4 : 0);
        put16(out + 2, 1);
        put16(out + 4, 6);
        memcpy(out + 6, it->smac, 6);
        out[12] = out[13] = 0;
        put16(out + 14, it->ethertype);
        n = 16;
        break;
    case LINKTYPE_LINUX_SLL2:
        put16(out, it->ethertype);
        put16(out + 2, 0);
        put32(out + 4, 2); /* interface index */
        put16(out + 8, 1); /* ARPHRD_ETHER */
        out[10] = it->outgoing ? 4 : 0;
        out[11] = 6;
        memcpy(out + 12, it->smac, 6);
        out[18] = out[19] = 0;
        n = 20;
        break;
    case LINKTYPE_NULL: {
        static const uint32_t af6[] = {24, 28, 30};
        uint32_t af = it->ethertype == ET_IPV6 ? af6[it->data[39] % 3] : 2; /* AF_INET */
        memcpy(out, &af, 4); /* host byte order, like the file */
        n = 4;
        break;
    }
    default: /* LINKTYPE_RAW */
        break;
    }
    memcpy(out + n, it->data, it->len);
    n += it->len;
    if (g->link == LINKTYPE_ETHERNET && n < 60) {
        memset(out + n, 0, 60 - n);
        n = 60;
    }
    return n;
}

static int wflush(struct gen_writer *w)
{
    if (w->used && fwrite(w->buf, 1, w->used, w->fp) != w->used)
        return -1;
    w->used = 0;
    return 0;
}

uint8_t *gen_writer_reserve(struct gen_writer *w, size_t n)
{
    if (w->used + n > w->cap && wflush(w) < 0)
        return NULL;
    return w->buf + w->used;
}

int gen_writer_open(struct gen_writer *w, const char *path, bool nano, int link)
{
    *w = (struct gen_writer){.cap = 4u << 20, .nano = nano};
    w->buf = malloc(w->cap);
    if (!w->buf) {
        fprintf(stderr, "nvg-gen-pcap: out of memory\n");
        return -1;
    }
    w->fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!w->fp) {
        fprintf(stderr, "nvg-gen-pcap: %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* File header, host byte order: magic, version 2.4, thiszone, sigfigs, snaplen, link. */
    uint32_t magic = nano ? 0xa1b23c4du : 0xa1b2c3d4u, rest[4] = {0, 0, 65535, (uint32_t)link};
    uint16_t ver[2] = {2, 4};
    memcpy(w->buf, &magic, 4);
    memcpy(w->buf + 4, ver, 4);
    memcpy(w->buf + 8, rest, 16);
    w->used = 24;
    return 0;
}

void gen_writer_put(struct gen_writer *w, uint8_t *rec, uint64_t t_ns, uint32_t len)
{
    uint32_t rh[4] = {(uint32_t)(t_ns / 1000000000u),
                      (uint32_t)(t_ns % 1000000000u / (w->nano ? 1 : 1000)), len, len};
    memcpy(rec, rh, 16);
    w->used += 16 + len;
}

int gen_writer_close(struct gen_writer *w, const char *path)
{
    int rc = 0;
    if (wflush(w) < 0 || fflush(w->fp) != 0 || ferror(w->fp)) {
        fprintf(stderr, "nvg-gen-pcap: %s: write failed: %s\n", path, strerror(errno));
        rc = 1;
    }
    if (w->fp != stdout && fclose(w->fp) != 0 && rc == 0) {
        fprintf(stderr, "nvg-gen-pcap: %s: %s\n", path, strerror(errno));
        rc = 1;
    }
    free(w->buf);
    return rc;
}
