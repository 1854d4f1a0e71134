// The visualizer's trace model: parsing (whole, damaged, empty, a million
// events), track assignment, flow matching, and each view's analysis.
#include <doctest/doctest.h>

#include <string>

#include "ptv/viz/analysis.hpp"
#include "ptv/viz/model.hpp"
#include "ptv/viz/synthetic.hpp"

using namespace ptv::viz;

namespace {

const Track& track_named(const TraceModel& m, const std::string& name) {
    for (const auto& t : m.tracks())
        if (t.name == name) return t;
    FAIL("no track named " << name);
    return m.tracks().front();
}

// A KVM-shaped trace of three exits, one per line (as TraceWriter writes).
const char* kSmall = R"J({"traceEvents":[
{"args":{"name":"VM hello"},"name":"process_name","ph":"M","pid":1},
{"args":{"name":"vCPU 0"},"name":"thread_name","ph":"M","pid":1,"tid":1},
{"args":{"name":"uart (emulated)"},"name":"thread_name","ph":"M","pid":1,"tid":100},
{"args":{"sort_index":1},"name":"thread_sort_index","ph":"M","pid":1,"tid":100},
{"args":{"name":"vcpu (worker)"},"name":"thread_name","ph":"M","pid":1,"tid":102},
{"args":{"sort_index":3},"name":"thread_sort_index","ph":"M","pid":1,"tid":102},
{"args":{"port":"0x3f8","instruction":"out dx, al","handling_ns":2000},"cat":"vmexit","dur":2.0,"name":"io","ph":"X","pid":1,"tid":1,"ts":10.0},
{"args":{"exit":1},"cat":"notification","dur":1.0,"name":"uart write 0x3f8","ph":"X","pid":1,"tid":100,"ts":10.5},
{"cat":"notification","id":1,"name":"dispatch","ph":"s","pid":1,"tid":1,"ts":10.5},
{"bp":"e","cat":"notification","id":1,"name":"dispatch","ph":"f","pid":1,"tid":100,"ts":10.5},
{"args":{"port":"0x3fd","instruction":"in al, dx","handling_ns":1000},"cat":"vmexit","dur":1.0,"name":"io","ph":"X","pid":1,"tid":1,"ts":20.0},
{"args":{"exit":2},"cat":"notification","dur":0.5,"name":"uart read 0x3fd","ph":"X","pid":1,"tid":100,"ts":20.2},
{"cat":"notification","id":2,"name":"dispatch","ph":"s","pid":1,"tid":1,"ts":20.2},
{"bp":"e","cat":"notification","id":2,"name":"dispatch","ph":"f","pid":1,"tid":100,"ts":20.2},
{"args":{"instruction":"hlt","handling_ns":3000},"cat":"vmexit","dur":3.0,"name":"hlt","ph":"X","pid":1,"tid":1,"ts":30.0},
{"args":{"exit":3},"cat":"notification","dur":2.0,"name":"vcpu hlt","ph":"X","pid":1,"tid":102,"ts":30.5},
{"cat":"notification","id":3,"name":"dispatch","ph":"s","pid":1,"tid":1,"ts":30.5},
{"bp":"e","cat":"notification","id":3,"name":"dispatch","ph":"f","pid":1,"tid":102,"ts":30.5}
],
"metadata":{"exits":3}})J";

}  // namespace

TEST_CASE("a KVM trace loads whole, with its metadata") {
    auto m = parse_text(kSmall);
    CHECK(m.error.empty());
    CHECK(m.skipped == 0);
    CHECK(m.event_count() == 12);  // metadata events name tracks, they are not events
    CHECK(m.metadata["exits"] == 3);
    CHECK(m.process_name(1) == "VM hello");
    CHECK(m.t_min() == doctest::Approx(10.0));
    CHECK(m.t_max() == doctest::Approx(33.0));
    CHECK(m.has_category("vmexit"));
    CHECK_FALSE(m.has_category("migration"));
}

TEST_CASE("tracks per (pid, tid), named, ordered and classified") {
    auto m = parse_text(kSmall);
    REQUIRE(m.tracks().size() == 3);
    std::vector<std::string> order;
    for (uint32_t t : m.track_order()) order.push_back(m.tracks()[t].name);
    CHECK(order == std::vector<std::string>{"vCPU 0", "uart (emulated)", "vcpu (worker)"});
    CHECK(track_named(m, "vCPU 0").kind == TrackKind::Vcpu);
    CHECK(track_named(m, "uart (emulated)").kind == TrackKind::Device);
    CHECK(track_named(m, "vCPU 0").spans.size() == 3);
    CHECK(track_named(m, "uart (emulated)").spans.size() == 2);
}

