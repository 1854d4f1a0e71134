// The wire protocol of live migration and of shipping a guest image, over
// one TCP connection. No KVM here: `ptv migrate listen` (static, no KVM)
// checks the hello before it hands the connection to a worker, and
// `ptv migrate ship` speaks it as a sender.
//
// A connection starts with a fixed 32-byte Hello from the sender (magic,
// version, kind, mode, memory size, length of a JSON "meta" that follows:
// guest name, image, command line). The receiver answers with a frame:
// Accept, or Refuse with a one-line reason. Then frames, each a 16-byte
// header {type, count, length} and `length` bytes of payload:
//
//   live migration, source A -> destination B
//     Pages*      pre-copy rounds (and the stop-and-copy's last dirty pages)
//     State       vCPU and device state, once A has paused the guest
//                 B <- Ready (restored, about to run)   A -> Go
//     post-copy:  B -> PageRequest (a fault)  A -> Pages (asked or pushed)
//                 B -> Done (every page is present)
//     Digest      A's switch-over memory digest, after Go (B compares)
//   weak mobility (ship): sender -> Image, B <- Started
//
// Little-endian, as the host is (x86-64 only).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace ptv::migration {

inline constexpr char kMagic[8] = {'P', 'T', 'V', 'M', 'I', 'G', 'R', '\n'};
inline constexpr uint32_t kProtocolVersion = 1;

enum class Kind : uint32_t { Live = 1, Ship = 2 };
enum class Mode : uint32_t { PreCopy = 0, StopAndCopy = 1, PostCopy = 2 };

std::string mode_name(Mode m);             // "precopy", "stopcopy", "postcopy"
Mode parse_mode(const std::string& name);  // throws UsageError

struct Hello {
    char magic[8];
    uint32_t version;
    uint32_t kind;
    uint32_t mode;
    uint32_t meta_length;
    uint64_t memory_bytes;
};
static_assert(sizeof(Hello) == 32);

enum class Frame : uint32_t {
    Accept = 1,
    Refuse = 2,
    Pages = 3,
    State = 4,
    Ready = 5,
    Go = 6,
    PageRequest = 7,
    Done = 8,
    Digest = 9,
    Image = 10,
    Started = 11,
    Error = 12,
};
std::string frame_name(Frame f);

struct FrameHeader {
    uint32_t type;
    uint32_t count;   // pages in a Pages or PageRequest frame
    uint64_t length;  // payload bytes
};
static_assert(sizeof(FrameHeader) == 16);

// In a Pages frame: `count` u64 page numbers, then 4 KiB for each page whose
// number does not have kZeroPage set (a zero page travels as its number).
inline constexpr uint64_t kZeroPage = 1ull << 63;
inline constexpr uint64_t kMaxMetaLength = 1 << 16;
inline constexpr uint64_t kMaxImageBytes = 256ull << 20;

// The connection failed or the peer broke the protocol. what() is a
// sentence for the user.
class ProtocolError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A blocking TCP stream with whole-buffer reads and writes; throws
// ProtocolError when the peer goes away or a timeout passes.
class Connection {
  public:
    explicit Connection(int fd, std::string peer = "peer");
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    int fd() const { return fd_; }
    const std::string& peer() const { return peer_; }
    void write_all(const void* data, size_t bytes);
    void write_iov(std::span<const std::pair<const void*, size_t>> parts);
    void read_all(void* data, size_t bytes);
    // Frames.
    void send_frame(Frame type, const void* payload = nullptr, uint64_t length = 0,
                    uint32_t count = 0);
    void send_json(Frame type, const nlohmann::json& j);
    FrameHeader read_header();
    std::vector<uint8_t> read_payload(const FrameHeader& h, uint64_t limit);
    nlohmann::json read_json(const FrameHeader& h);
    // Gives up the descriptor (not closed by the destructor).
    int release();
    // How long a read waits for a first byte before it gives up (the
    // socket's SO_RCVTIMEO; 0: forever).
    double receive_timeout_s() const;

  private:
    int fd_;
    std::string peer_;
};

// "HOST:PORT" -> a connected TCP socket (TCP_NODELAY, a user timeout so a
// dead network path is noticed within `timeout_s`). Throws UsageError for a
// malformed address, ProtocolError when nobody answers.
int connect_tcp(const std::string& host_port, double timeout_s);
// A connected socket notices a dead path within `timeout_s`: unacknowledged
// data (TCP_USER_TIMEOUT), or a read or write that waits that long. Both
// sides set it; the destination takes the source's value from the session.
void set_path_timeout(int fd, double timeout_s);
// Throws UsageError unless `host_port` is a numeric HOST:PORT.
void check_host_port(const std::string& host_port);
// A listening TCP socket on ADDRESS:PORT (port 0: any free one).
int listen_tcp(const std::string& address, uint16_t port);
uint16_t local_port(int fd);
// "10.0.0.1:40312": the other end of a connected socket.
std::string peer_name(int fd);

// The receiver's side of the opening: reads the Hello and its meta; throws
// ProtocolError with check_hello()'s reason (after sending it as Refuse)
// when it is not acceptable.
struct Session {
    Hello hello;
    nlohmann::json meta;
};
Session accept_session(Connection& c);

// The sender's side of the opening: Hello + meta, then the answer; throws
// ProtocolError with the receiver's reason when it refuses.
nlohmann::json open_session(Connection& c, Kind kind, Mode mode, uint64_t memory_bytes,
                            const nlohmann::json& meta);
// The receiver's check of a Hello; returns "" when it is acceptable, or the
// reason it is not (garbage, another version).
std::string check_hello(const Hello& h);

// This host's boot id: two processes with the same one share
// CLOCK_MONOTONIC, so a downtime can be measured from A's pause to B's
// first run on one clock.
std::string boot_id();

// The page digest both sides compute at the switch-over: ptv::memory_hash
// of each 4 KiB page, and memory_hash over those hashes. Per page, so the
// destination can build it from pages as they arrive (post-copy too).
uint64_t page_hash(const uint8_t* page);
uint64_t zero_page_hash();
uint64_t digest_of(std::span<const uint64_t> page_hashes);
uint64_t memory_digest(std::span<const uint8_t> memory);
bool is_zero_page(const uint8_t* page);

}  // namespace ptv::migration
