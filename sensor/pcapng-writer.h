/* pcapng output (draft-ietf-opsawg-pcapng): a Section Header Block that says where the frames
 * come from (the sensor's name in shb_userappl and a comment), one Interface Description Block
 * (the interface's name, link type, nanosecond timestamps) and an Enhanced Packet Block per
 * frame, in host byte order as the format allows (readers go by the byte-order magic).
 *
 * Every function writes to out and returns the bytes written; with out NULL it only counts, so
 * a caller can size a stream before it allocates one. */
#ifndef NVG_PCAPNG_WRITER_H
#define NVG_PCAPNG_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct nvg_pcapng_section {
    const char *userappl; /* shb_userappl, e.g. "netvigil-sensor 1.0 (sensor web1)" */
    const char *comment;  /* opt_comment of the SHB; NULL: none */
    const char *if_name;  /* if_name of the IDB; NULL: none */
    const char *if_description;
    int dlt;          /* the link type (LINKTYPE_* equals DLT_* for the common ones) */
    uint32_t snaplen; /* 0: unknown */
};

/* SHB + IDB. */
size_t nvg_pcapng_write_head(uint8_t *out, const struct nvg_pcapng_section *s);
/* One EPB on interface 0. */
size_t nvg_pcapng_write_epb(uint8_t *out, int64_t ts_ns, uint32_t caplen, uint32_t wirelen,
                            const uint8_t *data);

#endif