TEST_CASE("flows join each exit to its notification") {
    auto m = parse_text(kSmall);
    REQUIRE(m.flows().size() == 3);
    for (const auto& f : m.flows()) {
        REQUIRE(f.from_event != kNone);
        REQUIRE(f.to_event != kNone);
        CHECK(m.str(m.events()[f.from_event].cat) == "vmexit");
        CHECK(m.str(m.events()[f.to_event].cat) == "notification");
        CHECK(m.events()[f.to_event].ts == doctest::Approx(f.to_ts));
    }
    CHECK(m.str(m.events()[m.flows()[2].from_event].name) == "hlt");
    CHECK(m.tracks()[m.flows()[2].to_track].name == "vcpu (worker)");
}

TEST_CASE("a flow end without bp e binds to the next slice") {
    auto m = parse_text(R"J([
{"ph":"X","name":"a","cat":"c","pid":1,"tid":1,"ts":0,"dur":5},
{"ph":"s","name":"f","cat":"c","id":"0x7","pid":1,"tid":1,"ts":1},
{"ph":"f","name":"f","cat":"c","id":"0x7","pid":1,"tid":2,"ts":2},
{"ph":"X","name":"b","cat":"c","pid":1,"tid":2,"ts":3,"dur":1}])J");
    REQUIRE(m.flows().size() == 1);
    CHECK(m.flows()[0].id == 7);
    CHECK(m.str(m.events()[m.flows()[0].from_event].name) == "a");
    CHECK(m.str(m.events()[m.flows()[0].to_event].name) == "b");
}

TEST_CASE("B/E pairs become spans and nest with depths") {
    auto m = parse_text(R"J({"ph":"B","name":"outer","pid":1,"tid":1,"ts":0}
{"ph":"B","name":"inner","pid":1,"tid":1,"ts":1}
{"ph":"E","pid":1,"tid":1,"ts":2}
{"ph":"E","pid":1,"tid":1,"ts":4}
)J");
    CHECK(m.error.empty());
    REQUIRE(m.tracks().size() == 1);
    const Track& t = m.tracks()[0];
    REQUIRE(t.spans.size() == 2);
    CHECK(m.str(m.events()[t.spans[0]].name) == "outer");
    CHECK(m.events()[t.spans[0]].dur == doctest::Approx(4));
    CHECK(t.depth[1] == 1);
    CHECK(t.max_depth == 1);
    CHECK(m.span_at(0, 1.5) == t.spans[1]);
}

TEST_CASE("a malformed event is skipped and counted, the rest loads") {
    std::string text = kSmall;
    const auto at = text.find("{\"args\":{\"exit\":2}");
    text.insert(at + 1, "\"oops");  // a broken key
    auto m = parse_text(text);
    CHECK(m.skipped == 1);
    CHECK(m.event_count() == 11);
    CHECK(m.error.find("skipped 1 malformed event") != std::string::npos);
    CHECK(m.error.find("line 13") != std::string::npos);
    CHECK(m.metadata["exits"] == 3);  // the metadata after the array survives
}

TEST_CASE("a truncated trace loads what was complete") {
    std::string text = kSmall;
    text.resize(text.find("{\"args\":{\"instruction\":\"hlt\"") + 40);
    auto m = parse_text(text);
    CHECK(m.event_count() == 8);
    CHECK(m.skipped == 1);
    CHECK(m.error.find("truncated") != std::string::npos);
    CHECK(m.flows().size() == 2);
}

TEST_CASE("a line cut short in the middle costs only its event") {
    std::string text = kSmall;
    const auto at = text.find("{\"args\":{\"exit\":2}");
    text.erase(at + 20, text.find('\n', at) - (at + 20));  // keep '{"args":{"exit":2},"c'
    auto m = parse_text(text);
    CHECK(m.skipped == 1);
    CHECK(m.event_count() == 11);
    CHECK(m.metadata["exits"] == 3);
}

TEST_CASE("garbage between events is counted, not fatal") {
    auto m = parse_text(
        "{\"ph\":\"X\",\"name\":\"a\",\"pid\":1,\"tid\":1,\"ts\":0,\"dur\":1}\n"
        "this is not json\n"
        "{\"ph\":\"X\",\"name\":\"b\",\"pid\":1,\"tid\":1,\"ts\":2,\"dur\":1}\n");
    CHECK(m.event_count() == 2);
    CHECK(m.skipped == 1);
}

