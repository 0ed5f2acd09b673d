#include "nvg-error.h"

const char *nvg_strerror(int err)
{
    switch (err) {
    case NVG_OK:
        return "success";
#define NVG__ERR_TEXT(name, text)                                                                  \
    case NVG_E##name:                                                                              \
        return text;
        NVG_ERRNO_MAP(NVG__ERR_TEXT)
#undef NVG__ERR_TEXT
    default:
        return "unknown error";
    }
}
