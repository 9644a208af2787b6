#include "d2a/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli_support.h"

namespace d2a {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using test::count_lines;

// A Progress writing into a temporary file, and what it wrote.
class CapturedProgress {
 public:
  CapturedProgress() : file_(std::tmpfile(), &std::fclose) {}
  ProgressSink sink(bool terminal, milliseconds log_every) const {
    return ProgressSink{file_.get(), terminal, log_every};
  }
  std::string text() const {
    std::fflush(file_.get());
    std::rewind(file_.get());
    std::string out;
    char buffer[256];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file_.get())) > 0) out.append(buffer, n);
    return out;
  }

 private:
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
};

TEST(Progress, ALogGetsPlainLinesWithTheShareDoneAndAFinalOne) {
  CapturedProgress captured;
  {
    Progress progress("db build", 4, "records", false, captured.sink(false, milliseconds(0)));
    EXPECT_TRUE(progress.due());
    progress.set(1, "task 0");
    progress.advance(1);
    progress.finish();
    progress.finish();  // idempotent, and the destructor adds nothing
  }
  const std::string text = captured.text();
  EXPECT_EQ(count_lines(text), 3) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << "a log line has no carriage return";
  EXPECT_EQ(text.find('\033'), std::string::npos) << "a log line has no escape codes";
  EXPECT_EQ(text.rfind("db build 1/4 records (25 %)", 0), 0u) << text;
  EXPECT_NE(text.find("task 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db build 2/4 records (50 %)"), std::string::npos) << text;
  EXPECT_NE(text.find("ETA "), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(Progress, ALogLineShowsANoteOnlyIfOneCameSinceTheLineBefore) {
  CapturedProgress captured;
  {
    Progress progress("train", 8, "steps", false, captured.sink(false, milliseconds(0)));
    progress.set(3, "epoch 1/2");
    progress.set(6);  // no note: the old one would misstate where the work is
    progress.set(7, "epoch 2/2");
    progress.finish();
  }
  const std::string text = captured.text();
  ASSERT_EQ(count_lines(text), 4) << text;
  std::vector<std::string> lines;
  for (std::size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1) {
    lines.push_back(text.substr(at, end - at));
  }
  EXPECT_NE(lines[0].find("epoch 1/2"), std::string::npos) << text;
  EXPECT_EQ(lines[1].find("epoch"), std::string::npos) << text;
  EXPECT_NE(lines[2].find("epoch 2/2"), std::string::npos) << text;
  EXPECT_EQ(lines[3].rfind("train 7/8 steps (87 %)", 0), 0u) << text;
  EXPECT_EQ(lines[3].find("epoch"), std::string::npos) << text;
}

TEST(Progress, ARunShorterThanTheLogIntervalLeavesTheLogEmpty) {
  CapturedProgress captured;
  {
    Progress progress("train", 10, "steps", false, captured.sink(false, hours(1)));
    for (int i = 0; i < 10; ++i) progress.advance(1, "loss 0.5");
    EXPECT_FALSE(progress.due());
  }
  EXPECT_EQ(captured.text(), "");
}

TEST(Progress, ATerminalGetsABarRedrawnInPlaceAndOneNewlineAtTheEnd) {
  CapturedProgress captured;
  {
    Progress progress("search darts", 0, "steps", false, captured.sink(true, hours(1)));
    progress.set(3, "epoch 1/2");
    progress.finish();
  }
  const std::string text = captured.text();
  EXPECT_EQ(count_lines(text), 1) << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find("\r\033[Ksearch darts 3 steps"), std::string::npos) << text;
}

TEST(Progress, QuietWritesNothingAnywhere) {
  for (bool terminal : {false, true}) {
    CapturedProgress captured;
    {
      Progress progress("train", 2, "steps", true, captured.sink(terminal, milliseconds(0)));
      EXPECT_FALSE(progress.enabled());
      EXPECT_FALSE(progress.due());
      progress.advance(2, "done");
    }
    EXPECT_EQ(captured.text(), "") << "terminal " << terminal;
  }
}

}  // namespace
}  // namespace d2a