TEST_CASE("empty traces give an empty model") {
    for (const char* text : {"", "  \n", "{\"traceEvents\":[]}", "[]"}) {
        auto m = parse_text(text);
        CHECK(m.event_count() == 0);
        CHECK(m.tracks().empty());
        CHECK(m.error.empty());
        CHECK(exit_stats(m).total == 0);
        CHECK(notifications(m).chains.empty());
    }
}

TEST_CASE("a missing file is one clear error") {
    CHECK_THROWS_WITH(load_file("/nonexistent/trace.json"),
                      doctest::Contains("cannot read trace file '/nonexistent/trace.json'"));
}

TEST_CASE("live lines, a cut line is skipped") {
    TraceModel m;
    CHECK(m.add_line(R"J({"ph":"X","cat":"vmexit","name":"io","pid":1,"tid":1,"ts":1,"dur":1})J"));
    CHECK_FALSE(m.add_line(R"J({"ph":"X","cat":"vmexit","name":"io","pid":1,"ti)J"));
    CHECK(m.add_line(R"J({"ph":"X","cat":"vmexit","name":"hlt","pid":1,"tid":1,"ts":3,"dur":1})J"));
    m.finish();
    CHECK(m.event_count() == 2);
    CHECK(m.skipped == 1);
    CHECK(exit_stats(m).by_reason.size() == 2);
}

TEST_CASE("1,000,000 events load whole") {
    const std::string text = synthetic_kvm_trace(250000);  // 4 events per exit
    auto m = parse_text(text);
    CHECK(m.error.empty());
    CHECK(m.event_count() == 1000000);
    CHECK(m.flows().size() == 250000);
    const ExitStats s = exit_stats(m);
    CHECK(s.total == 250000);
    CHECK(s.by_reason.size() == 3);
}

TEST_CASE("analysis: exits by reason, by device and over time") {
    auto m = parse_text(kSmall);
    const ExitStats s = exit_stats(m, 10);
    CHECK(s.total == 3);
    REQUIRE(s.by_reason.size() == 2);
    CHECK(s.by_reason[0].name == "io");
    CHECK(s.by_reason[0].count == 2);
    CHECK(s.by_reason[0].total_ns == doctest::Approx(3000));
    REQUIRE(s.by_device.size() == 2);
    CHECK(s.by_device[0].name == "uart");
    CHECK(s.by_device[1].name == "vcpu");
    uint32_t sum = 0;
    for (const auto& row : s.rate)
        for (uint32_t v : row) sum += v;
    CHECK(sum == 3);
    REQUIRE(s.device_rate.size() == 2);
    uint32_t uart = 0;
    for (uint32_t v : s.device_rate[0]) uart += v;
    CHECK(uart == 2);
}

TEST_CASE("analysis: notification chains exit -> handler -> guest") {
    auto m = parse_text(kSmall);
    const Notifications n = notifications(m);
    REQUIRE(n.chains.size() == 3);
    const auto& c = n.chains[0];
    CHECK(c.t_exit == doctest::Approx(10.0));
    CHECK(c.t_notify == doctest::Approx(10.5));
    CHECK(c.t_done == doctest::Approx(11.5));
    CHECK(c.t_resume == doctest::Approx(12.0));
    REQUIRE(n.devices.size() == 2);
    CHECK(n.devices[0].device == "uart");
    CHECK(n.devices[0].count == 2);
    CHECK(n.devices[0].handler_us == doctest::Approx(0.75));
}

TEST_CASE("analysis: thread Gantt, user threads over LWPs over CPUs") {
    auto m = parse_text(R"J({"traceEvents":[
{"args":{"name":"CPU0"},"name":"thread_name","ph":"M","pid":1,"tid":201},
{"args":{"name":"L0"},"name":"thread_name","ph":"M","pid":1,"tid":101},
{"args":{"name":"U0"},"name":"thread_name","ph":"M","pid":1,"tid":1},
{"args":{"name":"U1"},"name":"thread_name","ph":"M","pid":1,"tid":2},
{"args":{"state":"RUNNING"},"cat":"thread","name":"RUNNING","ph":"X","pid":1,"tid":1,"ts":0,"dur":1000},
{"args":{"state":"BLOCKED"},"cat":"thread","name":"BLOCKED","ph":"X","pid":1,"tid":2,"ts":0,"dur":2000},
{"args":{"state":"RUNNING","thread":0},"cat":"thread","name":"RUNNING U0","ph":"X","pid":1,"tid":101,"ts":0,"dur":1000},
{"args":{"state":"RUNNING","thread":0},"cat":"thread","name":"L0 U0","ph":"X","pid":1,"tid":201,"ts":0,"dur":1000}
]})J");
    const Gantt g = thread_gantt(m);
    REQUIRE(g.lanes.size() == 4);
    CHECK(m.tracks()[g.lanes[0].track].name == "U0");
    CHECK(m.tracks()[g.lanes[1].track].name == "U1");
    CHECK(g.lanes[2].kind == TrackKind::Lwp);
    CHECK(g.lanes[3].kind == TrackKind::Cpu);
    CHECK(g.t1 == doctest::Approx(2000));
    const auto& u1 = m.tracks()[g.lanes[1].track];
    CHECK(thread_state(m, m.events()[u1.spans[0]]) == ThreadState::Blocked);
}

