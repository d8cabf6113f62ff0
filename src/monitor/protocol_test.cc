#include "monitor/protocol.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "monitor/launch.h"

namespace hutch::monitor {
namespace {

TEST(Frames, EncodeDecode) {
  std::string f = encode_frame(Frame::kStdout, "hello");
  ASSERT_EQ(f.size(), 10u);
  EXPECT_EQ(f[0], 1);
  EXPECT_EQ(f.substr(1, 4), std::string("\0\0\0\5", 4));
  Frame t;
  std::string p;
  auto used = decode_frame(f, &t, &p);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 10u);
  EXPECT_EQ(t, Frame::kStdout);
  EXPECT_EQ(p, "hello");
}

TEST(Frames, DecodeNeedsWholeFrame) {
  std::string f = encode_frame(Frame::kStdin, std::string(300, 'x')) + encode_frame(Frame::kStdinClose, "");
  Frame t;
  std::string p;
  for (size_t n = 0; n < 305; ++n) {
    auto used = decode_frame(std::string_view(f).substr(0, n), &t, &p);
    ASSERT_TRUE(used.ok());
    EXPECT_EQ(*used, 0u) << n;
  }
  auto used = decode_frame(f, &t, &p);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 305u);
  EXPECT_EQ(p.size(), 300u);
  used = decode_frame(std::string_view(f).substr(305), &t, &p);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 5u);
  EXPECT_EQ(t, Frame::kStdinClose);
  EXPECT_EQ(p, "");
}

TEST(Frames, TooLongRefused) {
  std::string h = "\x01\x7f\xff\xff\xff";
  Frame t;
  std::string p;
  EXPECT_FALSE(decode_frame(h, &t, &p).ok());
}

TEST(Frames, ReadWriteOverSocket) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  std::string big(100000, 'y');
  ASSERT_TRUE(write_frame(a.get(), Frame::kResize, "24 80").ok());
  Frame t;
  std::string p;
  bool eof = false;
  ASSERT_TRUE(read_frame(b.get(), &t, &p, &eof).ok());
  EXPECT_EQ(t, Frame::kResize);
  EXPECT_EQ(p, "24 80");
  // A frame larger than the socket buffer needs a concurrent reader; keep to
  // one that fits.
  std::string mid(50000, 'y');
  ASSERT_TRUE(write_frame(a.get(), Frame::kStderr, mid).ok());
  ASSERT_TRUE(read_frame(b.get(), &t, &p, &eof).ok());
  EXPECT_EQ(p, mid);
  a.reset();
  auto st = read_frame(b.get(), &t, &p, &eof);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(eof);
  EXPECT_EQ(st.error().code(), 0);
}

TEST(SyncMessages, ErrorPayload) {
  std::string text;
  int code = -1;
  parse_error_message("exec: code=127: exec: \"x\": executable file not found in $PATH", &text, &code);
  EXPECT_EQ(code, 127);
  EXPECT_EQ(text, "exec: \"x\": executable file not found in $PATH");
  parse_error_message("mount failed", &text, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(text, "mount failed");
  EXPECT_EQ(exit_code_for(Error(ENOENT, "x")), 127);
  EXPECT_EQ(exit_code_for(Error(EACCES, "x")), 126);
  EXPECT_EQ(exit_code_for(Error(EIO, "x")), 125);
}

TEST(Attach, PathIsInRunDir) { EXPECT_EQ(attach_path("/run/hutch/x"), "/run/hutch/x/attach"); }

}  // namespace
}  // namespace hutch::monitor
