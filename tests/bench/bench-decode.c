/* bench-decode: the same loop as bench-read-floor, plus one nvg_decode() per packet into a
 * record on the stack — exactly the decoder the sensor runs, with no output.
 *
 *   bench-decode [-v] FILE
 *
 * Prints one line: packets=N bytes=N seconds=S pps=N; with -v also the records per protocol
 * and the malformed / truncated counts on stderr (a sanity check that decoding happened). */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "nvg-pkt.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int verbose = argc == 3 && strcmp(argv[1], "-v") == 0;
    if (argc != 2 + verbose) {
        fprintf(stderr, "usage: bench-decode [-v] FILE\n");
        return 2;
    }
    const char *file = argv[1 + verbose];
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) {
        fprintf(stderr, "bench-decode: %s\n", err);
        return 1;
    }
    struct nvg_decoder dec;
    nvg_decoder_init(&dec, pcap_datalink(p), 0);
    uint64_t per_proto[NVG_PROTO_COUNT] = {0}, malformed = 0, truncated = 0;

    double t0 = now();
    uint64_t packets = 0, bytes = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        struct nvg_pkt pkt;
        int64_t ts = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec; /* tv_usec holds ns */
        nvg_decode(&dec, data, h->caplen, h->len, ts, &pkt);
        packets++;
        bytes += h->caplen;
        /* Use the record, so that none of the decoding can be skipped. */
        per_proto[pkt.proto < NVG_PROTO_COUNT ? pkt.proto : 0]++;
        malformed += (pkt.flags & NVG_PKT_MALFORMED) != 0;
        truncated += (pkt.flags & NVG_PKT_TRUNCATED) != 0;
    }
    double dt = now() - t0;
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "bench-decode: %s\n", pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("packets=%llu bytes=%llu seconds=%.6f pps=%.0f\n", (unsigned long long)packets,
           (unsigned long long)bytes, dt, dt > 0 ? (double)packets / dt : 0.0);
    if (verbose) {
        for (int i = 0; i < NVG_PROTO_COUNT; i++)
            fprintf(stderr, "%s=%llu ", nvg_proto_name((enum nvg_proto)i),
                    (unsigned long long)per_proto[i]);
        fprintf(stderr, "malformed=%llu truncated=%llu\n", (unsigned long long)malformed,
                (unsigned long long)truncated);
    }
    return 0;
}
