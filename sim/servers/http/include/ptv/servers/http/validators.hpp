// What identifies one version of a file to a cache or a resuming download
// (RFC 9110 §8.8): its entity tag and its modification time. Computed once,
// when the file is read, and kept with its bytes in the disk cache, so that
// a reply only appends the lines rendered here.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ptv::servers::http {

struct Validators {
    // Strong (RFC 9110 §8.8.3): the inode, size and modification time in
    // nanoseconds, in hex, quoted. Any change to the file changes it.
    std::string etag;
    time_t modified = 0;       // the modification time in seconds, as Last-Modified says
    std::string header_lines;  // "Last-Modified: ...\r\nETag: ...\r\nAccept-Ranges: bytes\r\n"
};

// The validators of the file `st` describes.
std::shared_ptr<const Validators> make_validators(const struct stat& st);

// "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate).
std::string format_http_date(time_t t);
// Any of the three forms a recipient must accept (RFC 9110 §5.6.7):
// IMF-fixdate, RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime
// ("Sun Nov  6 08:49:37 1994"); nullopt for anything else.
std::optional<time_t> parse_http_date(std::string_view text);

}  // namespace ptv::servers::http
