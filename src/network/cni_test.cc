// Unit tests for cni: conflist validation, the configuration each plugin
// gets (runtimeConfig by capability, prevResult), results of every spec
// version, and the ADD/DEL/CHECK protocol against fake plugins: shell
// scripts in a temp dir that record their stdin, environment and call
// order, and print canned results or errors.
#include "network/cni.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "base/fs.h"
#include "base/json.h"

namespace hutch::network {
namespace {

// ---- parse_conflist ----

TEST(ParseConflist, ReadsNameVersionAndPlugins) {
  auto l = parse_conflist(R"({"cniVersion":"1.0.0","name":"net1","disableCheck":true,
    "plugins":[{"type":"bridge","bridge":"hutch0"},{"type":"portmap","capabilities":{"portMappings":true}}]})");
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->name, "net1");
  EXPECT_EQ(l->cni_version, "1.0.0");
  EXPECT_TRUE(l->disable_check);
  ASSERT_EQ(l->types, (std::vector<std::string>{"bridge", "portmap"}));
  EXPECT_EQ(l->plugin_json[0], R"({"type":"bridge","bridge":"hutch0"})");
}

TEST(ParseConflist, TakesASinglePluginConfAsAListOfOne) {
  auto l = parse_conflist(R"({"cniVersion":"0.3.1","name":"n","type":"macvlan","master":"eth0"})");
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->types, std::vector<std::string>{"macvlan"});
  EXPECT_NE(l->plugin_json[0].find("\"master\":\"eth0\""), std::string::npos);
}

TEST(ParseConflist, ErrorsNameTheJsonPath) {
  struct Case {
    const char* json;
    const char* error;
  } cases[] = {
      {R"([])", "network configuration: not a JSON object"},
      {R"({"cniVersion":"1.0.0","plugins":[{"type":"x"}]})", "name: missing"},
      {R"({"name":"n","plugins":[{"type":"x"}]})", "cniVersion: missing"},
      {R"({"name":"n","cniVersion":"one","plugins":[{"type":"x"}]})", "cniVersion: \"one\" is not a version (x.y.z)"},
      {R"({"name":"n","cniVersion":"1.0.0"})", "plugins: missing"},
      {R"({"name":"n","cniVersion":"1.0.0","plugins":[]})", "plugins: not a non-empty array"},
      {R"({"name":"n","cniVersion":"1.0.0","plugins":[{"type":"a"},{}]})", "plugins[1].type: missing"},
      {R"({"name":"n","cniVersion":"1.0.0","plugins":[{"type":"a"},{"type":7}]})", "plugins[1].type: not a string"},
      {R"({"name":"n","cniVersion":"1.0.0","plugins":[{"type":"../sbin/x"}]})",
       "plugins[0].type: \"../sbin/x\" is not a plugin name"},
      {R"({"name":"n","cniVersion":"1.0.0","plugins":[3]})", "plugins[0]: not an object"},
      {R"({"name":"n","cniVersion":"1.0.0","plugins":[{"type":"a","capabilities":[]}]})",
       "plugins[0].capabilities: not an object"},
      {R"({"name":"n","cniVersion":"1.0.0","disableCheck":"yes","plugins":[{"type":"a"}]})",
       "disableCheck: not a boolean"},
  };
  for (const auto& c : cases) {
    auto l = parse_conflist(c.json);
    ASSERT_FALSE(l.ok()) << c.json;
    EXPECT_EQ(l.error().message(), c.error) << c.json;
    EXPECT_EQ(l.error().code(), EINVAL);
  }
  auto bad = parse_conflist("{");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message().rfind("network configuration: invalid JSON", 0), 0u) << bad.error().message();
}

TEST(CompareVersions, OrdersNumerically) {
  EXPECT_LT(compare_versions("0.3.1", "0.4.0"), 0);
  EXPECT_EQ(compare_versions("0.4.0", "0.4"), 0);
  EXPECT_GT(compare_versions("1.0.0", "0.10.0"), 0);
  EXPECT_GT(compare_versions("0.10.0", "0.9.9"), 0);
}

// ---- plugin_config ----

