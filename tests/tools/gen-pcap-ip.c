/* nvg-gen-pcap's network layer: IPv4 and IPv6 headers (with options and extension headers),
 * checksums, fragment trains, and the items queued for the link layer. */
#include <string.h>

#include "gen-pcap.h"

/* Ones' complement sum of big-endian 16-bit words, not yet folded. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
    while (len >= 2) {
        sum += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    if (len)
        sum += (uint32_t)(p[0] << 8);
    return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

struct item *gen_push_item(struct gen *g, const struct host *from, const struct host *to,
                           uint16_t ethertype)
{
    struct item *it = &g->q[(g->qhead + g->qlen) % QUEUE_MAX];
    g->qlen++;
    it->ethertype = ethertype;
    memcpy(it->smac, from->mac, 6);
    memcpy(it->dmac, to->mac, 6);
    bool from_int = from - g->hosts < NINTERNAL, to_int = to - g->hosts < NINTERNAL;
    it->tagged = from_int ? from : (to_int ? to : NULL);
    it->outgoing = from_int;
    it->len = 0;
    return it;
}

/* Fills a transport checksum at l4[off] over the pseudo-header and the whole segment. */
void gen_l4_checksum(uint8_t *l4, size_t len, size_t off, bool v6, const uint8_t *src,
                     const uint8_t *dst, uint8_t proto, bool pseudo)
{
    uint64_t sum = 0;
    put16(l4 + off, 0);
    if (pseudo) {
        sum = csum_add(sum, src, v6 ? 16 : 4);
        sum = csum_add(sum, dst, v6 ? 16 : 4);
        sum += proto;
        sum += (uint32_t)len;
    }
    sum = csum_add(sum, l4, len);
    uint16_t c = csum_fold(sum);
    if (c == 0 && proto == 17)
        c = 0xffff;
    put16(l4 + off, c);
}

size_t gen_ip4_header(uint8_t *p, const struct host *s, const struct host *d, uint8_t proto,
                      size_t paylen, uint16_t id, uint16_t frag, bool opts)
{
    size_t hl = opts ? 24 : 20;
    p[0] = (uint8_t)(0x40 | hl / 4);
    p[1] = 0;
    put16(p + 2, (uint16_t)(hl + paylen));
    put16(p + 4, id);
    put16(p + 6, frag);
    p[8] = s->ttl;
    p[9] = proto;
    put16(p + 10, 0);
    memcpy(p + 12, s->v4, 4);
    memcpy(p + 16, d->v4, 4);
    if (opts) { /* router alert (RFC 2113) */
        p[20] = 0x94, p[21] = 4, p[22] = 0, p[23] = 0;
    }
    put16(p + 10, csum_fold(csum_add(0, p, hl)));
    return hl;
}

size_t gen_ip6_header(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t nh, size_t paylen,
                      uint8_t hlim, uint32_t label)
{
    put32(p, 0x60000000u | (label & 0xfffff));
    put16(p + 4, (uint16_t)paylen);
    p[6] = nh;
    p[7] = hlim;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
    return 40;
}

/* Writes the extension headers chosen by mask (in RFC 8200 order) ending in `last`; returns
 * their length and sets *first to the next-header value for the IPv6 header. */
static size_t ip6_exts(struct gen *g, uint8_t *p, unsigned mask, uint8_t last, uint8_t *first,
                       const uint8_t *dst)
{
    static const uint8_t order[] = {EXT_HBH, EXT_DST, EXT_RH, EXT_AH};
    static const uint8_t nhval[] = {0, 60, 43, 51};
    size_t n = 0;
    uint8_t *prev_nh = first;
    for (int i = 0; i < 4; i++) {
        if (!(mask & order[i]))
            continue;
        *prev_nh = nhval[i];
        uint8_t *h = p + n;
        prev_nh = h;
        switch (order[i]) {
        case EXT_HBH: /* router alert + PadN */
            memcpy(h, (const uint8_t[]){0, 0, 5, 2, 0, 0, 1, 0}, 8);
            n += 8;
            break;
        case EXT_DST: /* PadN only */
            memcpy(h, (const uint8_t[]){0, 0, 1, 4, 0, 0, 0, 0}, 8);
            n += 8;
            break;
        case EXT_RH: /* segment routing header, segments left 0, one segment = dst */
            memcpy(h, (const uint8_t[]){0, 2, 4, 0, 0, 0, 0, 0}, 8);
            memcpy(h + 8, dst, 16);
            n += 24;
            break;
        case EXT_AH: /* AH with a 96-bit ICV: 24 bytes, length field 24/4 - 2 */
            h[1] = 4, h[2] = 0, h[3] = 0;
            put32(h + 4, 0x1000 + below(&g->r, 16));
            put32(h + 8, (uint32_t)rnd(&g->r) & 0xffffff);
            memcpy(h + 12, g->pool + below(&g->r, POOL_SIZE), 12);
            n += 24;
            break;
        }
    }
    *prev_nh = last;
    return n;
}

