/* COMMAND_PCAP on the sensor link: the request handed to opts.pcap_cb, its chunk sent back in
 * the CommandReply. Apart from link.c's other commands because its reply carries data. */
#include <stdio.h>

#include "link-internal.h"

void nvg__link_pcap_command(struct nvg_link *link, const Netvigil__Command *cmd)
{
    char err[NVG_ERRBUF_SIZE] = "";
    Netvigil__PcapChunk chunk = NETVIGIL__PCAP_CHUNK__INIT;
    int rc;
    link->st.commands++;
    if (!link->opts.pcap_cb) {
        snprintf(err, sizeof(err),
                 "this sensor keeps no packets: start it with --pcap-ring SIZE to extract them");
        rc = NVG_EINVAL;
    } else if (!cmd->pcap) {
        snprintf(err, sizeof(err), "bad command: pcap without its span");
        rc = NVG_EINVAL;
    } else if (link->deferred) {
        snprintf(err, sizeof(err), "busy: another command is still being prepared; try again");
        rc = NVG_EAGAIN;
    } else {
        rc = link->opts.pcap_cb(link->opts.user, cmd->filter ? cmd->filter : "", cmd->pcap, &chunk,
                                err, sizeof(err));
    }
    if (rc == NVG_LINK_DEFERRED) {
        link->deferred = true;
        link->deferred_id = cmd->id;
        return;
    }
    if (rc < 0 && !err[0])
        snprintf(err, sizeof(err), "%s", nvg_strerror(rc));
    nvg__link_reply(link, cmd->id, rc, err, &chunk);
}

int nvg_link_pcap_done(struct nvg_link *link, int rc, const char *err, Netvigil__PcapChunk *chunk)
{
    return nvg__link_deferred_done(link, rc, err, chunk);
}
