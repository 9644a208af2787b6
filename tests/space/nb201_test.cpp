#include "d2a/space/nb201.h"

#include <gtest/gtest.h>

#include <set>

#include "d2a/bench/csv.h"
#include "d2a/error.h"
#include "test_support.h"

namespace d2a {
namespace {

TEST(Nb201Cell, ParsesAndPrintsTheCanonicalString) {
  const std::string text =
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|";
  const Nb201Cell cell = Nb201Cell::parse(text);
  EXPECT_EQ(cell.op(0), Nb201Op::kNorConv3x3);
  EXPECT_EQ(cell.op(3), Nb201Op::kSkipConnect);
  EXPECT_EQ(cell.op(5), Nb201Op::kNorConv1x1);
  EXPECT_EQ(cell.str(), text);
}

TEST(Nb201Cell, DenseEnumerationCoversTheSpaceOnce) {
  std::set<std::string> seen;
  for (int i = 0; i < kNb201NumCells; ++i) {
    const Nb201Cell cell = Nb201Cell::from_dense_index(i);
    ASSERT_EQ(cell.dense_index(), i);
    ASSERT_EQ(Nb201Cell::parse(cell.str()), cell);
    ASSERT_EQ(Nb201Cell::from_codes(cell.codes()), cell);
    seen.insert(cell.str());
  }
  EXPECT_EQ(seen.size(), 15625u);
  EXPECT_EQ(Nb201Cell::from_dense_index(0).str(),
            "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
}

TEST(Nb201Cell, RoundTripsEveryStringOfTheBenchmarkTable) {
  const auto path = test::nb201_table("nb201_test_acc_200ep.csv");
  D2A_REQUIRE_FILE(path);
  const CsvTable table = CsvTable::read(path.string());
  const std::size_t col = table.column("ArchitectureString");
  ASSERT_EQ(table.num_rows(), 15625u);
  std::set<int> dense;
  for (std::size_t r = 0; r < table.num_rows(); ++r) {
    const Nb201Cell cell = Nb201Cell::parse(table.cell(r, col));
    ASSERT_EQ(cell.str(), table.cell(r, col)) << "row " << r;
    dense.insert(cell.dense_index());
  }
  EXPECT_EQ(dense.size(), 15625u);  // the table is a permutation of the space
}

TEST(Nb201Cell, RejectsMalformedStrings) {
  const char* bad[] = {
      "",
      "|nor_conv_3x3~0|",
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|",
      "|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|",
      "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
      "|none~0|+|none~0|+|none~0|none~1|none~2|",
      "|none~0|+|none~0|none~1|none~2|+|none~0|none~1|none~2|",
      "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|x",
      "none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
      "|none0|+|none~0|none~1|+|none~0|none~1|none~2|",
  };
  for (const char* text : bad) {
    EXPECT_THROW(Nb201Cell::parse(text), Error) << text;
  }
  try {
    Nb201Cell::parse("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("conv_5x5"), std::string::npos);
    EXPECT_EQ(e.exit_status(), 2);
  }
  EXPECT_THROW(Nb201Cell::from_dense_index(15625), Error);
  EXPECT_THROW(Nb201Cell::from_codes({0, 0, 0, 0, 0, 5}), Error);
}

}  // namespace
}  // namespace d2a
