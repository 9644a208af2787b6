#include "d2a/space/darts_genotype.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "d2a/error.h"

namespace d2a {
namespace {

const char* const kDartsV2 =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

const char* const kPcDarts =
    "Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 0), "
    "('dil_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('avg_pool_3x3', 0), "
    "('dil_conv_3x3', 1)], normal_concat=range(2, 6), reduce=[('sep_conv_5x5', 1), "
    "('max_pool_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 2), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 3), ('sep_conv_3x3', 1), ('sep_conv_3x3', 2)], reduce_concat=range(2, 6))";

std::string error_of(std::string_view text) {
  try {
    DartsGenotype::parse(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_status(), 2);
    return e.what();
  }
  return "";
}

void expect_error(std::string_view text, const std::vector<std::string>& parts) {
  const std::string msg = error_of(text);
  ASSERT_FALSE(msg.empty()) << "accepted: " << text;
  for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << msg;
}

// kDartsV2 with the first occurrence of `from` replaced by `to`.
std::string edit(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(DartsGenotype, DartsV2RoundTripsCharacterForCharacter) {
  const DartsGenotype g = DartsGenotype::parse(kDartsV2);
  EXPECT_EQ(g.str(), kDartsV2);
  EXPECT_EQ(DartsGenotype::parse(g.str()), g);
  ASSERT_EQ(g.normal().edges.size(), 8u);
  EXPECT_EQ(g.normal().edges[7].op, DartsOp::kDilConv3x3);
  EXPECT_EQ(g.normal().edges[7].input, 2);
  EXPECT_EQ(g.reduce().edges[2].op, DartsOp::kSkipConnect);
  EXPECT_EQ(g.reduce().concat, (std::vector<int>{2, 3, 4, 5}));
}

TEST(DartsGenotype, PcDartsRangeConcatPrintsAsAList) {
  const DartsGenotype g = DartsGenotype::parse(kPcDarts);
  EXPECT_EQ(g.normal().concat, (std::vector<int>{2, 3, 4, 5}));
  EXPECT_EQ(g.reduce().edges[5].op, DartsOp::kSepConv3x3);
  EXPECT_EQ(g.reduce().edges[5].input, 3);
  std::string canonical = kPcDarts;
  canonical = edit(canonical, "range(2, 6)", "[2, 3, 4, 5]");
  canonical = edit(canonical, "range(2, 6)", "[2, 3, 4, 5]");
  EXPECT_EQ(g.str(), canonical);
  EXPECT_EQ(DartsGenotype::parse(g.str()), g);
  EXPECT_NE(g, DartsGenotype::parse(kDartsV2));
}

TEST(DartsGenotype, ToleratesWhitespaceQuotesFieldOrderAndTrailingCommas) {
  const std::string loose =
      "  Genotype (\n  reduce_concat = range( 2,6 ),\n  normal = [ (\"sep_conv_3x3\" ,0 ),"
      "('sep_conv_3x3',1),('sep_conv_3x3',0),('sep_conv_3x3',1),('sep_conv_3x3',1),"
      "('skip_connect',0),('skip_connect',0),('dil_conv_3x3',2), ],\n\tnormal_concat=[2,3,4,5],"
      "reduce=[('max_pool_3x3',0),('max_pool_3x3',1),('skip_connect',2),('max_pool_3x3',1),"
      "('max_pool_3x3',0),('skip_connect',2),('skip_connect',2),('max_pool_3x3',1)],\n)\n";
  EXPECT_EQ(DartsGenotype::parse(loose).str(), kDartsV2);
}

TEST(DartsGenotype, ConstructedGenotypeValidatesAndRoundTrips) {
  DartsCellGenotype normal;
  for (int node = 0; node < kDartsNumNodes; ++node) {
    normal.edges.push_back({DartsOp::kSepConv5x5, node + 1});
    normal.edges.push_back({DartsOp::kDilConv5x5, 0});
  }
  normal.concat = {5, 4};
  DartsCellGenotype reduce = normal;
  reduce.edges[0].op = DartsOp::kAvgPool3x3;
  reduce.concat = {2, 3, 4, 5};
  const DartsGenotype g(normal, reduce);
  EXPECT_EQ(g.str(),
            "Genotype(normal=[('sep_conv_5x5', 1), ('dil_conv_5x5', 0), ('sep_conv_5x5', 2), "
            "('dil_conv_5x5', 0), ('sep_conv_5x5', 3), ('dil_conv_5x5', 0), ('sep_conv_5x5', 4), "
            "('dil_conv_5x5', 0)], normal_concat=[5, 4], reduce=[('avg_pool_3x3', 1), "
            "('dil_conv_5x5', 0), ('sep_conv_5x5', 2), ('dil_conv_5x5', 0), ('sep_conv_5x5', 3), "
            "('dil_conv_5x5', 0), ('sep_conv_5x5', 4), ('dil_conv_5x5', 0)], "
            "reduce_concat=[2, 3, 4, 5])");
  EXPECT_EQ(DartsGenotype::parse(g.str()), g);

  normal.edges[6].input = 5;  // node 3 reads itself
  try {
    DartsGenotype(normal, reduce);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("normal[6] ('sep_conv_5x5', 5)"), std::string::npos)
        << e.what();
  }
}

TEST(DartsGenotype, JsonRoundTrip) {
  const DartsGenotype g = DartsGenotype::parse(kPcDarts);
  const nlohmann::json j = g.to_json();
  EXPECT_EQ(j["normal"][0], nlohmann::json({"sep_conv_3x3", 1}));
  EXPECT_EQ(j["reduce_concat"], nlohmann::json({2, 3, 4, 5}));
  EXPECT_EQ(DartsGenotype::from_json(nlohmann::json::parse(j.dump())), g);

  nlohmann::json missing = j;
  missing.erase("reduce_concat");
  EXPECT_THROW(DartsGenotype::from_json(missing), Error);
  nlohmann::json bad_op = j;
  bad_op["normal"][3][0] = "conv_7x7";
  EXPECT_THROW(DartsGenotype::from_json(bad_op), Error);
  nlohmann::json bad_input = j;
  bad_input["reduce"][0][1] = 2;  // node 0 may read only states 0 and 1
  EXPECT_THROW(DartsGenotype::from_json(bad_input), Error);
  nlohmann::json bad_shape = j;
  bad_shape["normal"][1] = "skip_connect";
  EXPECT_THROW(DartsGenotype::from_json(bad_shape), Error);
}

TEST(DartsGenotype, RejectsEachKindOfInvalidGenotype) {
  const std::string v2 = kDartsV2;
  // Unknown op: named, with its character position and the valid list.
  expect_error(edit(v2, "'dil_conv_3x3'", "'dil_conv_7x7'"),
               {"unknown DARTS op 'dil_conv_7x7'", "at character 166", "sep_conv_5x5"});
  // Too few / too many entries for 4 nodes.
  expect_error(edit(v2, ", ('dil_conv_3x3', 2)]", "]"), {"'normal' has 7 entries", "exactly 8"});
  expect_error(edit(v2, "('max_pool_3x3', 1)], reduce_concat",
                    "('max_pool_3x3', 1), ('none', 0)], reduce_concat"),
               {"'reduce' has 9 entries"});
  // An input from a later (or the same) node.
  expect_error(edit(v2, "('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0)",
                    "('skip_connect', 2), ('max_pool_3x3', 3), ('max_pool_3x3', 0)"),
               {"reduce[3] ('max_pool_3x3', 3)", "intermediate node 1", "states 0..2"});
  expect_error(edit(v2, "('sep_conv_3x3', 1), ('sep_conv_3x3', 0)",
                    "('sep_conv_3x3', 2), ('sep_conv_3x3', 0)"),
               {"normal[1]", "intermediate node 0", "states 0..1, not 2"});
  expect_error(edit(v2, "('sep_conv_3x3', 0)", "('sep_conv_3x3', -1)"), {"normal[0]", "not -1"});
  // Two inputs of one node from the same state.
  expect_error(edit(v2, "('sep_conv_3x3', 0), ('sep_conv_3x3', 1)",
                    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1)"),
               {"normal[1]", "normal[0] also reads state 1", "two different inputs"});
  // Bad concat: out of range, duplicate, empty.
  expect_error(edit(v2, "normal_concat=[2, 3, 4, 5]", "normal_concat=[1, 2, 3]"),
               {"normal_concat[0] = 1", "not an intermediate state (2..5)"});
  expect_error(edit(v2, "reduce_concat=[2, 3, 4, 5]", "reduce_concat=[2, 3, 6]"),
               {"reduce_concat[2] = 6"});
  expect_error(edit(v2, "normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 3, 3]"),
               {"normal_concat[2] = 3", "listed twice"});
  expect_error(edit(v2, "normal_concat=[2, 3, 4, 5]", "normal_concat=[]"),
               {"'normal_concat' is empty"});
  expect_error(edit(v2, "normal_concat=[2, 3, 4, 5]", "normal_concat=range(6, 2)"),
               {"empty range(6, 2)"});
  // Syntax: position and what was expected.
  expect_error(edit(v2, "Genotype(", "Genotype["), {"at character 9", "expected '('"});
  expect_error(edit(v2, "('sep_conv_3x3', 0)", "(sep_conv_3x3, 0)"),
               {"at character 19", "expected a quoted op name"});
  expect_error(edit(v2, ", normal_concat=[2, 3, 4, 5]", ""), {"no field 'normal_concat'"});
  expect_error(edit(v2, "normal_concat", "normal_kontakt"), {"unknown field 'normal_kontakt'"});
  expect_error(edit(v2, "reduce_concat", "normal_concat"), {"field 'normal_concat' given twice"});
  expect_error(v2 + " extra", {"expected end of text"});
  expect_error(edit(v2, ", 5])", ", 5]"), {"at the end of the text", "expected ')'"});
  expect_error("", {"at character 1", "expected 'Genotype'"});
}

TEST(DartsGenotype, OpNamesFollowThePrimitivesOrder) {
  const auto names = darts_op_names();
  ASSERT_EQ(names.size(), static_cast<std::size_t>(kDartsNumOps));
  for (int i = 0; i < kDartsNumOps; ++i) {
    EXPECT_EQ(darts_op_from_name(names[i]), static_cast<DartsOp>(i));
    EXPECT_EQ(darts_op_name(static_cast<DartsOp>(i)), names[i]);
  }
  EXPECT_EQ(names.front(), "none");
  EXPECT_EQ(names[4], "sep_conv_3x3");
  EXPECT_THROW(darts_op_from_name("conv_3x3"), Error);
}

}  // namespace
}  // namespace d2a