json::Ptr config_of(const char* list_json, size_t index, const RuntimeConfig& rc, const std::string& prev = "") {
  auto l = parse_conflist(list_json);
  EXPECT_TRUE(l.ok());
  auto c = plugin_config(*l, index, rc, prev);
  EXPECT_TRUE(c.ok()) << c.error().message();
  auto j = json::parse(*c);
  EXPECT_TRUE(j.ok());
  return std::move(*j);
}

constexpr const char* kCapsList = R"({"cniVersion":"1.0.0","name":"web","plugins":[
  {"type":"bridge","capabilities":{"ips":true,"mac":true}},
  {"type":"portmap","capabilities":{"portMappings":true,"aliases":false}},
  {"type":"firewall"},
  {"type":"dns","capabilities":{"aliases":true},"runtimeConfig":{"keep":1}}]})";

TEST(PluginConfig, AddsNameVersionAndPrevResult) {
  json::Ptr c = config_of(kCapsList, 2, {}, R"({"cniVersion":"1.0.0","ips":[]})");
  EXPECT_EQ(json::dump(c.get()),
            R"({"type":"firewall","cniVersion":"1.0.0","name":"web","prevResult":{"cniVersion":"1.0.0","ips":[]}})");
}

TEST(PluginConfig, GivesEachPluginOnlyTheRuntimeConfigItsCapabilitiesEnable) {
  RuntimeConfig rc;
  rc.port_mappings = {{"", 8080, 80, "tcp"}, {"127.0.0.1", 5353, 53, "udp"}};
  rc.ips = {"172.20.0.5/16"};
  rc.mac = "02:42:ac:14:00:05";
  rc.aliases = {"web", "www"};
  json::Ptr bridge = config_of(kCapsList, 0, rc);
  EXPECT_EQ(json::dump(json_object_get(bridge.get(), "runtimeConfig")),
            R"({"ips":["172.20.0.5/16"],"mac":"02:42:ac:14:00:05"})");
  json::Ptr portmap = config_of(kCapsList, 1, rc);
  EXPECT_EQ(json::dump(json_object_get(portmap.get(), "runtimeConfig")),
            R"({"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},)"
            R"({"hostPort":5353,"containerPort":53,"protocol":"udp","hostIP":"127.0.0.1"}]})");
  json::Ptr firewall = config_of(kCapsList, 2, rc);
  EXPECT_EQ(json_object_get(firewall.get(), "runtimeConfig"), nullptr);
  json::Ptr dns = config_of(kCapsList, 3, rc);
  EXPECT_EQ(json::dump(json_object_get(dns.get(), "runtimeConfig")), R"({"aliases":["web","www"]})");
}

TEST(PluginConfig, LeavesOutUnsetKeysAndKeepsTheConfsOwnRuntimeConfigThen) {
  json::Ptr portmap = config_of(kCapsList, 1, RuntimeConfig{});
  EXPECT_EQ(json_object_get(portmap.get(), "runtimeConfig"), nullptr);
  json::Ptr dns = config_of(kCapsList, 3, RuntimeConfig{});
  EXPECT_EQ(json::dump(json_object_get(dns.get(), "runtimeConfig")), R"({"keep":1})");
}

TEST(PluginConfig, RejectsAPrevResultThatIsNotAnObject) {
  auto l = parse_conflist(kCapsList);
  ASSERT_TRUE(l.ok());
  auto c = plugin_config(*l, 0, {}, "[1]");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), "prevResult: not a JSON object");
}

// ---- parse_result ----