TEST_CASE("analysis: request spans split into queueing, service and disk") {
    auto m = parse_text(R"J([
{"cat":"request","name":"request","ph":"X","pid":1,"tid":3,"ts":0,"dur":10},
{"cat":"request","name":"queueing","ph":"X","pid":1,"tid":3,"ts":0,"dur":2},
{"cat":"request","name":"service","ph":"X","pid":1,"tid":3,"ts":2,"dur":8},
{"cat":"request","name":"disk","ph":"X","pid":1,"tid":3,"ts":4,"dur":5},
{"cat":"request","name":"request","ph":"X","pid":1,"tid":4,"ts":1,"dur":3},
{"cat":"request","name":"cpu","ph":"X","pid":1,"tid":4,"ts":1,"dur":3}])J");
    const Requests r = requests(m);
    REQUIRE(r.spans.size() == 2);
    CHECK(r.connections == 2);
    CHECK(r.spans[0].queueing_us == doctest::Approx(2));
    CHECK(r.spans[0].service_us == doctest::Approx(8));
    CHECK(r.spans[0].disk_us == doctest::Approx(5));
    CHECK(r.spans[0].segments.size() == 3);
    CHECK(r.spans[1].service_us == doctest::Approx(3));
    CHECK(r.mean_disk_us == doctest::Approx(2.5));
}

TEST_CASE("analysis: migration rounds and downtime, in the expected shape") {
    auto m = parse_text(R"J([
{"cat":"migration","name":"round","ph":"X","pid":1,"tid":1,"ts":0,"dur":10,"args":{"round":0,"pages_sent":16384,"pages_dirtied":900}},
{"cat":"migration","name":"round","ph":"X","pid":1,"tid":1,"ts":10,"dur":2,"args":{"round":1,"pages_sent":900,"pages_dirtied":80}},
{"cat":"migration","name":"downtime","ph":"X","pid":1,"tid":1,"ts":12,"dur":0.5}])J");
    const Migration g = migration(m);
    REQUIRE(g.rounds.size() == 2);
    CHECK(g.rounds[0].pages_sent == 16384);
    CHECK(g.rounds[1].pages_dirtied == 80);
    CHECK(g.downtime_us == doctest::Approx(0.5));
    CHECK(migration(parse_text(kSmall)).rounds.empty());
    CHECK(g.degraded_us == -1);
}

TEST_CASE("analysis: post-copy's degraded window and remote faults") {
    auto m = parse_text(R"J([
{"cat":"migration","name":"downtime","ph":"X","pid":1,"tid":2,"ts":0,"dur":1000},
{"cat":"migration","name":"degraded","ph":"X","pid":1,"tid":2,"ts":1000,"dur":5000},
{"cat":"migration","name":"remote-fault","ph":"i","s":"t","pid":1,"tid":2,"ts":1500},
{"cat":"migration","name":"remote-fault","ph":"i","s":"t","pid":1,"tid":2,"ts":2500}])J");
    const Migration g = migration(m);
    CHECK(g.rounds.empty());
    CHECK(g.downtime_us == doctest::Approx(1000));
    CHECK(g.degraded_ts == doctest::Approx(1000));
    CHECK(g.degraded_us == doctest::Approx(5000));
    CHECK(g.remote_faults == std::vector<double>{1500, 2500});
}

