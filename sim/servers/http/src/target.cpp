// Request-target to relative path (see target.hpp).
#include "ptv/servers/http/target.hpp"

#include <http_parser.h>

#include <vector>

namespace ptv::servers::http {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Target resolve_target(std::string_view target) {
    if (target.empty()) return {400, {}};
    if (target.size() > kMaxTargetBytes) return {414, {}};
    http_parser_url url;
    http_parser_url_init(&url);
    if (http_parser_parse_url(target.data(), target.size(), 0, &url) != 0) return {400, {}};
    std::string_view path = "/";
    if (url.field_set & (1 << UF_PATH))
        path = target.substr(url.field_data[UF_PATH].off, url.field_data[UF_PATH].len);
    if (path.empty() || path[0] != '/') return {400, {}};

    // Decode first, then split: an encoded "%2e%2e%2f" is as much a ".." as
    // the plain one.
    std::string decoded;
    decoded.reserve(path.size());
    for (size_t i = 0; i < path.size(); ++i) {
        char c = path[i];
        if (c == '%') {
            if (i + 2 >= path.size()) return {400, {}};
            int hi = hex_value(path[i + 1]), lo = hex_value(path[i + 2]);
            if (hi < 0 || lo < 0) return {400, {}};
            c = char(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') return {400, {}};
        decoded += c;
    }

    std::vector<std::string_view> segments;
    std::string_view rest = decoded;
    while (!rest.empty()) {
        size_t slash = rest.find('/');
        std::string_view seg = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (segments.empty()) return {403, {}};
            segments.pop_back();
            continue;
        }
        segments.push_back(seg);
    }
    Target t;
    for (auto seg : segments) {
        if (!t.path.empty()) t.path += '/';
        t.path += seg;
    }
    return t;
}

}  // namespace ptv::servers::http

namespace ptv::servers::http {

// '?' and '#' cannot appear before the path (not in a scheme or an
// authority), so the first of them ends it in origin- and absolute-form.
std::string with_trailing_slash(std::string_view target) {
    size_t end = target.find_first_of("?#");
    if (end == std::string_view::npos) end = target.size();
    std::string moved(target.substr(0, end));
    moved += '/';
    moved += target.substr(end);
    return moved;
}

bool names_directory(std::string_view target) {
    size_t end = target.find_first_of("?#");
    std::string_view path = target.substr(0, end);
    return !path.empty() && path.back() == '/';
}

}  // namespace ptv::servers::http