TEST(ParseResult, ReadsA100ResultAndTheSandboxInterfacesMac) {
  auto r = parse_result(R"({"cniVersion":"1.0.0",
    "interfaces":[{"name":"hutch0","mac":"aa:aa:aa:aa:aa:aa"},{"name":"veth1","mac":"bb:bb:bb:bb:bb:bb"},
                  {"name":"eth0","mac":"02:00:00:00:00:05","sandbox":"/run/netns/x"}],
    "ips":[{"address":"172.20.0.5/16","gateway":"172.20.0.1","interface":2},
           {"address":"10.9.9.9/8","interface":0},
           {"address":"fd00::5/64","gateway":"fd00::1","interface":2}],
    "routes":[{"dst":"0.0.0.0/0"}],"dns":{}})",
                        "eth0");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->mac, "02:00:00:00:00:05");
  ASSERT_EQ(r->ips.size(), 2u);  // not the host-side interface's
  EXPECT_EQ(r->ips[0].address, "172.20.0.5/16");
  EXPECT_EQ(r->ips[0].gateway, "172.20.0.1");
  EXPECT_EQ(r->ips[1].address, "fd00::5/64");
}

TEST(ParseResult, ReadsA031ResultWithoutInterfaces) {
  auto r = parse_result(R"({"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.0.0.2/24"}]})", "eth0");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->ips.size(), 1u);
  EXPECT_EQ(r->ips[0].address, "10.0.0.2/24");
  EXPECT_EQ(r->ips[0].gateway, "");
  EXPECT_EQ(r->mac, "");
}

TEST(ParseResult, ReadsA020ResultsIp4AndIp6) {
  auto r = parse_result(R"({"cniVersion":"0.2.0","ip4":{"ip":"10.1.0.5/16","gateway":"10.1.0.1","routes":[]},
    "ip6":{"ip":"fd01::5/64"}})",
                        "eth0");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->ips.size(), 2u);
  EXPECT_EQ(r->ips[0].address, "10.1.0.5/16");
  EXPECT_EQ(r->ips[0].gateway, "10.1.0.1");
  EXPECT_EQ(r->ips[1].address, "fd01::5/64");
}

TEST(ParseResult, IgnoresAnInterfaceOutsideTheSandboxOrWithWrongTypes) {
  auto r = parse_result(R"({"interfaces":[{"name":"eth0","mac":"aa:aa:aa:aa:aa:aa"},7,{"name":3},
    {"name":"eth0","sandbox":"/x","mac":5}],"ips":[]})",
                        "eth0");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->mac, "");
}

TEST(ParseResult, RejectsMalformedResults) {
  struct Case {
    const char* json;
    const char* error;
  } cases[] = {
      {R"([1])", "result: not a JSON object"},
      {R"({"ips":{}})", "result: ips: not an array"},
      {R"({"ips":[5]})", "result: ips[0]: not an object"},
      {R"({"ips":[{"gateway":"1.2.3.4"}]})", "result: ips[0].address: missing"},
      {R"({"ips":[{"address":1}]})", "result: ips[0].address: not a string"},
      {R"({"ips":[{"address":"1.2.3.4/8","gateway":[]}]})", "result: ips[0].gateway: not a string"},
      {R"({"ip4":{"gateway":"1.2.3.4"}})", "result: ip4.ip: missing"},
  };
  for (const auto& c : cases) {
    auto r = parse_result(c.json, "eth0");
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().message(), c.error) << c.json;
  }
  EXPECT_FALSE(parse_result("", "eth0").ok());
  EXPECT_FALSE(parse_result("{\"ips\":[", "eth0").ok());
}

// ---- default_plugin_dirs ----

TEST(DefaultPluginDirs, SplitsCniPathElseListsExistingDefaults) {
  ::setenv("CNI_PATH", "/a::/b", 1);
  EXPECT_EQ(default_plugin_dirs(), (std::vector<std::string>{"/a", "/b"}));
  ::unsetenv("CNI_PATH");
  for (const auto& d : default_plugin_dirs()) EXPECT_TRUE(fs::exists(d)) << d;
}

// ---- the protocol, with fake plugins ----

