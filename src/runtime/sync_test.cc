#include "runtime/sync.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace hutch::runtime {
namespace {

std::pair<SyncChannel, SyncChannel> make() {
  auto r = SyncChannel::make_pair();
  EXPECT_TRUE(r.ok()) << r.error().message();
  return std::move(r).value();
}

TEST(Sync, SendRecvKeepsTypeValueAndText) {
  auto [a, b] = make();
  ASSERT_TRUE(a.send(SyncType::kPid, 4242, "init").ok());
  ASSERT_TRUE(a.send(SyncType::kGo).ok());
  auto m = b.recv();
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->type, SyncType::kPid);
  EXPECT_EQ(m->value, 4242);
  EXPECT_EQ(m->text, "init");
  auto go = b.recv();  // message boundaries are kept (SOCK_SEQPACKET)
  ASSERT_TRUE(go.ok());
  EXPECT_EQ(go->type, SyncType::kGo);
  EXPECT_EQ(go->value, 0);
  EXPECT_EQ(go->text, "");
}

TEST(Sync, BothDirections) {
  auto [parent, child] = make();
  ASSERT_TRUE(child.send(SyncType::kRunHooks).ok());
  EXPECT_TRUE(parent.expect(SyncType::kRunHooks).ok());
  ASSERT_TRUE(parent.send(SyncType::kGo).ok());
  EXPECT_TRUE(child.expect(SyncType::kGo).ok());
}

TEST(Sync, TextIsCappedAt4096Bytes) {
  auto [a, b] = make();
  std::string big(10000, 'x');
  ASSERT_TRUE(a.send(SyncType::kCreated, -1, big).ok());
  auto m = b.recv();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->value, -1);
  EXPECT_EQ(m->text, std::string(4096, 'x'));
}

TEST(Sync, ErrorTravelsWithCodeAndFullText) {
  auto [parent, child] = make();
  Error e(ENOENT, "mount \"/proc\"");
  e.context("prepare rootfs");
  ASSERT_TRUE(child.send_error(e).ok());
  auto s = parent.expect(SyncType::kCreated);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ENOENT);
  // The errno text was added by the sender, and is not added twice.
  EXPECT_EQ(s.error().message(), "prepare rootfs: mount \"/proc\": " + std::string(std::strerror(ENOENT)));
  s.error().context("create container");
  EXPECT_EQ(s.error().message(),
            "create container: prepare rootfs: mount \"/proc\": " + std::string(std::strerror(ENOENT)));
}

TEST(Sync, ExecFailedIsAnError) {
  auto [parent, child] = make();
  ASSERT_TRUE(child.send(SyncType::kExecFailed, EACCES, "exec: \"x\": permission denied").ok());
  auto s = parent.expect(SyncType::kGo);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EACCES);
  EXPECT_EQ(s.error().message(), "exec: \"x\": permission denied");
}

TEST(Sync, UnexpectedTypeIsAProtocolError) {
  auto [a, b] = make();
  ASSERT_TRUE(a.send(SyncType::kCreated).ok());
  auto s = b.expect(SyncType::kGo);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EPROTO);
  EXPECT_EQ(s.error().innermost(), "sync: unexpected message 3");
}

TEST(Sync, PeerGoneIsEpipe) {
  auto [a, b] = make();
  b.close();
  auto m = a.recv();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), EPIPE);
  EXPECT_EQ(m.error().innermost(), "container process exited during setup");
  auto st = a.expect(SyncType::kGo);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), EPIPE);
  auto sent = a.send(SyncType::kGo);  // no SIGPIPE: MSG_NOSIGNAL
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code(), EPIPE);
}

TEST(Sync, ChildExitDuringSetupIsEpipe) {
  auto [parent, child] = make();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    parent.close();
    ::_exit(child.send(SyncType::kPid, 7).ok() ? 0 : 1);
  }
  child.close();
  auto m = parent.recv();
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->value, 7);
  auto gone = parent.recv();
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code(), EPIPE);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(Sync, ShortMessageIsAProtocolError) {
  auto [a, b] = make();
  ASSERT_EQ(::send(a.fd(), "ab", 2, 0), 2);
  auto m = b.recv();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), EPROTO);
}

}  // namespace
}  // namespace hutch::runtime
