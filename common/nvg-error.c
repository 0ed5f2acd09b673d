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

const char *nvg_err_name(int err)
{
    switch (err) {
    case NVG_OK:
        return "NVG_OK";
#define NVG__ERR_NAME(name, text)                                                                  \
    case NVG_E##name:                                                                              \
        return "NVG_E" #name;
        NVG_ERRNO_MAP(NVG__ERR_NAME)
#undef NVG__ERR_NAME
    default:
        return "NVG_E?";
    }
}