// Each fake plugin appends "<name> <command>" to calls, saves its stdin as
// <name>.<command>.json and its environment as <name>.<command>.env (in
// the test's log directory), then runs `tail`.
class FakePlugins : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "hutch-cni-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    bin_ = root_ + "/bin";
    log_ = root_ + "/log";
    ASSERT_TRUE(fs::mkdir_p(bin_).ok());
    ASSERT_TRUE(fs::mkdir_p(log_).ok());
    // ADD prints a 1.0.0 result whose address ends in the call number, so
    // prevResult shows which plugin's result was passed on.
    plugin("rec-a", kResult);
    plugin("rec-b", kResult);
    plugin("rec-c", kResult);
    plugin("fail", R"(printf '{"code":7,"msg":"bad config","details":"field \"x\""}'; echo oops >&2; exit 1)");
    plugin("slow", "sleep 30 & wait");
    plugin("deaf", "exec >/dev/null; echo", false);  // reads no stdin
    plugin(
        "old",
        R"([ "$CNI_COMMAND" = ADD ] && printf '{"cniVersion":"0.2.0","ip4":{"ip":"10.1.0.5/16","gateway":"10.1.0.1"}}'; exit 0)");
    plugin("junk", R"([ "$CNI_COMMAND" = ADD ] && echo 'not json'; exit 0)");
    plugin("crash", "kill -SEGV $$");
    inv_.container_id = "c0ffee";
    inv_.netns = "/run/netns/test";
    inv_.ifname = "eth0";
    inv_.plugin_dirs = {root_ + "/none", bin_};
    inv_.timeout_ms = 10000;
  }
  void TearDown() override { (void)fs::remove_all(root_); }

  static constexpr const char* kResult =
      R"(n=$(wc -l < "$L/calls")
[ "$CNI_COMMAND" = ADD ] && printf '{"cniVersion":"1.0.0","interfaces":[{"name":"%s","mac":"02:00:00:00:00:0%s","sandbox":"%s"}],"ips":[{"address":"10.0.0.%s/24","gateway":"10.0.0.1","interface":0}]}' "$CNI_IFNAME" "$n" "$CNI_NETNS" "$n"
exit 0)";

  void plugin(const std::string& name, const std::string& tail, bool read_stdin = true) {
    std::string s = "#!/bin/sh\nL='" + log_ + "'\nme=${0##*/}\necho \"$me $CNI_COMMAND\" >> \"$L/calls\"\n";
    if (read_stdin) s += "cat > \"$L/$me.$CNI_COMMAND.json\"\n";
    s += "env > \"$L/$me.$CNI_COMMAND.env\"\ngrep SigBlk /proc/$$/status > \"$L/$me.$CNI_COMMAND.sigblk\"\n";
    s += tail + "\n";
    ASSERT_TRUE(fs::write_file(bin_ + "/" + name, s, 0755).ok());
  }

  std::string list(const std::vector<std::string>& types, const std::string& version = "1.0.0") {
    std::string j = R"({"cniVersion":")" + version + R"(","name":"testnet","plugins":[)";
    for (size_t i = 0; i < types.size(); ++i) j += (i ? "," : "") + std::string(R"({"type":")") + types[i] + "\"}";
    return j + "]}";
  }
  std::string calls() { return read("calls"); }
  std::string read(const std::string& name) {
    auto r = fs::read_file(log_ + "/" + name);
    return r.ok() ? *r : "";
  }
  // The prevResult a plugin got, compact; "" when none.
  std::string prev_of(const std::string& file) {
    auto j = json::parse(read(file));
    if (!j.ok()) return "<unreadable>";
    json_t* p = json_object_get(j->get(), "prevResult");
    return p ? json::dump(p) : "";
  }

  std::string root_, bin_, log_;
  Invocation inv_;
};

TEST_F(FakePlugins, AddChainsPrevResultAndReturnsTheLastResult) {
  auto r = add(list({"rec-a", "rec-b", "rec-c"}), inv_);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(calls(), "rec-a ADD\nrec-b ADD\nrec-c ADD\n");
  EXPECT_EQ(prev_of("rec-a.ADD.json"), "");
  EXPECT_NE(prev_of("rec-b.ADD.json").find("10.0.0.1/24"), std::string::npos);
  EXPECT_NE(prev_of("rec-c.ADD.json").find("10.0.0.2/24"), std::string::npos);
  ASSERT_EQ(r->ips.size(), 1u);
  EXPECT_EQ(r->ips[0].address, "10.0.0.3/24");
  EXPECT_EQ(r->ips[0].gateway, "10.0.0.1");
  EXPECT_EQ(r->mac, "02:00:00:00:00:03");
  EXPECT_NE(r->raw.find("10.0.0.3/24"), std::string::npos);
  auto conf = json::parse(read("rec-b.ADD.json"));
  ASSERT_TRUE(conf.ok());
  EXPECT_EQ(json::string_of(conf->get(), "name"), "testnet");
  EXPECT_EQ(json::string_of(conf->get(), "cniVersion"), "1.0.0");
  EXPECT_EQ(json::string_of(conf->get(), "type"), "rec-b");
}

