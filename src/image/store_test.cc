// Unit tests for the content store against a temp dir: put/read, streamed
// writes, verification failures leaving nothing behind, concurrent writers
// in separate processes, list/remove and ingest cleanup.
#include "image/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/fs.h"

namespace hutch::image {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/hutch-store-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
    store_ = std::make_unique<ContentStore>(tmp_ + "/content");
    auto st = store_->init();
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  void TearDown() override { (void)fs::remove_all(tmp_); }

  std::vector<std::string> ingest_files() const {
    std::vector<std::string> out;
    DIR* d = ::opendir((store_->root() + "/ingest").c_str());
    if (!d) return {"<no ingest dir>"};
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') out.push_back(e->d_name);
    ::closedir(d);
    return out;
  }

  std::string tmp_;
  std::unique_ptr<ContentStore> store_;
};

std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed) % 251);
  return s;
}

TEST_F(StoreTest, PutReadHasSize) {
  auto d = store_->put("hello");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d, sha256_of("hello"));
  EXPECT_TRUE(store_->has(*d));
  EXPECT_EQ(store_->blob_path(*d), store_->root() + "/blobs/sha256/" + d->hex);
  auto size = store_->size(*d);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 5u);
  auto data = store_->read(*d);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "hello");
  auto fd = store_->open(*d);
  ASSERT_TRUE(fd.ok());
  char buf[8] = {};
  EXPECT_EQ(::read(fd->get(), buf, sizeof buf), 5);
  struct stat st;
  ASSERT_EQ(::stat(store_->blob_path(*d).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);  // blobs are immutable
  EXPECT_TRUE(ingest_files().empty());
}

TEST_F(StoreTest, PutWithExpectedDigestAndEmptyBlob) {
  auto d = store_->put("", sha256_of(""));
  ASSERT_TRUE(d.ok()) << d.error().message();
  auto data = store_->read(*d);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "");
}

TEST_F(StoreTest, PutTwiceIsIdempotent) {
  auto a = store_->put("same");
  auto b = store_->put("same", sha256_of("same"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(store_->list()->size(), 1u);
  EXPECT_TRUE(ingest_files().empty());
}

TEST_F(StoreTest, WriterStreamsInChunks) {
  std::string data = pattern(1 << 20, 7);
  auto w = store_->writer(sha256_of(data), data.size());
  ASSERT_TRUE(w.ok()) << w.error().message();
  for (size_t off = 0; off < data.size(); off += 7001) {
    auto st = w->write(data.data() + off, std::min<size_t>(7001, data.size() - off));
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  EXPECT_EQ(w->written(), data.size());
  EXPECT_EQ(ingest_files().size(), 1u);
  auto d = w->commit();
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d, sha256_of(data));
  EXPECT_EQ(*store_->read(*d), data);
  EXPECT_TRUE(ingest_files().empty());
  auto again = w->commit();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), EBADF);
  EXPECT_FALSE(w->write("x", 1).ok());
}

TEST_F(StoreTest, WrongDigestStoresNothing) {
  Digest want = sha256_of("expected content");
  auto r = store_->put("actual content", want);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EBADMSG);
  std::string m = r.error().message();
  EXPECT_NE(m.find("digest mismatch"), std::string::npos) << m;
  EXPECT_NE(m.find("expected \"" + want.str() + "\""), std::string::npos) << m;
  EXPECT_NE(m.find("got \"" + sha256_of("actual content").str() + "\""), std::string::npos) << m;
  EXPECT_FALSE(store_->has(want));
  EXPECT_FALSE(store_->has(sha256_of("actual content")));
  EXPECT_TRUE(store_->list()->empty());
  EXPECT_TRUE(ingest_files().empty());
}

TEST_F(StoreTest, ShortBlobFailsAtCommit) {
  auto w = store_->writer(std::nullopt, 10);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->write("12345", 5).ok());
  auto r = w->commit();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EBADMSG);
  EXPECT_NE(r.error().message().find("size mismatch: expected 10 bytes, got 5"), std::string::npos)
      << r.error().message();
  EXPECT_FALSE(store_->has(sha256_of("12345")));
  EXPECT_TRUE(ingest_files().empty());
}

TEST_F(StoreTest, LongBlobFailsAtOnce) {
  auto w = store_->writer(std::nullopt, 4);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->write("123", 3).ok());
  auto st = w->write("45", 2);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), EFBIG);
  EXPECT_NE(st.error().message().find("larger than the expected 4 bytes"), std::string::npos);
  EXPECT_TRUE(ingest_files().empty());
  auto r = w->commit();  // the writer is closed: nothing can be committed
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EBADF);
  EXPECT_TRUE(store_->list()->empty());
}

TEST_F(StoreTest, AbandonedWriterRemovesItsFile) {
  {
    auto w = store_->writer();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->write("partial", 7).ok());
    BlobWriter moved = std::move(w).value();
    EXPECT_EQ(ingest_files().size(), 1u);
  }
  EXPECT_TRUE(ingest_files().empty());
  EXPECT_TRUE(store_->list()->empty());
}