/* Turns the transport segment in g->l4 into one IP packet (or a train of fragments). */
void gen_emit_ip(struct gen *g, const struct flow *f, int dir, uint8_t proto, size_t l4len,
                 bool fragment)
{
    const struct host *s = &g->hosts[dir ? f->srv : f->cli];
    const struct host *d = &g->hosts[dir ? f->cli : f->srv];
    bool v6 = f->v6;
    size_t csum_off = proto == 6 ? 16 : proto == 17 ? 6 : 2;
    gen_l4_checksum(g->l4, l4len, csum_off, v6, v6 ? s->v6 : s->v4, v6 ? d->v6 : d->v4, proto,
                    proto != 1);
    uint16_t id = (uint16_t)(f->ipid[dir] + f->step);

    if (!fragment) {
        struct item *it = gen_push_item(g, s, d, v6 ? ET_IPV6 : ET_IPV4);
        size_t hl;
        if (v6) {
            uint8_t ext[64], first;
            size_t el = ip6_exts(g, ext, f->hbh, proto, &first, d->v6);
            hl = gen_ip6_header(it->data, s->v6, d->v6, first, el + l4len, s->ttl, f->sport);
            memcpy(it->data + hl, ext, el);
            hl += el;
        } else {
            hl = gen_ip4_header(it->data, s, d, proto, l4len, id, 0x4000, f->v4opt);
        }
        memcpy(it->data + hl, g->l4, l4len);
        it->len = (uint16_t)(hl + l4len);
        return;
    }

    /* A fragment train: every fragment but the last carries a multiple of 8 bytes. */
    size_t hl = v6 ? 48 : 20;
    size_t chunk = ((MAXFRAME - 14 - 8 - hl) / 8) * 8; /* room for two VLAN tags */
    uint32_t fid = ++g->frag_id;
    for (size_t off = 0; off < l4len; off += chunk) {
        size_t n = l4len - off < chunk ? l4len - off : chunk;
        bool more = off + n < l4len;
        struct item *it = gen_push_item(g, s, d, v6 ? ET_IPV6 : ET_IPV4);
        if (v6) {
            gen_ip6_header(it->data, s->v6, d->v6, 44, 8 + n, s->ttl, 0);
            uint8_t *fh = it->data + 40;
            fh[0] = proto, fh[1] = 0;
            put16(fh + 2, (uint16_t)((off / 8) << 3 | more));
            put32(fh + 4, fid);
        } else {
            gen_ip4_header(it->data, s, d, proto, n, (uint16_t)fid,
                           (uint16_t)((more ? 0x2000 : 0) | off / 8), false);
        }
        memcpy(it->data + hl, g->l4 + off, n);
        it->len = (uint16_t)(hl + n);
    }
}

/* Largest transport segment that still fits a 1514-byte Ethernet frame for this flow. */
size_t gen_l4_room(const struct gen *g, const struct flow *f, int dir)
{
    const struct host *s = &g->hosts[dir ? f->srv : f->cli];
    const struct host *d = &g->hosts[dir ? f->cli : f->srv];
    const struct host *t = s - g->hosts < NINTERNAL ? s : d;
    size_t room = MAXFRAME - 14 - 4u * (t - g->hosts < NINTERNAL ? t->ntags : 0);
    if (f->v6) {
        room -= 40;
        room -= (f->hbh & EXT_HBH ? 8 : 0) + (f->hbh & EXT_DST ? 8 : 0);
        room -= (f->hbh & EXT_RH ? 24 : 0) + (f->hbh & EXT_AH ? 24 : 0);
    } else {
        room -= f->v4opt ? 24 : 20;
    }
    return room;
}

const uint8_t *gen_payload(struct gen *g)
{
    return g->pool + below(&g->r, POOL_SIZE);
}