TEST_F(FakePlugins, PluginsGetACleanEnvironmentWithTheCniVariablesAndNoBlockedSignals) {
  ::setenv("HUTCH_TEST_LEAK", "1", 1);
  inv_.args = {{"IgnoreUnknown", "1"}, {"IP", "10.0.0.9"}};
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &term, &old);
  auto r = add(list({"rec-a"}), inv_);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  ::unsetenv("HUTCH_TEST_LEAK");
  ASSERT_TRUE(r.ok()) << r.error().message();
  std::string env = read("rec-a.ADD.env");
  for (const char* v : {"PATH=/usr/sbin:/usr/bin:/sbin:/bin\n", "CNI_COMMAND=ADD\n", "CNI_CONTAINERID=c0ffee\n",
                        "CNI_NETNS=/run/netns/test\n", "CNI_IFNAME=eth0\n", "CNI_ARGS=IgnoreUnknown=1;IP=10.0.0.9\n"})
    EXPECT_NE(env.find(v), std::string::npos) << v << " in\n" << env;
  EXPECT_NE(env.find("CNI_PATH=" + root_ + "/none:" + bin_ + "\n"), std::string::npos) << env;
  EXPECT_EQ(env.find("HUTCH_TEST_LEAK"), std::string::npos) << env;
  EXPECT_EQ(read("rec-a.ADD.sigblk"), "SigBlk:\t0000000000000000\n");
}

TEST_F(FakePlugins, AFailingPluginIsUndoneInReverseAndNamedInTheError) {
  auto r = add(list({"rec-a", "rec-b", "fail", "rec-c"}), inv_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "network \"testnet\": plugin \"fail\": bad config: field \"x\" (stderr: oops)");
  EXPECT_EQ(calls(), "rec-a ADD\nrec-b ADD\nfail ADD\nfail DEL\nrec-b DEL\nrec-a DEL\n");
  // DEL gets the last result there was, as it would the list's result.
  EXPECT_NE(prev_of("rec-a.DEL.json").find("10.0.0.2/24"), std::string::npos);
  EXPECT_NE(prev_of("fail.DEL.json").find("10.0.0.2/24"), std::string::npos);
}

TEST_F(FakePlugins, AnUnreadableResultFailsTheAddAndIsUndone) {
  auto r = add(list({"rec-a", "junk"}), inv_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().rfind("network \"testnet\": plugin \"junk\": result: invalid JSON", 0), 0u)
      << r.error().message();
  EXPECT_EQ(calls(), "rec-a ADD\njunk ADD\njunk DEL\nrec-a DEL\n");
}

TEST_F(FakePlugins, AMissingPluginSaysWhereItLookedAndUndoesTheOthers) {
  auto r = add(list({"rec-a", "nosuch"}), inv_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().message(), "network \"testnet\": CNI plugin \"nosuch\" not found in " + root_ + "/none:" + bin_ +
                                     " (install containernetworking-plugins, or set CNI_PATH)");
  EXPECT_EQ(calls(), "rec-a ADD\nrec-a DEL\n");  // not DEL on a plugin that never ran
}

TEST_F(FakePlugins, ASlowPluginIsKilledAtTheTimeLimit) {
  inv_.timeout_ms = 300;
  auto t0 = std::chrono::steady_clock::now();
  auto r = add(list({"slow"}), inv_);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  EXPECT_EQ(r.error().message(), "network \"testnet\": plugin \"slow\": killed after the time limit of 300 ms");
  // ADD and the undoing DEL, each killed at 300 ms; the background sleep too.
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(calls(), "slow ADD\nslow DEL\n");
}