TEST_CASE("analysis: a cluster's hosts, VM bars, migrations and powered-off hosts") {
    // Two hosts and the cluster's own pid 3; vm1 moves from h1 to h2, h1 is
    // then powered off; vm2 fits nowhere.
    auto m = parse_text(R"J([
{"ph":"M","name":"process_name","pid":1,"args":{"name":"h1 (8192 MiB, 4 CPUs)"}},
{"ph":"M","name":"process_name","pid":2,"args":{"name":"h2 (8192 MiB, 4 CPUs)"}},
{"cat":"cluster","name":"host","ph":"i","s":"t","pid":1,"tid":0,"ts":0,"args":{"host":"h1"}},
{"cat":"cluster","name":"host","ph":"i","s":"t","pid":2,"tid":0,"ts":0,"args":{"host":"h2"}},
{"cat":"cluster","name":"place","ph":"i","s":"t","pid":1,"tid":1,"ts":0,"args":{"vm":"vm1","host":"h1"}},
{"cat":"cluster","name":"fits-nowhere","ph":"i","s":"t","pid":3,"tid":0,"ts":1000000,"args":{"vm":"vm2"}},
{"cat":"cluster","name":"vm1","ph":"X","pid":1,"tid":1,"ts":0,"dur":2000000,"args":{"vm":"vm1","host":"h1"}},
{"cat":"cluster","name":"migrate","ph":"X","pid":1,"tid":1,"ts":2000000,"dur":500000,"args":{"vm":"vm1","from":"h1","to":"h2"}},
{"cat":"cluster","name":"vm1","ph":"X","pid":2,"tid":1,"ts":2500000,"dur":1000000,"args":{"vm":"vm1","host":"h2"}},
{"cat":"cluster","name":"power-off","ph":"i","s":"t","pid":1,"tid":0,"ts":2500000,"args":{"host":"h1"}}])J");
    const ClusterView c = cluster(m);
    REQUIRE(c.hosts.size() == 2);
    CHECK(c.hosts[0].name == "h1 (8192 MiB, 4 CPUs)");
    CHECK(c.hosts[0].powered_off);
    CHECK(c.hosts[0].off_ts == doctest::Approx(2500000));
    CHECK_FALSE(c.hosts[1].powered_off);
    REQUIRE(c.bars.size() == 2);
    CHECK(c.bars[0].host == 0);
    CHECK(c.bars[1].host == 1);
    CHECK(c.bars[1].vm == "vm1");
    REQUIRE(c.moves.size() == 1);
    CHECK(c.moves[0].from == 0);
    CHECK(c.moves[0].to == 1);
    CHECK(c.moves[0].dur == doctest::Approx(500000));
    CHECK(c.fits_nowhere == std::vector<std::string>{"vm2"});
    CHECK(c.t1 == doctest::Approx(3500000));
    CHECK(cluster(parse_text(kSmall)).hosts.empty());
}

TEST_CASE("analysis: translation cache blocks and chains, in the expected shape") {
    auto m = parse_text(R"J([
{"cat":"bt","name":"translate","ph":"X","pid":1,"tid":1,"ts":0,"dur":1,"args":{"block":"0x100020","size":12}},
{"cat":"bt","name":"translate","ph":"X","pid":1,"tid":1,"ts":1,"dur":1,"args":{"block":"0x100010","size":16}},
{"cat":"bt","name":"chain","ph":"i","pid":1,"tid":1,"ts":2,"args":{"from":"0x100010","to":"0x100020"}},
{"cat":"bt","name":"cache-hit","ph":"i","pid":1,"tid":1,"ts":3,"args":{"block":"0x100010"}},
{"cat":"bt","name":"callout","ph":"i","pid":1,"tid":1,"ts":4,"args":{"block":"0x100020"}}])J");
    const TranslationCacheView c = translation_cache(m);
    REQUIRE(c.blocks.size() == 2);
    CHECK(c.blocks[0].address == 0x100010);
    CHECK(c.blocks[0].size == 16);
    CHECK(c.blocks[0].hits == 1);
    CHECK(c.blocks[1].callouts == 1);
    REQUIRE(c.chains.size() == 1);
    CHECK(c.chains[0].from == 0);
    CHECK(c.chains[0].to == 1);
}

TEST_CASE("args are read without a full decode") {
    const std::string_view a =
        R"J({"port":"0x3f8","size":1,"instruction":"mov dword ptr [ebx], eax","q":"a\"b"})J";
    CHECK(arg(a, "port") == "0x3f8");
    CHECK(arg_number(a, "port") == 0x3f8);
    CHECK(arg_number(a, "size") == 1);
    CHECK(arg(a, "instruction") == "mov dword ptr [ebx], eax");
    CHECK(arg(a, "q") == "a\"b");
    CHECK(arg(a, "missing").empty());
    CHECK(arg_number(a, "missing", -1) == -1);
}
