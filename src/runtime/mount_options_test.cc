#include "runtime/mount_options.h"

#include <gtest/gtest.h>
#include <linux/mount.h>
#include <sys/mount.h>

namespace hutch::runtime {
namespace {

MountOptions parse(const std::vector<std::string>& o) {
  auto r = parse_mount_options(o, "mounts[0]");
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : MountOptions{};
}

struct FlagCase {
  const char* word;
  unsigned long flag;
  bool clears;
};

class FlagWords : public ::testing::TestWithParam<FlagCase> {};

TEST_P(FlagWords, SetOrClear) {
  const auto& c = GetParam();
  MountOptions m = parse({c.word});
  if (c.clears) {
    EXPECT_EQ(m.flags, 0u) << c.word;
    EXPECT_EQ(m.clear, c.flag) << c.word;
  } else {
    EXPECT_EQ(m.flags, c.flag) << c.word;
    EXPECT_EQ(m.clear, 0u) << c.word;
  }
  EXPECT_EQ(m.propagation, 0u);
  EXPECT_EQ(m.attr_set, 0u);
  EXPECT_EQ(m.data, "") << c.word;  // a flag word never reaches the filesystem
}

INSTANTIATE_TEST_SUITE_P(
    All, FlagWords,
    ::testing::Values(FlagCase{"ro", MS_RDONLY, false}, FlagCase{"rw", MS_RDONLY, true},
                      FlagCase{"nosuid", MS_NOSUID, false}, FlagCase{"suid", MS_NOSUID, true},
                      FlagCase{"nodev", MS_NODEV, false}, FlagCase{"dev", MS_NODEV, true},
                      FlagCase{"noexec", MS_NOEXEC, false}, FlagCase{"exec", MS_NOEXEC, true},
                      FlagCase{"sync", MS_SYNCHRONOUS, false}, FlagCase{"async", MS_SYNCHRONOUS, true},
                      FlagCase{"noatime", MS_NOATIME, false}, FlagCase{"atime", MS_NOATIME, true},
                      FlagCase{"nodiratime", MS_NODIRATIME, false}, FlagCase{"diratime", MS_NODIRATIME, true},
                      FlagCase{"relatime", MS_RELATIME, false}, FlagCase{"norelatime", MS_RELATIME, true},
                      FlagCase{"strictatime", MS_STRICTATIME, false},
                      FlagCase{"nostrictatime", MS_STRICTATIME, true},
                      FlagCase{"mand", MS_MANDLOCK, false}, FlagCase{"nomand", MS_MANDLOCK, true},
                      FlagCase{"iversion", MS_I_VERSION, false}, FlagCase{"noiversion", MS_I_VERSION, true},
                      FlagCase{"lazytime", MS_LAZYTIME, false}, FlagCase{"nolazytime", MS_LAZYTIME, true},
                      FlagCase{"silent", MS_SILENT, false}, FlagCase{"loud", MS_SILENT, true},
                      FlagCase{"nosymfollow", 256, false}, FlagCase{"symfollow", 256, true},
                      FlagCase{"dirsync", MS_DIRSYNC, false}, FlagCase{"remount", MS_REMOUNT, false},
                      FlagCase{"bind", MS_BIND, false}, FlagCase{"rbind", MS_BIND | MS_REC, false}));

TEST(MountOptions, LaterWordWins) {
  MountOptions a = parse({"ro", "rw"});
  EXPECT_EQ(a.flags & MS_RDONLY, 0u);
  EXPECT_EQ(a.clear & MS_RDONLY, MS_RDONLY);
  MountOptions b = parse({"rw", "ro"});
  EXPECT_EQ(b.flags & MS_RDONLY, MS_RDONLY);
  EXPECT_EQ(b.clear & MS_RDONLY, 0u);
}

TEST(MountOptions, DefaultsIsANoOp) {
  MountOptions m = parse({"defaults"});
  EXPECT_EQ(m.flags, 0u);
  EXPECT_EQ(m.clear, 0u);
  EXPECT_EQ(m.data, "");
}

TEST(MountOptions, CombinedFlags) {
  MountOptions m = parse({"nosuid", "noexec", "nodev", "relatime", "ro"});
  EXPECT_EQ(m.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);
  EXPECT_EQ(m.flags & ~kRemountableFlags, 0u);
  EXPECT_FALSE(m.bind);
}

TEST(MountOptions, RemountableFlagsMatchTheKernelValues) {
  EXPECT_EQ(kRemountableFlags, static_cast<unsigned long>(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                                          MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | 256));
}

TEST(MountOptions, Propagation) {
  struct {
    const char* word;
    unsigned long want;
  } cases[] = {{"private", MS_PRIVATE},           {"rprivate", MS_PRIVATE | MS_REC},
               {"shared", MS_SHARED},             {"rshared", MS_SHARED | MS_REC},
               {"slave", MS_SLAVE},               {"rslave", MS_SLAVE | MS_REC},
               {"unbindable", MS_UNBINDABLE},     {"runbindable", MS_UNBINDABLE | MS_REC}};
  for (const auto& c : cases) {
    MountOptions m = parse({c.word});
    EXPECT_EQ(m.propagation, c.want) << c.word;
    EXPECT_EQ(m.flags, 0u) << c.word;  // applied after mounting, not with it
    EXPECT_EQ(m.data, "") << c.word;
  }
  EXPECT_EQ(parse({"rshared", "private"}).propagation, static_cast<unsigned long>(MS_PRIVATE));
}

TEST(MountOptions, RecursiveAttributes) {
  struct {
    const char* word;
    uint64_t attr;
    bool clears;
  } cases[] = {{"rro", MOUNT_ATTR_RDONLY, false},           {"rrw", MOUNT_ATTR_RDONLY, true},
               {"rnosuid", MOUNT_ATTR_NOSUID, false},        {"rsuid", MOUNT_ATTR_NOSUID, true},
               {"rnodev", MOUNT_ATTR_NODEV, false},          {"rdev", MOUNT_ATTR_NODEV, true},
               {"rnoexec", MOUNT_ATTR_NOEXEC, false},        {"rexec", MOUNT_ATTR_NOEXEC, true},
               {"rnodiratime", MOUNT_ATTR_NODIRATIME, false}, {"rdiratime", MOUNT_ATTR_NODIRATIME, true},
               {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, false}, {"rsymfollow", MOUNT_ATTR_NOSYMFOLLOW, true},
               {"rrelatime", MOUNT_ATTR_RELATIME, false},    {"rnorelatime", MOUNT_ATTR_RELATIME, true},
               {"rnoatime", MOUNT_ATTR_NOATIME, false},      {"ratime", MOUNT_ATTR_NOATIME, true},
               {"rstrictatime", MOUNT_ATTR_STRICTATIME, false}, {"rnostrictatime", MOUNT_ATTR_STRICTATIME, true}};
  for (const auto& c : cases) {
    MountOptions m = parse({c.word});
    EXPECT_EQ(m.attr_set, c.clears ? 0 : c.attr) << c.word;
    EXPECT_EQ(m.attr_clr, c.clears ? c.attr : 0) << c.word;
    EXPECT_EQ(m.flags, 0u) << c.word;
    EXPECT_EQ(m.data, "") << c.word;
  }
  MountOptions m = parse({"rro", "rrw"});
  EXPECT_EQ(m.attr_set, 0u);
  EXPECT_EQ(m.attr_clr, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  m = parse({"rrw", "rro", "rnosuid"});
  EXPECT_EQ(m.attr_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));
  EXPECT_EQ(m.attr_clr, 0u);
}

TEST(MountOptions, DataPassesThroughInOrder) {
  MountOptions m = parse({"nosuid", "strictatime", "mode=755", "size=65536k"});
  EXPECT_EQ(m.flags, MS_NOSUID | MS_STRICTATIME);
  EXPECT_EQ(m.data, "mode=755,size=65536k");
  MountOptions pts = parse({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
  EXPECT_EQ(pts.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  MountOptions ovl = parse({"lowerdir=/a:/b", "upperdir=/u", "workdir=/w", "ro"});
  EXPECT_EQ(ovl.data, "lowerdir=/a:/b,upperdir=/u,workdir=/w");
  EXPECT_EQ(ovl.flags, static_cast<unsigned long>(MS_RDONLY));
}

TEST(MountOptions, BindAndRbind) {
  MountOptions b = parse({"bind", "ro"});
  EXPECT_TRUE(b.bind);
  EXPECT_FALSE(b.recursive_bind);
  MountOptions rb = parse({"rbind", "nosuid"});
  EXPECT_TRUE(rb.bind);
  EXPECT_TRUE(rb.recursive_bind);
  EXPECT_EQ(rb.flags, MS_BIND | MS_REC | MS_NOSUID);
  MountOptions none = parse({});
  EXPECT_FALSE(none.bind);
  EXPECT_FALSE(none.recursive_bind);
  EXPECT_EQ(none.flags, 0u);
}

TEST(MountOptions, SpecialWords) {
  MountOptions m = parse({"tmpcopyup"});
  EXPECT_TRUE(m.tmpcopyup);
  EXPECT_FALSE(m.idmap);
  EXPECT_EQ(m.data, "");
  EXPECT_TRUE(parse({"idmap"}).idmap);
  EXPECT_TRUE(parse({"ridmap"}).idmap);
  EXPECT_EQ(parse({"rbind", "ridmap"}).data, "");
}

TEST(MountOptions, EmptyOptionNamesItsIndex) {
  auto r = parse_mount_options({"ro", ""}, "mounts[3]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().innermost(), "mounts[3].options[1]: empty option");
}

}  // namespace
}  // namespace hutch::runtime
