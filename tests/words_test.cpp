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

}  // namespace
}  // namespace d2a
