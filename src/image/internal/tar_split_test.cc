// Tar-split format (writer and reader, malformed input), the header check,
// and the libarchive behaviour the recorder relies on: right after
// archive_read_next_header, archive_filter_bytes(a, 0) is where the entry's
// data starts in the plain tar.
#include "image/internal/tar_split.h"

#include "image/archive_api.h"
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>

#include "image/internal/tar_source.h"
#include "image/internal/test_tar.h"

namespace hutch::image::internal {
namespace {

using namespace testutil;

UniqueFd memfd() { return UniqueFd(::memfd_create("split", MFD_CLOEXEC)); }

TEST(TarSplit, RecordsRoundTripAndRawRunsMerge) {
  UniqueFd fd = memfd();
  SplitWriter w(fd.get());
  std::string big(kMaxRawRecord + 100, 'x');
  ASSERT_TRUE(w.raw("abc").ok());
  ASSERT_TRUE(w.raw("def").ok());
  ASSERT_TRUE(w.file(12345678901, "usr/bin/tool").ok());
  ASSERT_TRUE(w.raw(big).ok());
  ASSERT_TRUE(w.finish(99).ok());
  ::lseek(fd.get(), 0, SEEK_SET);
  SplitReader r(fd.get());
  auto a = r.next();
  ASSERT_TRUE(a.ok()) << a.error().message();
  EXPECT_EQ(a->kind, SplitRecord::Kind::kRaw);
  EXPECT_EQ(a->raw, "abcdef");
  auto f = r.next();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, SplitRecord::Kind::kFile);
  EXPECT_EQ(f->size, 12345678901u);
  EXPECT_EQ(f->path, "usr/bin/tool");
  std::string raw;
  for (;;) {
    auto rec = r.next();
    ASSERT_TRUE(rec.ok()) << rec.error().message();
    if (rec->kind == SplitRecord::Kind::kEnd) {
      EXPECT_EQ(rec->size, 99u);
      break;
    }
    ASSERT_EQ(rec->kind, SplitRecord::Kind::kRaw);
    EXPECT_LE(rec->raw.size(), kMaxRawRecord);
    raw.append(rec->raw);
  }
  EXPECT_EQ(raw, big);
  EXPECT_FALSE(r.next().ok());
}

TEST(TarSplit, MalformedFilesAreRefused) {
  auto refused = [](std::string_view plain) {
    UniqueFd fd = memfd_with(zstd(plain));
    SplitReader r(fd.get());
    for (int i = 0; i < 10; ++i) {
      auto rec = r.next();
      if (!rec.ok()) return rec.error().code() == EINVAL;
      if (rec->kind == SplitRecord::Kind::kEnd) return false;
    }
    return false;
  };
  std::string m(kSplitMagic);
  EXPECT_TRUE(refused("not a split"));
  EXPECT_TRUE(refused(m));                              // no end record
  EXPECT_TRUE(refused(m + "R\x05" "ab"));               // truncated raw record
  EXPECT_TRUE(refused(m + "R\x00" "E\x00"));            // empty raw record
  EXPECT_TRUE(refused(m + "F\x01\x00" "E\x00"));        // empty path
  EXPECT_TRUE(refused(m + "X"));                        // unknown record
  EXPECT_TRUE(refused(m + "E\x00" "junk"));             // data after the end
  EXPECT_TRUE(refused(m + "R\xff\xff\xff\xff\x0f"));   // record too large
  EXPECT_FALSE(refused(m + "R\x02" "ab" "E\x02"));
  // Not zstd at all, and a truncated zstd stream.
  UniqueFd junk = memfd_with("plain text");
  EXPECT_FALSE(SplitReader(junk.get()).next().ok());
  std::string z = zstd(m + "R\x02" "ab" "E\x02");
  UniqueFd cut = memfd_with(z.substr(0, z.size() - 3));
  SplitReader rc(cut.get());
  auto first = rc.next();
  EXPECT_TRUE(!first.ok() || !rc.next().ok());
}

// The 512 bytes before each regular file's data in a tar built by libarchive.
TEST(TarSplit, HeaderCheck) {
  for (TarFormat f : {TarFormat::kPax, TarFormat::kGnu, TarFormat::kUstar}) {
    std::string tar = build_tar({file("a", "0123456789")}, f);
    size_t data = tar.find("0123456789");
    ASSERT_NE(data, std::string::npos);
    std::string_view block = std::string_view(tar).substr(data - 512, 512);
    EXPECT_TRUE(is_regular_file_header(block, 10));
    EXPECT_FALSE(is_regular_file_header(block, 11));
    std::string bad(block);
    bad[0] ^= 1;  // checksum no longer matches
    EXPECT_FALSE(is_regular_file_header(bad, 10));
  }
  std::string tar = build_tar({symlink("l", "target")});
  EXPECT_FALSE(is_regular_file_header(std::string_view(tar).substr(tar.size() >= 1536 ? 512 : 0, 512), 0));
}

// What the recorder depends on, measured: the tar reader consumes whole
// headers (pax records, GNU long names included) before returning them.
TEST(TarSplit, FilterBytesAfterNextHeaderIsTheDataOffset) {
  std::vector<TarEntry> entries;
  std::string long_dir(150, 'd');
  for (int i = 0; i < 40; ++i) {
    std::string name = (i % 3 == 0 ? long_dir + "/" : std::string()) + "f" + std::to_string(i);
    // Unique content per file, sizes around block boundaries and chunk sizes.
    size_t size = i % 5 == 0 ? 70000u + static_cast<size_t>(i) : static_cast<size_t>(i * 97 % 1500 + 1);
    std::string data = "<<" + std::to_string(i) + ">>";
    data.resize(size, static_cast<char>('a' + i % 26));
    entries.push_back(file(name, data));
    if (i % 7 == 0) entries.push_back(symlink("s" + std::to_string(i) + long_dir, long_dir));
  }
  for (TarFormat format : {TarFormat::kPax, TarFormat::kGnu}) {
    for (TarFilter filter : {TarFilter::kNone, TarFilter::kGzip}) {
      std::string plain = build_tar(entries, format);
      UniqueFd fd = memfd_with(filter == TarFilter::kNone ? plain : gzip(plain));
      TarSource src(fd.get());
      std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_read_new(), archive_read_free);
      archive_read_support_format_tar(a.get());
      archive_read_support_format_gnutar(a.get());
      ASSERT_EQ(src.open_archive(a.get()), ARCHIVE_OK);
      struct archive_entry* e;
      int files = 0;
      while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
        int64_t pos = archive_filter_bytes(a.get(), 0);
        if (archive_entry_filetype(e) != AE_IFREG) continue;
        std::string name = archive_entry_pathname(e);
        std::string marker = "<<" + name.substr(name.rfind('f') + 1) + ">>";
        EXPECT_EQ(static_cast<size_t>(pos), plain.find(marker)) << name;
        ++files;
        // Read some entries' data, skip the others: both paths must hold.
        if (files % 2 == 0) {
          char buf[4096];
          while (archive_read_data(a.get(), buf, sizeof buf) > 0) {
          }
        }
      }
      EXPECT_EQ(files, 40);
    }
  }
}

}  // namespace
}  // namespace hutch::image::internal
