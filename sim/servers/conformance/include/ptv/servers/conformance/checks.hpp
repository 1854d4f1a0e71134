// The HTTP conformance and robustness checks (sim/servers/README.md, "HTTP,
// exactly" and "Robustness"), each against a server already listening on
// 127.0.0.1:port and serving a ServedTree. A check records what did not
// hold in the Report and leaves the server serving.
#pragma once

#include <cstdint>

#include "ptv/servers/conformance/report.hpp"

namespace ptv::servers::conformance {

struct ServedTree;

// GET (bytes, length, type) and HEAD (same headers, no body; the connection
// goes on).
void check_get_and_head(int port, Report& r);
// Directories and index.html (a directory without its slash: 301 to the
// name with it), escaped names, queries, absolute-form targets, 404s, a
// FIFO refused without hanging.
void check_names(int port, Report& r);
// Never a file outside the root: dot-dot (plain and %-encoded) and links
// are 403 or 404 and show nothing of the file; dot-dot that stays inside is
// fine.
void check_traversal(int port, Report& r);
// Keep-alive, pipelining, HTTP/1.0 (closes unless asked), Connection: close.
void check_keep_alive(int port, Report& r);
// A 4 MiB file arrives whole.
void check_big_file(int port, Report& r);
// Malformed requests: 400, 414, 431, 501 (methods, transfer codings), 505,
// 413, each answered with
// "Connection: close" and closed; a body on a GET is read and dropped.
void check_malformed(int port, Report& r);
// Slow clients (the server's timeout must be 0.3 s): half a request gets
// 408 and is closed, a silent connection is closed, a client trickling its
// head a byte at a time is cut off; a normal client is served after them.
void check_slow_clients(int port, Report& r);
// Clients that reset or close mid-reply leave the server serving.
void check_disconnect_mid_reply(int port, Report& r);

// Last-Modified, a strong ETag and Accept-Ranges on a file; 304 for a
// matching If-None-Match (weak comparison, "*") or an If-Modified-Since not
// before the file, with If-None-Match deciding when both are there; single
// byte ranges as 206 with Content-Range, 416 with "bytes */size" past the
// end, the whole file for several ranges, invalid ones, another unit, a
// failed If-Range or a HEAD; the connection goes on after 304 and 416.
void check_validators_and_ranges(int port, Report& r);
// A file rewritten on disk is served new (with a new ETag) within the
// cache's revalidation time, and a removed one is 404.
void check_file_changed_on_disk(int port, const ServedTree& tree, Report& r);
// For a server run with --list-directories: /sub/ lists its files sorted,
// names escaped in the text and percent-encoded in the links, hidden
// files left out, subdirectories with a slash.
void check_directory_listing(int port, Report& r);
// For a server run with --no-validators: no validators, ranges and
// conditions ignored.
void check_no_validators(int port, Report& r);

// Every byte split: a request, and a pipelined pair, sent in two pieces cut
// at every byte with a pause between them, on one kept-alive connection;
// each answered exactly as if sent whole.
void check_byte_splits(int port, Report& r);
// Random clients from `seed`: a few connections at once, each a random
// sequence of requests (GET, HEAD, headers, small bodies, pipelining)
// whose bytes are cut into random pieces sent with random pauses; every
// response exactly as expected, in order. With `may_close`, the server may
// end a kept-alive connection after a reply that says "Connection: close",
// or give an idle kept-alive one up before reading the next request (no
// byte of its reply sent): a worker pool does when others wait for a
// worker. The client then sends the rest again on a new connection.
// Without it, either is a failure.
void check_random_splits(int port, uint64_t seed, bool may_close, Report& r);
// Slowloris: `slow` clients trickle their heads a byte every 20 ms while
// `fast` clients are served one after another, each within `limit_s`.
void check_slowloris_does_not_block(int port, int slow, int fast, double limit_s, Report& r);
// `idle` clients each make one keep-alive request and stay connected
// without a word; meanwhile `fresh` new clients are each served within
// `limit_s`. With `held`, the server must keep every idle connection open
// and answer a second request on each (an event-driven server can; a
// worker pool may give idle connections up to serve others, closing them
// cleanly). Needs about 2 * idle descriptors in this process.
void check_idle_keep_alive(int port, int idle, int fresh, double limit_s, bool held, Report& r);

// `silent` clients connect and send nothing; then `fresh` new clients, one
// after another, are each served (200, the right body) within `limit_s`.
// The silent connections must all still be open at the end: a server closes
// one only once it has been silent for its timeout, which must be longer
// than the check takes (the default 10 s is). Needs `silent` descriptors in
// this process.
void check_silent_connections_do_not_block(int port, int silent, int fresh, double limit_s,
                                           Report& r);
// The iterative server (its timeout `timeout_s`): one connection that says
// nothing holds it, so a request behind it is answered only when the silent
// one times out -- not before 0.8 x timeout_s, not after timeout_s + 2 s.
void check_one_connection_at_a_time(int port, double timeout_s, Report& r);
// A 408 reaches clients that are still sending (the server's timeout must
// be 0.3 s): a few clients trickle a long head a byte every 20 ms and go on
// after the timeout; each reads the whole 408 and then the end of the
// connection, never a reset.
void check_timeout_reply_survives(int port, Report& r);

}  // namespace ptv::servers::conformance
