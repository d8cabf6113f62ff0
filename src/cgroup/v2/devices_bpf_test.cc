#include "cgroup/v2/devices_bpf.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

namespace hutch::cgroup::v2 {
namespace {

// Just enough of an eBPF interpreter for the instructions device_program
// emits; anything else fails the test.
struct Vm {
  std::string error;

  int run(const std::vector<bpf_insn>& p, char type, const std::string& access, uint32_t major,
          uint32_t minor) {
    uint32_t acc = 0;
    for (char c : access)
      acc |= c == 'm' ? BPF_DEVCG_ACC_MKNOD : c == 'r' ? BPF_DEVCG_ACC_READ : BPF_DEVCG_ACC_WRITE;
    bpf_cgroup_dev_ctx ctx{(acc << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
                           major, minor};
    uint64_t r[MAX_BPF_REG] = {};
    for (size_t pc = 0; pc < p.size(); ++pc) {
      const bpf_insn& i = p[pc];
      uint64_t src =
          BPF_SRC(i.code) == BPF_X ? r[i.src_reg] : static_cast<uint64_t>(int64_t{i.imm});
      switch (BPF_CLASS(i.code)) {
        case BPF_LDX: {
          if (BPF_MODE(i.code) != BPF_MEM || BPF_SIZE(i.code) != BPF_W || i.src_reg != 1 ||
              i.off < 0 || i.off + 4 > static_cast<int>(sizeof ctx))
            return fail("bad load", pc);
          uint32_t v;
          std::memcpy(&v, reinterpret_cast<char*>(&ctx) + i.off, 4);
          r[i.dst_reg] = v;
          break;
        }
        case BPF_ALU: {
          uint32_t a = static_cast<uint32_t>(r[i.dst_reg]), b = static_cast<uint32_t>(src);
          if (BPF_OP(i.code) == BPF_AND)
            a &= b;
          else if (BPF_OP(i.code) == BPF_RSH)
            a >>= b;
          else if (BPF_OP(i.code) == BPF_MOV)
            a = b;
          else
            return fail("bad alu32", pc);
          r[i.dst_reg] = a;
          break;
        }
        case BPF_ALU64:
          if (BPF_OP(i.code) != BPF_MOV) return fail("bad alu64", pc);
          r[i.dst_reg] = src;
          break;
        case BPF_JMP: {
          if (BPF_OP(i.code) == BPF_EXIT) return static_cast<int>(r[0]);
          bool taken;
          if (BPF_OP(i.code) == BPF_JNE)
            taken = r[i.dst_reg] != src;
          else if (BPF_OP(i.code) == BPF_JEQ)
            taken = r[i.dst_reg] == src;
          else
            return fail("bad jump", pc);
          if (taken) pc += i.off;
          break;
        }
        default: return fail("bad class", pc);
      }
    }
    return fail("fell off the end", p.size());
  }

  int fail(const char* what, size_t pc) {
    error = std::string(what) + " at " + std::to_string(pc);
    return -1;
  }
};

// The verifier's structural rules: forward jumps in range, every
// instruction reachable, the last one an exit.
void check_structure(const std::vector<bpf_insn>& p) {
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p.back().code, BPF_JMP | BPF_EXIT);
  std::set<size_t> reached, todo = {0};
  while (!todo.empty()) {
    size_t pc = *todo.begin();
    todo.erase(todo.begin());
    if (!reached.insert(pc).second) continue;
    ASSERT_LT(pc, p.size());
    const bpf_insn& i = p[pc];
    if (i.code == (BPF_JMP | BPF_EXIT)) continue;
    if (BPF_CLASS(i.code) == BPF_JMP) {
      ASSERT_GE(i.off, 0);
      todo.insert(pc + 1 + i.off);
    }
    todo.insert(pc + 1);
  }
  EXPECT_EQ(reached.size(), p.size()) << "unreachable instructions";
}

oci::DeviceCgroup rule(bool allow, std::string type, std::optional<int64_t> major,
                       std::optional<int64_t> minor, std::string access) {
  return {allow, std::move(type), major, minor, std::move(access)};
}

TEST(DeviceProgram, DefaultContainerRules) {
  std::vector<oci::DeviceCgroup> rules = {
      rule(false, "", std::nullopt, std::nullopt, "rwm"), rule(true, "c", 1, 3, "rwm"),
      rule(true, "c", 136, std::nullopt, "rwm"), rule(true, "c", std::nullopt, std::nullopt, "m"),
      rule(true, "b", 8, 0, "r")};
  auto p = device_program(rules);
  check_structure(p);
  Vm vm;
  EXPECT_EQ(vm.run(p, 'c', "rw", 1, 3), 1) << vm.error;
  EXPECT_EQ(vm.run(p, 'c', "r", 1, 4), 0) << vm.error;
  EXPECT_EQ(vm.run(p, 'c', "w", 136, 7), 1) << vm.error;
  EXPECT_EQ(vm.run(p, 'c', "m", 10, 200), 1) << vm.error;
  EXPECT_EQ(vm.run(p, 'c', "r", 10, 200), 0) << vm.error;
  EXPECT_EQ(vm.run(p, 'b', "m", 10, 200), 0) << vm.error;
  EXPECT_EQ(vm.run(p, 'b', "r", 8, 0), 1) << vm.error;
  EXPECT_EQ(vm.run(p, 'b', "w", 8, 0), 0) << vm.error;
  // An allow rule covers a request only as a whole.
  EXPECT_EQ(vm.run(p, 'b', "rw", 8, 0), 0) << vm.error;
}

TEST(DeviceProgram, LaterRulesOverrideEarlierOnes) {
  auto p = device_program({rule(true, "c", 1, 3, "rwm"), rule(false, "c", 1, 3, "w")});
  check_structure(p);
  Vm vm;
  EXPECT_EQ(vm.run(p, 'c', "r", 1, 3), 1) << vm.error;
  EXPECT_EQ(vm.run(p, 'c', "w", 1, 3), 0) << vm.error;
  // A deny rule refuses a request that asks for any of its bits.
  EXPECT_EQ(vm.run(p, 'c', "rw", 1, 3), 0) << vm.error;
  EXPECT_EQ(vm.run(p, 'c', "m", 1, 3), 1) << vm.error;
}

TEST(DeviceProgram, NoRulesDeniesEverything) {
  auto p = device_program({});
  check_structure(p);
  Vm vm;
  EXPECT_EQ(vm.run(p, 'c', "r", 1, 3), 0) << vm.error;
}

TEST(DeviceProgram, CatchAllEndsTheProgram) {
  // The last "a" rule decides everything; earlier rules would be dead code,
  // which the verifier refuses.
  auto p = device_program({rule(true, "c", 1, 3, "rwm"), rule(false, "a", 5, std::nullopt, "r")});
  check_structure(p);
  EXPECT_EQ(p.size(), 8u);  // prologue, verdict
  Vm vm;
  EXPECT_EQ(vm.run(p, 'c', "r", 1, 3), 0) << vm.error;
  EXPECT_EQ(vm.run(p, 'b', "m", 7, 7), 0) << vm.error;

  p = device_program({rule(false, "a", std::nullopt, std::nullopt, "rwm"),
                      rule(true, "a", std::nullopt, std::nullopt, ""),
                      rule(false, "c", 5, 1, "rwm")});
  check_structure(p);
  EXPECT_EQ(vm.run(p, 'c', "r", 5, 1), 0) << vm.error;
  EXPECT_EQ(vm.run(p, 'c', "r", 9, 9), 1) << vm.error;
  EXPECT_EQ(vm.run(p, 'b', "w", 5, 1), 1) << vm.error;
}

TEST(DeviceProgram, WildcardNumbers) {
  auto p = device_program({rule(true, "c", std::nullopt, 5, "rw"), rule(true, "b", -1, -1, "m")});
  check_structure(p);
  Vm vm;
  EXPECT_EQ(vm.run(p, 'c', "r", 42, 5), 1) << vm.error;
  EXPECT_EQ(vm.run(p, 'c', "r", 42, 6), 0) << vm.error;
  EXPECT_EQ(vm.run(p, 'c', "m", 42, 5), 0) << vm.error;
  EXPECT_EQ(vm.run(p, 'b', "m", 3, 9), 1) << vm.error;
}

}  // namespace
}  // namespace hutch::cgroup::v2
