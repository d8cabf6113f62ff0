#include "runtime/seccomp.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <jansson.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>

namespace hutch::runtime::seccomp {
namespace {

using A = oci::SeccompAction;
using Op = oci::SeccompOp;

oci::SeccompSyscall entry(std::vector<std::string> names, A action,
                          std::optional<uint32_t> errno_ret = std::nullopt,
                          std::vector<oci::SeccompArg> args = {}) {
  return {std::move(names), action, errno_ret, std::move(args)};
}

oci::Seccomp allow_but(std::vector<oci::SeccompSyscall> syscalls) {
  oci::Seccomp p;
  p.default_action = A::kAllow;
  p.syscalls = std::move(syscalls);
  return p;
}

std::string plan_error(const oci::Seccomp& p) {
  auto r = plan(p);
  return r ? "no error" : r.error().message();
}

// Runs fn in a forked child after no_new_privs; returns the wait status.
// fn returns 0 on success, or the number of the check that failed.
int in_child(const std::function<int()>& fn) {
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit no_core = {0, 0};  // SIGSYS would dump core
    setrlimit(RLIMIT_CORE, &no_core);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
    _exit(fn());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// Compiles and loads in the child; 101/102 mean compile/load failed.
int load_or_fail(const oci::Seccomp& p, int* notify_fd = nullptr) {
  auto f = compile(p);
  if (!f) return fprintf(stderr, "%s\n", f.error().message().c_str()), 101;
  auto fd = load(*f);
  if (!fd) return fprintf(stderr, "%s\n", fd.error().message().c_str()), 102;
  if (notify_fd) *notify_fd = *fd;
  return 0;
}

// Result of a raw syscall: its value, or -errno.
long raw(long r) { return r < 0 ? -errno : r; }

TEST(SeccompPlan, Actions) {
  EXPECT_EQ(*action_value(A::kErrno, std::nullopt), SCMP_ACT_ERRNO(EPERM));
  EXPECT_EQ(*action_value(A::kErrno, ENOSYS), SCMP_ACT_ERRNO(ENOSYS));
  EXPECT_EQ(*action_value(A::kTrace, std::nullopt), SCMP_ACT_TRACE(EPERM));
  EXPECT_EQ(*action_value(A::kTrace, 7), SCMP_ACT_TRACE(7));
  EXPECT_EQ(*action_value(A::kKill, std::nullopt), SCMP_ACT_KILL);
  EXPECT_EQ(*action_value(A::kKillThread, std::nullopt), SCMP_ACT_KILL_THREAD);
  EXPECT_EQ(*action_value(A::kKillProcess, std::nullopt), SCMP_ACT_KILL_PROCESS);
  EXPECT_EQ(*action_value(A::kTrap, std::nullopt), SCMP_ACT_TRAP);
  EXPECT_EQ(*action_value(A::kAllow, std::nullopt), SCMP_ACT_ALLOW);
  EXPECT_EQ(*action_value(A::kLog, std::nullopt), SCMP_ACT_LOG);
  EXPECT_EQ(*action_value(A::kNotify, std::nullopt), SCMP_ACT_NOTIFY);
  EXPECT_FALSE(action_value(A::kErrno, 70000));
}

TEST(SeccompPlan, DefaultAction) {
  oci::Seccomp p;
  p.default_action = A::kErrno;
  p.default_errno_ret = ENOSYS;
  EXPECT_EQ(plan(p)->default_action, SCMP_ACT_ERRNO(ENOSYS));
  p.default_action = A::kAllow;
  EXPECT_EQ(plan_error(p),
            "linux.seccomp.defaultErrnoRet: errno 38 is not supported by action SCMP_ACT_ALLOW: "
            "Invalid argument");
  p.default_errno_ret.reset();
  p.default_action = A::kNotify;
  EXPECT_EQ(plan(p).error().innermost(), "SCMP_ACT_NOTIFY cannot be the default action");
}

TEST(SeccompPlan, Errors) {
  auto p = allow_but({entry({"mkdir"}, A::kErrno), entry({"getcwd"}, A::kAllow, 5)});
  EXPECT_EQ(plan_error(p),
            "linux.seccomp.syscalls[1].errnoRet: errno 5 is not supported by action "
            "SCMP_ACT_ALLOW: Invalid argument");
  p = allow_but({entry({}, A::kErrno)});
  EXPECT_EQ(plan(p).error().message(),
            "linux.seccomp.syscalls[0].names: must contain at least one entry: Invalid argument");
  p = allow_but({entry({"a"}, A::kErrno), entry({"b"}, A::kErrno), entry({"c"}, A::kErrno),
                 entry({"mkdir"}, A::kErrno, {}, {{7, 1, 0, Op::kEqualTo}})});
  EXPECT_EQ(plan_error(p),
            "linux.seccomp.syscalls[3].args[0]: index 7 out of range (0..5): Invalid argument");
  p = allow_but({});
  p.listener_metadata = "x";
  EXPECT_EQ(plan(p).error().message(),
            "linux.seccomp.listenerMetadata: set without listenerPath: Invalid argument");
}

TEST(SeccompPlan, Architectures) {
  oci::Seccomp p;
  p.architectures = {
      "SCMP_ARCH_X86_64",  "SCMP_ARCH_X86",      "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
      "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
      "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
      "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
      "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"};
  auto r = plan(p);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->architectures.size(), p.architectures.size());
  EXPECT_EQ(r->architectures[0], SCMP_ARCH_X86_64);
  EXPECT_EQ(r->architectures[2], SCMP_ARCH_X32);
  EXPECT_EQ(r->architectures[10], SCMP_ARCH_MIPSEL64N32);
  EXPECT_EQ(r->architectures[18], SCMP_ARCH_RISCV64);
  p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_FOO"};
  EXPECT_EQ(plan_error(p),
            "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\": Invalid "
            "argument");
  p.architectures = {"x86_64"};
  EXPECT_FALSE(plan(p));
}

TEST(SeccompPlan, Flags) {
  oci::Seccomp p;
  p.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
             "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  auto r = plan(p);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->tsync && r->log && r->spec_allow);
  EXPECT_FALSE(r->wait_killable_recv);
  EXPECT_TRUE(compile(*r)) << compile(*r).error().message();
  p.flags = {"SECCOMP_FILTER_FLAG_NOPE"};
  EXPECT_EQ(plan(p).error().message(),
            "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\": Invalid argument");
  p.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  if (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6) {
    EXPECT_EQ(plan(p).error().code(), ENOTSUP);
    EXPECT_NE(plan(p).error().message().find("needs libseccomp 2.6"), std::string::npos);
  }
}

TEST(SeccompPlan, SkipsUnknownAndDefault) {
  auto p = allow_but({entry({"mkdir", "no_such_syscall_xyz"}, A::kErrno),
                      entry({"getcwd"}, A::kAllow), entry({"socketcall"}, A::kErrno)});
  auto r = plan(p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->skipped, std::vector<std::string>{"no_such_syscall_xyz"});
  ASSERT_EQ(r->rules.size(), 2u);  // getcwd equals the default action
  EXPECT_EQ(r->rules[0].name, "mkdir");
  EXPECT_EQ(r->rules[0].number, SCMP_SYS(mkdir));
  EXPECT_EQ(r->rules[0].path, "linux.seccomp.syscalls[0]");
  EXPECT_LT(r->rules[1].number, 0);  // a pseudo-syscall on x86_64
  EXPECT_FALSE(r->uses_notify);
}

TEST(SeccompPlan, ArgumentGroups) {
  // Different indexes: one rule, all conditions AND-ed.
  auto p = allow_but(
      {entry({"getpriority"}, A::kErrno, {}, {{0, 0, 0, Op::kEqualTo}, {1, 0, 9, Op::kEqualTo}})});
  auto r = plan(p);
  ASSERT_EQ(r->rules.size(), 1u);
  EXPECT_EQ(r->rules[0].conditions.size(), 2u);
  EXPECT_EQ(r->rules[0].conditions[1].value_two, 0u);  // valueTwo is for MASKED_EQ only
  // A repeated index: one rule per condition (OR), as runc does.
  p = allow_but({entry({"personality", "umask"}, A::kErrno, {},
                       {{0, 8, 0, Op::kEqualTo}, {0, 0xff, 0x22, Op::kMaskedEqual}})});
  r = plan(p);
  ASSERT_EQ(r->rules.size(), 4u);
  EXPECT_EQ(r->rules[1].conditions.size(), 1u);
  EXPECT_EQ(r->rules[1].conditions[0].op, Op::kMaskedEqual);
  EXPECT_EQ(r->rules[1].conditions[0].value_two, 0x22u);
  EXPECT_EQ(r->rules[2].name, "umask");
}

TEST(SeccompCompile, ArchitecturesAndOps) {
  oci::Seccomp p = allow_but({});
  p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  Op ops[] = {Op::kNotEqual,     Op::kLessThan,    Op::kLessEqual,  Op::kEqualTo,
              Op::kGreaterEqual, Op::kGreaterThan, Op::kMaskedEqual};
  for (unsigned i = 0; i < 7; ++i)  // one entry each: indexes 0..5, every op
    p.syscalls.push_back(entry({"socket"}, A::kErrno, {}, {{i % 6, i + 1, 1, ops[i]}}));
  p.syscalls.push_back(entry({"mkdir", "_llseek", "socketcall", "unknown_new_call"}, A::kTrap));
  auto f = compile(p);
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(seccomp_arch_exist(f->ctx(), SCMP_ARCH_X86), 0);
  EXPECT_EQ(seccomp_arch_exist(f->ctx(), SCMP_ARCH_X32), 0);
  EXPECT_EQ(seccomp_arch_exist(f->ctx(), SCMP_ARCH_AARCH64), -EEXIST);
  Filter moved = std::move(*f);
  EXPECT_EQ(f->ctx(), nullptr);
  EXPECT_NE(moved.ctx(), nullptr);
}

// libseccomp refuses two comparisons of one argument in one rule (EINVAL),
// which is why plan() splits them; a hand-made Plan shows the error path.
TEST(SeccompCompile, RuleErrorsNameTheEntry) {
  auto p = plan(allow_but({entry({"mkdir"}, A::kErrno)}));
  ASSERT_TRUE(p);
  p->rules[0].conditions = {{0, Op::kEqualTo, 1, 0}, {0, Op::kEqualTo, 2, 0}};
  auto f = compile(*p);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message(),
            "linux.seccomp.syscalls[0]: add rule for \"mkdir\": Invalid argument");
}

TEST(SeccompLoad, ErrnoRules) {
  auto p =
      allow_but({entry({"mkdir", "mkdirat"}, A::kErrno), entry({"getcwd"}, A::kErrno, ENOSYS)});
  int st = in_child([&] {
    if (int rc = load_or_fail(p)) return rc;
    char buf[4096];
    if (raw(syscall(SYS_getcwd, buf, sizeof buf)) != -ENOSYS) return 1;
    if (raw(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent/x", 0700)) != -EPERM) return 2;
#ifdef SYS_mkdir  // aarch64 has only mkdirat
    if (raw(syscall(SYS_mkdir, "/nonexistent/x", 0700)) != -EPERM) return 3;
#endif
    if (raw(syscall(SYS_getppid)) <= 0) return 4;  // others still work
    if (raw(syscall(SYS_unlinkat, AT_FDCWD, "/nonexistent/x", AT_REMOVEDIR)) != -ENOENT) return 5;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(SeccompLoad, ArgumentFilters) {
  auto p = allow_but({
      // personality(0xffffffff) only queries: allowed, any other value EPERM.
      entry({"personality"}, A::kErrno, {}, {{0, 0xffffffff, 0, Op::kNotEqual}}),
      // AND over two indexes: only getpriority(PRIO_PROCESS, 0).
      entry({"getpriority"}, A::kErrno, EACCES,
            {{0, PRIO_PROCESS, 0, Op::kEqualTo}, {1, 0, 0, Op::kEqualTo}}),
      // OR over one index: umask(0777) and any umask whose low bits are 022.
      entry({"umask"}, A::kErrno, ENOSYS,
            {{0, 0777, 0, Op::kEqualTo}, {0, 0077, 0022, Op::kMaskedEqual}}),
  });
  int st = in_child([&] {
    if (int rc = load_or_fail(p)) return rc;
    if (raw(syscall(SYS_personality, 0xffffffffUL)) < 0) return 1;
    if (raw(syscall(SYS_personality, 0UL)) != -EPERM) return 2;
    if (raw(syscall(SYS_getpriority, PRIO_PROCESS, 0)) != -EACCES) return 3;
    if (raw(syscall(SYS_getpriority, PRIO_PROCESS, getpid())) < 0) return 4;
    if (raw(syscall(SYS_getpriority, PRIO_PGRP, 0)) < 0) return 5;
    if (raw(syscall(SYS_umask, 0777)) != -ENOSYS) return 6;
    if (raw(syscall(SYS_umask, 0722)) != -ENOSYS) return 7;
    if (raw(syscall(SYS_umask, 0027)) < 0) return 8;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(SeccompLoad, KillProcess) {
  for (A action : {A::kKillProcess, A::kKill}) {
    int st = in_child([&] {
      if (int rc = load_or_fail(allow_but({entry({"getppid"}, action)}))) return rc;
      syscall(SYS_getppid);
      return 1;
    });
    ASSERT_TRUE(WIFSIGNALED(st)) << "status " << st;
    EXPECT_EQ(WTERMSIG(st), SIGSYS);
  }
}

volatile sig_atomic_t g_trapped_nr = -1;

TEST(SeccompLoad, Trap) {
  int st = in_child([] {
    struct sigaction sa = {};
    sa.sa_sigaction = [](int, siginfo_t* si, void*) { g_trapped_nr = si->si_syscall; };
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, nullptr);
    if (int rc = load_or_fail(allow_but({entry({"getppid"}, A::kTrap)}))) return rc;
    syscall(SYS_getppid);
    return g_trapped_nr == SYS_getppid ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

// Reads a whole stream, taking the one SCM_RIGHTS fd that comes with it.
int receive_state(int sock, std::string* data) {
  int fd = -1;
  for (;;) {
    char buf[65536];
    iovec iov{buf, sizeof buf};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) return fd;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_type == SCM_RIGHTS) std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    data->append(buf, n);
  }
}

TEST(SeccompListener, ProcessStateJson) {
  std::string s = process_state_json("1.2.0", 42, "a\"b", R"({"id":"c1","status":"creating"})");
  EXPECT_EQ(s, R"({"ociVersion":"1.2.0","fds":["seccompFd"],"pid":42,"metadata":"a\"b",)"
               R"("state":{"id":"c1","status":"creating"}})");
  EXPECT_EQ(process_state_json("1.2.0", 1, "", "{}"),
            R"({"ociVersion":"1.2.0","fds":["seccompFd"],"pid":1,"state":{}})");
}

TEST(SeccompListener, SendCarriesFdAndLargePayload) {
  int sv[2], pipe_fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ASSERT_EQ(pipe(pipe_fds), 0);
  // Bigger than the socket buffer, so the payload takes several sends.
  std::string json = process_state_json("1.2.0", 7, std::string(1 << 20, 'm'), "{}");
  std::string got;
  int fd = -1;
  std::thread reader([&] { fd = receive_state(sv[1], &got); });
  Status sent = send_listener(sv[0], pipe_fds[0], json);
  close(sv[0]);
  reader.join();
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(got, json);
  ASSERT_GE(fd, 0);
  struct stat a, b;
  ASSERT_EQ(fstat(fd, &a), 0);
  ASSERT_EQ(fstat(pipe_fds[0], &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  for (int f : {fd, sv[1], pipe_fds[0], pipe_fds[1]}) close(f);
}

TEST(SeccompListener, Connect) {
  char dir[] = "/tmp/hutch-seccomp-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/agent.sock";
  auto missing = connect_listener(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ENOENT);
  EXPECT_NE(missing.error().message().find(path), std::string::npos);
  EXPECT_EQ(connect_listener("/" + std::string(200, 'x')).error().code(), ENAMETOOLONG);

  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(srv, 1), 0);
  auto sock = connect_listener(path);
  ASSERT_TRUE(sock) << sock.error().message();
  int peer = accept4(srv, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_TRUE(send_listener(sock->get(), peer, "{}"));
  sock->reset();
  std::string got;
  int fd = receive_state(peer, &got);
  EXPECT_EQ(got, "{}");
  EXPECT_GE(fd, 0);
  for (int f : {fd, peer, srv}) close(f);
  unlink(path.c_str());
  rmdir(dir);
}

// The whole agent path: the child loads a NOTIFY filter, sends the notify fd
// with its process state, and its getppid() gets the agent's answer.
TEST(SeccompListener, NotifyRoundTrip) {
  auto p = allow_but({entry({"getppid"}, A::kNotify)});
  ASSERT_TRUE(needs_listener(p));
  EXPECT_FALSE(needs_listener(allow_but({entry({"no_such_syscall_xyz"}, A::kNotify)})));
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[1]);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
    int nfd = -1;
    if (int rc = load_or_fail(p, &nfd)) _exit(rc);
    if (nfd < 0 || (fcntl(nfd, F_GETFD) & FD_CLOEXEC) == 0) _exit(1);
    std::string state = R"({"ociVersion":"1.2.0","id":"t","status":"creating"})";
    if (!send_listener(sv[0], nfd, process_state_json("1.2.0", getpid(), "m", state))) _exit(2);
    close(sv[0]);
    _exit(syscall(SYS_getppid) == 4242 ? 0 : 3);
  }
  close(sv[0]);
  std::string got;
  int nfd = receive_state(sv[1], &got);
  close(sv[1]);
  if (nfd >= 0) {
    json_error_t err;
    json_t* j = json_loads(got.c_str(), 0, &err);
    ASSERT_NE(j, nullptr) << got;
    EXPECT_EQ(json_integer_value(json_object_get(j, "pid")), pid);
    EXPECT_STREQ(json_string_value(json_array_get(json_object_get(j, "fds"), 0)), "seccompFd");
    EXPECT_STREQ(json_string_value(json_object_get(json_object_get(j, "state"), "id")), "t");
    json_decref(j);
    pollfd pfd{nfd, POLLIN, 0};
    if (poll(&pfd, 1, 10000) == 1 && (pfd.revents & POLLIN)) {
      seccomp_notif* req = nullptr;
      seccomp_notif_resp* resp = nullptr;
      ASSERT_EQ(seccomp_notify_alloc(&req, &resp), 0);
      EXPECT_EQ(seccomp_notify_receive(nfd, req), 0);
      EXPECT_EQ(req->data.nr, SYS_getppid);
      EXPECT_EQ(static_cast<pid_t>(req->pid), pid);
      resp->id = req->id;
      resp->val = 4242;
      EXPECT_EQ(seccomp_notify_respond(nfd, resp), 0);
      seccomp_notify_free(req, resp);
    } else {
      ADD_FAILURE() << "no notification within 10s";
      kill(pid, SIGKILL);
    }
    close(nfd);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 0);
  EXPECT_GE(nfd, 0);
}

}  // namespace
}  // namespace hutch::runtime::seccomp
