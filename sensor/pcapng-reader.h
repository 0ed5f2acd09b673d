/* A pcapng reader of our own, for the files libpcap 1.10 refuses: interfaces of several link
 * types in one file (merged captures, "any"-style tools). libpcap stays the reader for every
 * other file (capture.c decides). Knows Section Header Blocks (either byte order, several
 * sections, each starting a new interface list), Interface Description Blocks (link type,
 * snap length, if_tsresol, if_tsoffset), Enhanced, Simple and obsolete Packet Blocks, and
 * skips every other block by its length.
 *
 * The file is untrusted: every length is checked before use, and any inconsistency ends the
 * read with the file name, the byte offset of the block and the reason. One buffer, grown to
 * the largest block seen (at most NVG_PCAPNG_MAX_BLOCK); nothing is allocated per packet. */
#ifndef NVG_PCAPNG_READER_H
#define NVG_PCAPNG_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define NVG_PCAPNG_MAGIC 0x0A0D0D0Au
/* Largest block taken: libpcap and Wireshark cap theirs near here, and no packet is this big. */
#define NVG_PCAPNG_MAX_BLOCK (16u * 1024 * 1024)
/* Interfaces per section: enough for any real capture, bounded against a hostile file. */
#define NVG_PCAPNG_MAX_IFACES 4096u
/* Distinct link types remembered for nvg_pcapng_link_types. */
#define NVG_PCAPNG_MAX_DLTS 16u

struct nvg_pcapng;

struct nvg_pcapng_frame {
    const uint8_t *data; /* valid until the next call */
    uint32_t caplen;
    uint32_t wirelen;
    int64_t ts_ns;     /* ns since the epoch; 0 for a Simple Packet Block (it has no time) */
    bool time_clamped; /* the stamp could not be represented (nvg_time_from_pcap) */
    int dlt;           /* libpcap's DLT_ value of the frame's interface */
    uint32_t iface;    /* interface index in its section */
};

/* Opens path (or takes fp, closed by nvg_pcapng_close or on failure; name is for messages)
 * and reads up to the first packet, so that the first interface's link type is known. NULL
 * with the reason in err (NVG_ERRBUF_SIZE bytes). */
struct nvg_pcapng *nvg_pcapng_open(const char *path, char *err);
struct nvg_pcapng *nvg_pcapng_open_stream(FILE *fp, const char *name, char *err);
void nvg_pcapng_close(struct nvg_pcapng *r);

/* The next frame: 1 with *f, 0 at the end of the file, NVG_EPCAP with the reason in err (a
 * cut-short or malformed file; every later call fails the same way). */
int nvg_pcapng_next(struct nvg_pcapng *r, struct nvg_pcapng_frame *f, char *err);

/* The link type of the first interface of the file (-1 when it has none). */
int nvg_pcapng_first_dlt(const struct nvg_pcapng *r);
/* The distinct link types met so far, in order of appearance (at most max of them in out);
 * returns how many there are (counting past NVG_PCAPNG_MAX_DLTS is not done). */
unsigned nvg_pcapng_link_types(const struct nvg_pcapng *r, int *out, unsigned max);

/* Whether the file starts with a pcapng Section Header Block. */
bool nvg_pcapng_file_is_pcapng(const char *path);

/* A stamp of ts units of 1/units_per_s second, plus offset_s seconds, as ns since the epoch:
 * the rule of nvg_time_from_pcap (saturated, *clamped set) for what int64 ns cannot hold. */
int64_t nvg_pcapng_time_ns(uint64_t ts, uint64_t units_per_s, int64_t offset_s, bool *clamped);

#endif
