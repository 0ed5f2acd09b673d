/* Fuzz the sensor's own pcapng reader (sensor/pcapng-reader.c), the one for files whose
 * interfaces have several link types, and the decoder behind it switching link type frame by
 * frame as the pipeline does.
 *
 * Input: a pcapng file, read through fmemopen. Checked: every result is a frame, the end or
 * NVG_EPCAP; an error names the input and a byte offset inside it, and stays (the next call
 * fails the same way); a frame's bytes are all readable (touched, for the sanitizers), its
 * captured length fits the input and the block cap, its link type is a 16-bit value (or
 * DLT_RAW); no more frames than 16-byte blocks fit the input; the link types listed are
 * distinct and at most NVG_PCAPNG_MAX_DLTS. */
#include <pcap/dlt.h>
#include <string.h>

#include "decode.h"
#include "fuzz.h"
#include "nvg-error.h"
#include "pcapng-reader.h"

static void check_error(const char *err, size_t size)
{
    FUZZ_CHECK(strncmp(err, "fuzz: byte ", 11) == 0);
    unsigned long long off = strtoull(err + 11, NULL, 10);
    FUZZ_CHECK(off <= size);
}

static void check_frame(const struct nvg_pcapng_frame *f, size_t size, struct nvg_decoder *dec)
{
    FUZZ_CHECK(f->caplen <= size && f->caplen <= NVG_PCAPNG_MAX_BLOCK);
    FUZZ_CHECK((f->dlt >= 0 && f->dlt <= 0xffff) || f->dlt == DLT_RAW);
    unsigned sum = 0;
    for (uint32_t i = 0; i < f->caplen; i++)
        sum += f->data[i];
    (void)sum;
    dec->dlt = f->dlt;
    struct nvg_pkt pkt;
    nvg_decode(dec, f->data, f->caplen, f->wirelen, f->ts_ns, &pkt);
}

static void check_link_types(const struct nvg_pcapng *r)
{
    int dlts[NVG_PCAPNG_MAX_DLTS];
    unsigned n = nvg_pcapng_link_types(r, dlts, NVG_PCAPNG_MAX_DLTS);
    FUZZ_CHECK(n <= NVG_PCAPNG_MAX_DLTS);
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < i; j++)
            FUZZ_CHECK(dlts[i] != dlts[j]);
    FUZZ_CHECK(n == 0 || nvg_pcapng_first_dlt(r) == dlts[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0; /* fmemopen takes no empty buffer */
    FILE *fp = fmemopen((void *)data, size, "rb");
    FUZZ_CHECK(fp != NULL);
    char err[NVG_ERRBUF_SIZE] = "";
    struct nvg_pcapng *r = nvg_pcapng_open_stream(fp, "fuzz", err);
    if (!r) {
        check_error(err, size);
        return 0;
    }
    struct nvg_decoder dec;
    nvg_decoder_init(&dec, nvg_pcapng_first_dlt(r), 64);
    struct nvg_pcapng_frame f;
    size_t frames = 0;
    int rc;
    while ((rc = nvg_pcapng_next(r, &f, err)) == 1) {
        check_frame(&f, size, &dec);
        FUZZ_CHECK(++frames * 16 <= size);
    }
    FUZZ_CHECK(rc == 0 || rc == NVG_EPCAP);
    if (rc == NVG_EPCAP) {
        check_error(err, size);
        char again[NVG_ERRBUF_SIZE] = "";
        FUZZ_CHECK(nvg_pcapng_next(r, &f, again) == NVG_EPCAP && strcmp(err, again) == 0);
    } else {
        FUZZ_CHECK(nvg_pcapng_next(r, &f, err) == 0);
    }
    check_link_types(r);
    nvg_pcapng_close(r);
    return 0;
}
