/* Prints every frame of a capture file, one line each: link type, captured and original
 * length, time in ns, clamped (0/1) and an FNV-1a hash of the bytes; then "end" or "error"
 * (the text is left out: the two readers word it differently). Read by sensor/pcapng-reader.c,
 * or with --libpcap by libpcap the way capture.c reads it, so that test_pcapng_multilink.py
 * can check that both readers agree frame for frame on every file libpcap can read.
 *
 *     pcapng-dump [--libpcap] FILE */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "nvg-error.h"
#include "nvg-time.h"
#include "pcapng-reader.h"

static uint32_t fnv(const uint8_t *p, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void line(int dlt, uint32_t caplen, uint32_t wirelen, int64_t ts, bool clamped,
                 const uint8_t *data)
{
    printf("%d %" PRIu32 " %" PRIu32 " %" PRId64 " %d %08" PRIx32 "\n", dlt, caplen, wirelen, ts,
           clamped, fnv(data, caplen));
}

static int with_libpcap(const char *path)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!p) {
        fprintf(stderr, "%s\n", ebuf);
        printf("error\n");
        return 1;
    }
    bool nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    bool classic = pcap_major_version(p) == 2;
    struct pcap_pkthdr *h;
    const u_char *bytes;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &bytes)) == 1) {
        bool clamped = false;
        int64_t sec = h->ts.tv_sec;
        if (classic)
            sec = nvg_pcap_file_seconds(sec);
        int64_t ts = nvg_time_from_pcap(sec, h->ts.tv_usec, nano, &clamped);
        line(pcap_datalink(p), h->caplen, h->len, ts, clamped, bytes);
    }
    if (rc == PCAP_ERROR)
        fprintf(stderr, "%s\n", pcap_geterr(p));
    printf(rc == PCAP_ERROR_BREAK ? "end\n" : "error\n");
    pcap_close(p);
    return rc == PCAP_ERROR_BREAK ? 0 : 1;
}

static int with_ours(const char *path)
{
    char err[NVG_ERRBUF_SIZE];
    struct nvg_pcapng *r = nvg_pcapng_open(path, err);
    int rc = r ? 1 : NVG_EPCAP;
    struct nvg_pcapng_frame f;
    while (r && (rc = nvg_pcapng_next(r, &f, err)) == 1)
        line(f.dlt, f.caplen, f.wirelen, f.ts_ns, f.time_clamped, f.data);
    if (rc < 0)
        fprintf(stderr, "%s\n", err);
    printf(rc == 0 ? "end\n" : "error\n");
    nvg_pcapng_close(r);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--libpcap") == 0)
        return with_libpcap(argv[2]);
    if (argc == 2)
        return with_ours(argv[1]);
    fprintf(stderr, "usage: pcapng-dump [--libpcap] FILE\n");
    return 2;
}
