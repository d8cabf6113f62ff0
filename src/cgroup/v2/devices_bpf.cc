#include "cgroup/v2/devices_bpf.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "base/fd.h"
#include "cgroup/internal/convert.h"

namespace hutch::cgroup::v2 {
namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i;
  std::memset(&i, 0, sizeof i);
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn load_u32(uint8_t dst, int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, 1, off, 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov64_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn mov64_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm);  // offset patched later
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// Registers after the prologue.
constexpr uint8_t kType = 2, kAccess = 3, kMajor = 4, kMinor = 5, kScratch = 1;

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
  }
  return bits;
}

constexpr int32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

// Appends one rule: tests that jump past it on mismatch, then the verdict.
// Returns false when the rule matches everything (nothing after it runs).
bool append_rule(std::vector<bpf_insn>& p, const oci::DeviceCgroup& r) {
  size_t start = p.size();
  char type = device_type(r);
  if (type != 'a') {
    p.push_back(jump_imm(BPF_JNE, kType, type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    int32_t want = access_bits(device_access(r));
    if (want != kAllAccess) {
      p.push_back(mov64_reg(kScratch, kAccess));
      if (r.allow) {
        // An allow rule covers a request only if every requested bit is in it.
        p.push_back(alu32_imm(BPF_AND, kScratch, ~want & kAllAccess));
        p.push_back(jump_imm(BPF_JNE, kScratch, 0));
      } else {
        // A deny rule refuses a request that asks for any bit in it.
        p.push_back(alu32_imm(BPF_AND, kScratch, want));
        p.push_back(jump_imm(BPF_JEQ, kScratch, 0));
      }
    }
    if (device_major(r) >= 0)
      p.push_back(jump_imm(BPF_JNE, kMajor, static_cast<int32_t>(device_major(r))));
    if (device_minor(r) >= 0)
      p.push_back(jump_imm(BPF_JNE, kMinor, static_cast<int32_t>(device_minor(r))));
  }
  size_t tests_end = p.size();
  p.push_back(mov64_imm(0, r.allow ? 1 : 0));
  p.push_back(exit_insn());
  // Every test jumps to the first instruction after this rule.
  for (size_t i = start; i < tests_end; ++i)
    if (BPF_CLASS(p[i].code) == BPF_JMP) p[i].off = static_cast<int16_t>(p.size() - i - 1);
  return tests_end != start;
}

long bpf(int cmd, bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof *attr); }

Result<UniqueFd> load(const std::vector<bpf_insn>& program) {
  static const char kLicense[] = "Apache";
  std::vector<char> log(1 << 16);
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uintptr_t>(program.data());
  attr.insn_cnt = static_cast<uint32_t>(program.size());
  attr.license = reinterpret_cast<uintptr_t>(kLicense);
  attr.log_buf = reinterpret_cast<uintptr_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  attr.log_level = 1;
  UniqueFd fd(static_cast<int>(bpf(BPF_PROG_LOAD, &attr)));
  if (!fd) {
    std::string text(log.data(), strnlen(log.data(), log.size()));
    return Error::from_errno("load the device eBPF program" +
                             (text.empty() ? "" : " (" + text + ")"));
  }
  return fd;
}

// Ids of the device programs attached to the group now.
Result<std::vector<uint32_t>> attached(int cgroup_fd) {
  std::vector<uint32_t> ids(64);
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.query.target_fd = cgroup_fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (bpf(BPF_PROG_QUERY, &attr) != 0)
    return Error::from_errno("list the attached device programs");
  ids.resize(attr.query.prog_cnt);
  return ids;
}

Status detach(int cgroup_fd, uint32_t id) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_id = id;
  UniqueFd prog(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, &attr)));
  if (!prog) {
    if (errno == ENOENT) return {};
    return Error::from_errno("open device program " + std::to_string(id));
  }
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = cgroup_fd;
  attr.attach_bpf_fd = prog.get();
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_DETACH, &attr) != 0 && errno != ENOENT)
    return Error::from_errno("detach device program " + std::to_string(id));
  return {};
}

}  // namespace

std::vector<bpf_insn> device_program(const std::vector<oci::DeviceCgroup>& rules) {
  std::vector<bpf_insn> p = {
      // struct bpf_cgroup_dev_ctx: access_type is (access << 16) | type.
      load_u32(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_AND, kType, 0xffff),
      load_u32(kAccess, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_RSH, kAccess, 16),
      load_u32(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
      load_u32(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  // Last rule first: the first one that matches decides.
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    // The verifier refuses unreachable code, so stop after a catch-all.
    if (!append_rule(p, *it)) return p;
  }
  p.push_back(mov64_imm(0, 0));
  p.push_back(exit_insn());
  return p;
}

Status attach_device_program(const std::string& dir, const std::vector<bpf_insn>& program) {
  struct statfs sf;
  if (::statfs(dir.c_str(), &sf) != 0) return Error::from_errno("statfs \"" + dir + "\"");
  if (sf.f_type != CGROUP2_SUPER_MAGIC)
    return Error(EINVAL, "\"" + dir + "\" is not a cgroup v2 directory");
  UniqueFd cgroup(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup) return Error::from_errno("open \"" + dir + "\"");
  ASSIGN_OR_RETURN(auto old, attached(cgroup.get()));
  ASSIGN_OR_RETURN(UniqueFd prog, load(program));
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = cgroup.get();
  attr.attach_bpf_fd = prog.get();
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &attr) != 0) return Error::from_errno("attach the device eBPF program");
  // With the new program in place, the old ones can go: until now every
  // access was checked by both.
  for (uint32_t id : old) TRY(detach(cgroup.get(), id));
  return {};
}

}  // namespace hutch::cgroup::v2