TEST_F(FakePlugins, ACrashIsReportedWithTheSignal) {
  auto r = add(list({"crash"}), inv_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "network \"testnet\": plugin \"crash\": killed by signal 11");
}

TEST_F(FakePlugins, WritesLargeConfigsFullyAndSurvivesAPluginThatReadsNone) {
  std::string big(1 << 20, 'x');  // well past a socket buffer
  std::string l = R"({"cniVersion":"1.0.0","name":"testnet","plugins":[{"type":"rec-a","blob":")" + big +
                  R"("},{"type":"deaf","blob":")" + big + R"("}]})";
  auto r = add(l, inv_);
  // deaf printed no result: a failed ADD, but no SIGPIPE on our side.
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(calls(), "rec-a ADD\ndeaf ADD\ndeaf DEL\nrec-a DEL\n");
  auto conf = json::parse(read("rec-a.ADD.json"));
  ASSERT_TRUE(conf.ok());
  EXPECT_EQ(json::string_of(conf->get(), "blob").size(), big.size());
}

TEST_F(FakePlugins, ReadsAnOldVersionsResult) {
  auto r = add(list({"old"}, "0.2.0"), inv_);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->ips.size(), 1u);
  EXPECT_EQ(r->ips[0].address, "10.1.0.5/16");
  EXPECT_EQ(r->ips[0].gateway, "10.1.0.1");
}

TEST_F(FakePlugins, DelRunsInReverseWithPrevResultPastFailuresWithoutANetns) {
  inv_.netns = "";
  Status s = del(list({"rec-a", "fail", "rec-b"}), inv_, R"({"cniVersion":"1.0.0","ips":[]})");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "network \"testnet\": plugin \"fail\": bad config: field \"x\" (stderr: oops)");
  EXPECT_EQ(calls(), "rec-b DEL\nfail DEL\nrec-a DEL\n");
  EXPECT_EQ(prev_of("rec-a.DEL.json"), R"({"cniVersion":"1.0.0","ips":[]})");
  EXPECT_EQ(read("rec-a.DEL.env").find("CNI_NETNS"), std::string::npos);
}

TEST_F(FakePlugins, DelBefore040GetsNoPrevResult) {
  ASSERT_TRUE(del(list({"rec-a"}, "0.3.1"), inv_, R"({"cniVersion":"0.3.1","ips":[]})").ok());
  EXPECT_EQ(prev_of("rec-a.DEL.json"), "");
}

TEST_F(FakePlugins, CheckRunsInOrderFrom040) {
  std::string prev = R"({"cniVersion":"1.0.0","ips":[]})";
  ASSERT_TRUE(check(list({"rec-a", "rec-b"}), inv_, prev).ok());
  EXPECT_EQ(calls(), "rec-a CHECK\nrec-b CHECK\n");
  EXPECT_EQ(prev_of("rec-b.CHECK.json"), prev);
  Status old = check(list({"rec-a"}, "0.3.1"), inv_, prev);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code(), ENOTSUP);
  Status failed = check(list({"rec-a", "fail", "rec-b"}), inv_, prev);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(calls(), "rec-a CHECK\nrec-b CHECK\nrec-a CHECK\nfail CHECK\n");
}

TEST_F(FakePlugins, CheckIsSkippedWhenTheListDisablesIt) {
  std::string l = R"({"cniVersion":"1.0.0","name":"n","disableCheck":true,"plugins":[{"type":"fail"}]})";
  EXPECT_TRUE(check(l, inv_, "{}").ok());
  EXPECT_EQ(calls(), "");
}

TEST_F(FakePlugins, AddNeedsTheInvocationsParameters) {
  Invocation no_ns = inv_;
  no_ns.netns = "";
  EXPECT_EQ(add(list({"rec-a"}), no_ns).error().code(), EINVAL);
  Invocation no_id = inv_;
  no_id.container_id = "";
  EXPECT_EQ(add(list({"rec-a"}), no_id).error().code(), EINVAL);
  EXPECT_EQ(calls(), "");
}

}  // namespace
}  // namespace hutch::network
