// Conditional and range requests (see representation.hpp).
#include "ptv/servers/http/representation.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <string_view>

#include "ptv/servers/http/service.hpp"

namespace ptv::servers::http {

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// RFC 9110 §8.8.3.2: weak comparison ignores the W/ prefix of either tag.
std::string_view opaque_tag(std::string_view tag) {
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    return tag;
}

bool parse_number(std::string_view s, uint64_t& out) {
    if (s.empty() || s.size() > 19) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

// If-Range names this version: a strong entity tag equal to ours (a weak
// one never matches, §13.1.5), or exactly our Last-Modified date.
bool if_range_holds(std::string_view if_range, const Validators& v) {
    if_range = trimmed(if_range);
    if (if_range.empty()) return true;
    if (if_range.front() == '"') return if_range == v.etag;
    if (if_range.substr(0, 2) == "W/") return false;
    auto date = parse_http_date(if_range);
    return date && *date == v.modified;
}

}  // namespace

bool not_modified(const Request& request, const Validators& v) {
    if (!request.if_none_match.empty()) {
        std::string_view rest = request.if_none_match;
        while (!rest.empty()) {
            size_t comma = rest.find(',');
            std::string_view tag = trimmed(rest.substr(0, comma));
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            if (tag == "*" || (!tag.empty() && opaque_tag(tag) == opaque_tag(v.etag))) return true;
        }
        return false;  // and If-Modified-Since is not looked at
    }
    if (!request.if_modified_since.empty()) {
        auto since = parse_http_date(trimmed(request.if_modified_since));
        return since && v.modified <= *since;
    }
    return false;
}

ByteRange choose_range(const Request& request, const Validators& v, uint64_t size) {
    std::string_view spec = trimmed(request.range);
    constexpr std::string_view kUnit = "bytes=";
    if (spec.size() <= kUnit.size()) return {};
    for (size_t i = 0; i < kUnit.size(); ++i)  // the unit is case-insensitive
        if (std::tolower(static_cast<unsigned char>(spec[i])) != kUnit[i]) return {};
    spec = trimmed(spec.substr(kUnit.size()));
    if (spec.find(',') != std::string_view::npos) return {};  // several ranges: the whole file
    if (!if_range_holds(request.if_range, v)) return {};
    size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return {};
    std::string_view a = trimmed(spec.substr(0, dash)), b = trimmed(spec.substr(dash + 1));
    uint64_t first = 0, last = 0;
    if (a.empty()) {  // -suffix: the last `suffix` bytes
        uint64_t suffix;
        if (!parse_number(b, suffix)) return {};
        if (suffix == 0 || size == 0) return {ByteRange::Kind::Unsatisfiable};
        first = suffix >= size ? 0 : size - suffix;
        return {ByteRange::Kind::Part, first, size - first};
    }
    if (!parse_number(a, first)) return {};
    if (b.empty())
        last = size == 0 ? 0 : size - 1;
    else if (!parse_number(b, last) || last < first)
        return {};  // an invalid range-spec: the header is ignored
    if (first >= size) return {ByteRange::Kind::Unsatisfiable};
    if (last >= size) last = size - 1;
    return {ByteRange::Kind::Part, first, last - first + 1};
}

Reply file_reply(const Request& request, const DiskRead& read, bool validators) {
    Reply r;
    r.content_type =
        read.listing ? "text/html; charset=utf-8" : std::string(content_type_for(read.name));
    r.body = read.bytes;
    if (!validators || !read.validators) return r;
    const Validators& v = *read.validators;
    r.validators = read.validators;
    if (not_modified(request, v)) {
        r.status = 304;
        r.not_modified = true;
        r.body = nullptr;
        return r;
    }
    if (request.method != Method::Get || request.range.empty()) return r;
    const uint64_t size = read.bytes ? read.bytes->size() : 0;
    ByteRange range = choose_range(request, v, size);
    if (range.kind == ByteRange::Kind::Unsatisfiable) {
        Reply e = error_reply(416);
        e.validators = read.validators;
        e.extra_headers = fmt::format("Content-Range: bytes */{}\r\n", size);
        return e;
    }
    if (range.kind == ByteRange::Kind::Part) {
        // A copy of the part: every architecture (and a student's) sends a
        // reply's body whole, so the body is exactly the bytes asked for.
        r.status = 206;
        r.body = std::make_shared<const std::string>(*read.bytes, size_t(range.first),
                                                     size_t(range.length));
        r.extra_headers = fmt::format("Content-Range: bytes {}-{}/{}\r\n", range.first,
                                      range.first + range.length - 1, size);
    }
    return r;
}

}  // namespace ptv::servers::http
