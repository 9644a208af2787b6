#include "d2a/words.h"

#include <gtest/gtest.h>

namespace d2a {
namespace {

TEST(Words, OneIsSingularAndEveryOtherCountPlural) {
  EXPECT_EQ(count_of(1, "epoch"), "1 epoch");
  EXPECT_EQ(count_of(2, "epoch"), "2 epochs");
  EXPECT_EQ(count_of(0, "epoch"), "0 epochs");
  EXPECT_EQ(count_of(-1, "step"), "-1 steps");
}

TEST(Words, ShellWordQuotesOnlyWhatAShellWouldRead) {
  EXPECT_EQ(shell_word("build/data/my-photos_2.0"), "build/data/my-photos_2.0");
  EXPECT_EQ(shell_word("fashion-mnist"), "fashion-mnist");
  EXPECT_EQ(shell_word("|nor_conv_3x3~0|+|none~0|skip_connect~1|"),
            "'|nor_conv_3x3~0|+|none~0|skip_connect~1|'");
  EXPECT_EQ(shell_word("my photos"), "'my photos'");
  EXPECT_EQ(shell_word("it's $HOME"), "'it'\\''s $HOME'");
  EXPECT_EQ(shell_word(""), "''");
}

}  // namespace
}  // namespace d2a
