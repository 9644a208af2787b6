// One writer per output: the advisory lock, in process and between two real `db build` runs.
#include "d2a/output_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cli_support.h"
#include "d2a/data/digits.h"
#include "d2a/error.h"

namespace d2a {
namespace {

TEST(OutputLock, RefusesASecondHolderNamingTheFirstAndFreesOnRelease) {
  const auto dir = test::scratch_dir("output_lock");
  const std::string db = (dir / "x.h5").string();
  {
    const OutputLock first(db, false, "d2a db build --out x.h5");
    EXPECT_TRUE(std::filesystem::exists(db + ".lock"));
    try {
      const OutputLock second(db, false, "another");  // another open file: flock conflicts
      FAIL() << "a second lock on the same output was granted";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(e.exit_status(), 2);
      EXPECT_NE(message.find("pid " + std::to_string(getpid())), std::string::npos) << message;
      EXPECT_NE(message.find("d2a db build --out x.h5"), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(db + ".lock"));  // removed on release
  const OutputLock again(db, false, "again");           // and free
  // A folder output is locked beside it, without creating it (nothing appears in its place
  // before the command has checked its inputs)...
  const OutputLock folder((dir / "models" / "new").string(), true, "meta-train");
  EXPECT_TRUE(std::filesystem::exists(dir / "models" / "new.lock"));
  EXPECT_FALSE(std::filesystem::exists(dir / "models" / "new"));
  // ...and a file in a missing folder is left to the command to report.
  const OutputLock nowhere((dir / "missing" / "x.h5").string(), false, "db build");
  EXPECT_FALSE(std::filesystem::exists(dir / "missing"));
}

TEST(OutputLock, TwoBuildsOfOneDatabaseNeverInterleave) {
  if (!std::filesystem::exists(kSklearnDigitsPath)) GTEST_SKIP() << "python3-sklearn missing";
  const auto dir = test::scratch_dir("output_lock_cli");
  const std::vector<std::string> args = {
      "db", "build", "--data", "digits", "--out", (dir / "db.h5").string(), "--tasks", "2",
      "--archs-per-task", "3", "--budget", "cpu-fast", "--epochs", "5", "--threads", "1",
      "--seed", "1", "--json"};
  // Started together: one builds, the other is refused at once with one line.
  const auto runs = test::run_ranks({"env", "env"}, args, "output_lock_cli_runs");
  const int refused = (runs[0].status == 2) + (runs[1].status == 2);
  const int built = (runs[0].status == 0) + (runs[1].status == 0);
  ASSERT_EQ(refused, 1) << runs[0].err << runs[1].err;
  ASSERT_EQ(built, 1) << runs[0].err << runs[1].err;
  const auto& loser = runs[0].status == 2 ? runs[0] : runs[1];
  EXPECT_NE(loser.err.find("is being written by another d2a (pid "), std::string::npos) << loser.err;
  EXPECT_EQ(test::count_lines(loser.err), 1) << loser.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "db.h5.lock"));
}

}  // namespace
}  // namespace d2a
