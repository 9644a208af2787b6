#include "d2a/read_probe.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "d2a/error.h"

namespace d2a {
namespace {

bool probe_runs_here() {
  // Sanitizer builds skip the probe while other threads run (gtest starts none, but be sure).
  return std::getenv("D2A_NO_PROBE") == nullptr;
}

TEST(ReadProbe, AReadThatRefusesTheFileIsRefusedWithItsOwnMessageAndKind) {
  if (!probe_runs_here()) GTEST_SKIP() << "D2A_NO_PROBE is set";
  try {
    read_first_in_child("f.bin", "thing", "reader", [] { throw bad_input("f.bin: not a thing (bad magic)"); });
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "f.bin: not a thing (bad magic)");
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
  }
  try {
    read_first_in_child("f.bin", "thing", "reader", [] { throw runtime_failure("f.bin: disk gone"); });
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "f.bin: disk gone");
    EXPECT_EQ(e.kind(), ErrorKind::kRuntime);
  }
}

TEST(ReadProbe, AReadThatSucceedsOrThrowsSomethingElseLeavesTheReadToTheCaller) {
  EXPECT_NO_THROW(read_first_in_child("f.bin", "thing", "reader", [] {}));
  EXPECT_NO_THROW(read_first_in_child("f.bin", "thing", "reader", [] { throw std::runtime_error("x"); }));
}

TEST(ReadProbe, ACrashInTheReadIsOneLineAndTheCallerLives) {
  if (!probe_runs_here()) GTEST_SKIP() << "D2A_NO_PROBE is set";
  try {
    read_first_in_child("f.bin", "thing", "reader", [] { std::raise(SIGSEGV); });
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("f.bin: corrupt thing (the reader crashed reading it: ", 0), 0u)
        << e.what();
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
  }
}

}  // namespace
}  // namespace d2a
