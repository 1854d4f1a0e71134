// Entity tags and HTTP-dates (see validators.hpp).
#include "ptv/servers/http/validators.hpp"

#include <fmt/format.h>

#include <cstring>

namespace ptv::servers::http {

std::shared_ptr<const Validators> make_validators(const struct stat& st) {
    auto v = std::make_shared<Validators>();
    v->etag = fmt::format("\"{:x}-{:x}-{:x}.{:x}\"", uint64_t(st.st_ino), uint64_t(st.st_size),
                          uint64_t(st.st_mtim.tv_sec), uint64_t(st.st_mtim.tv_nsec));
    v->modified = st.st_mtim.tv_sec;
    v->header_lines = fmt::format("Last-Modified: {}\r\nETag: {}\r\nAccept-Ranges: bytes\r\n",
                                  format_http_date(v->modified), v->etag);
    return v;
}

std::string format_http_date(time_t t) {
    tm parts;
    gmtime_r(&t, &parts);
    char text[64];
    size_t n = strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
    return std::string(text, n);
}

std::optional<time_t> parse_http_date(std::string_view text) {
    if (text.size() > 64) return std::nullopt;
    const std::string s(text);
    // strptime reads day and month names in the C locale, which a server
    // that never calls setlocale() is in.
    static constexpr const char* kForms[] = {
        "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate
        "%A, %d-%b-%y %H:%M:%S GMT",  // obsolete RFC 850
        "%a %b %e %H:%M:%S %Y",       // asctime
    };
    for (const char* form : kForms) {
        tm parts{};
        const char* end = strptime(s.c_str(), form, &parts);
        if (end != nullptr && *end == '\0') return timegm(&parts);
    }
    return std::nullopt;
}

}  // namespace ptv::servers::http