TEST_F(StoreTest, RefusesSha512AndHandBuiltDigests) {
  auto w = store_->writer(Digest{"sha512", std::string(128, 'a')});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), ENOTSUP);
  Digest evil{"sha256", "../../../etc/passwd"};
  EXPECT_FALSE(store_->has(evil));
  EXPECT_FALSE(store_->read(evil).ok());
  EXPECT_FALSE(store_->open(evil).ok());
  EXPECT_FALSE(store_->remove(evil).ok());
  EXPECT_FALSE(store_->put("x", evil).ok());
}

TEST_F(StoreTest, MissingBlobIsEnoent) {
  Digest d = sha256_of("absent");
  EXPECT_FALSE(store_->has(d));
  for (int code : {store_->read(d).error().code(), store_->size(d).error().code(), store_->open(d).error().code(),
                   store_->remove(d).error().code()})
    EXPECT_EQ(code, ENOENT);
  EXPECT_NE(store_->read(d).error().message().find("blob \"" + d.str() + "\" not found"), std::string::npos);
}

TEST_F(StoreTest, ReadHonoursTheSizeCap) {
  auto d = store_->put(std::string(1000, 'x'));
  ASSERT_TRUE(d.ok());
  auto r = store_->read(*d, 999);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EFBIG);
  EXPECT_NE(r.error().message().find("1000 bytes, more than the limit of 999"), std::string::npos);
  EXPECT_TRUE(store_->read(*d, 1000).ok());
}

TEST_F(StoreTest, ConcurrentWritersOfTheSameBlob) {
  std::string data = pattern(4 << 20, 3);
  Digest want = sha256_of(data);
  std::vector<pid_t> kids;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ContentStore s(store_->root());
      auto w = s.writer(want, data.size());
      if (!w.ok()) ::_exit(10);
      for (size_t off = 0; off < data.size(); off += 65536)
        if (!w->write(data.data() + off, std::min<size_t>(65536, data.size() - off)).ok()) ::_exit(11);
      auto d = w->commit();
      ::_exit(d.ok() && *d == want ? 0 : 12);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  auto read = store_->read(want, 8 << 20);
  ASSERT_TRUE(read.ok()) << read.error().message();
  EXPECT_TRUE(*read == data);
  EXPECT_EQ(store_->list()->size(), 1u);
  EXPECT_TRUE(ingest_files().empty());
}

TEST_F(StoreTest, ListAndRemove) {
  std::vector<Digest> put;
  for (const char* s : {"one", "two", "three"}) put.push_back(*store_->put(s));
  // Strays in the blob directory are not blobs.
  ASSERT_TRUE(fs::write_file(store_->root() + "/blobs/sha256/not-a-digest", "x").ok());
  std::sort(put.begin(), put.end());
  auto l = store_->list();
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(*l, put);
  ASSERT_TRUE(store_->remove(put[1]).ok());
  EXPECT_FALSE(store_->has(put[1]));
  EXPECT_EQ(*store_->list(), (std::vector<Digest>{put[0], put[2]}));
  auto again = store_->remove(put[1]);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ENOENT);
}

TEST_F(StoreTest, ListWithoutInitFails) {
  ContentStore s(tmp_ + "/nowhere");
  EXPECT_FALSE(s.list().ok());
  EXPECT_FALSE(s.writer().ok());
}

TEST_F(StoreTest, CleanIngestRemovesOldFilesOnly) {
  std::string ingest = store_->root() + "/ingest/";
  ASSERT_TRUE(fs::write_file(ingest + "crashed", "left by a crash").ok());
  struct timespec old[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (ingest + "crashed").c_str(), old, 0), 0);
  ASSERT_EQ(::mkdir((ingest + "a-dir").c_str(), 0755), 0);
  ::utimensat(AT_FDCWD, (ingest + "a-dir").c_str(), old, 0);
  auto w = store_->writer();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->write("live", 4).ok());
  ASSERT_EQ(ingest_files().size(), 3u);

  ASSERT_TRUE(store_->clean_ingest(3600).ok());
  auto left = ingest_files();
  EXPECT_EQ(left.size(), 2u);  // the live writer's file and the directory
  EXPECT_TRUE(std::find(left.begin(), left.end(), "crashed") == left.end());
  auto d = w->commit();
  ASSERT_TRUE(d.ok()) << d.error().message();

  // Age 0 takes everything, even a writer still open: its commit then fails.
  auto w2 = store_->writer();
  ASSERT_TRUE(w2.ok());
  ASSERT_TRUE(w2->write("late", 4).ok());
  ASSERT_TRUE(store_->clean_ingest(0).ok());
  EXPECT_EQ(ingest_files(), std::vector<std::string>{"a-dir"});
  EXPECT_FALSE(w2->commit().ok());
  EXPECT_FALSE(store_->has(sha256_of("late")));
}

}  // namespace
}  // namespace hutch::image
