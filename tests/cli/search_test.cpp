// `d2a search` as a real process on Debian's 8x8 digits: a tiny supernet for one or two epochs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "test_support.h"
#include "d2a/data/digits.h"
#include "d2a/space/nb201.h"

namespace d2a {
namespace {

using test::run_d2a;

std::vector<std::string> tiny_search(const std::string& method, const std::string& out) {
  return {"search", "--method", method, "--data", "digits", "--per-class", "16",
          "--channels", "4", "--cells", "1", "--image-size", "8", "--batch", "16",
          "--out", out, "--threads", "1", "--seed", "3", "--json"};
}

TEST(SearchCommand, SearchesWritesHistoryAndResumes) {
  if (!std::filesystem::exists(kSklearnDigitsPath)) GTEST_SKIP() << "python3-sklearn missing";
  const auto dir = test::scratch_dir("search_cli");
  const std::string out = (dir / "gdas").string();
  auto args = tiny_search("gdas", out);
  args.insert(args.end(), {"--epochs", "1", "--bench", test::nb201_table("nb201_test_acc_200ep.csv").string()});
  const auto first = run_d2a(args, "search_cli_first");
  ASSERT_EQ(first.status, 0) << first.err;
  const auto j = nlohmann::json::parse(first.out);
  EXPECT_NO_THROW(Nb201Cell::parse(j["genotype"].get<std::string>())) << j["genotype"];
  EXPECT_EQ(j["history"].size(), 1u);
  EXPECT_EQ(j["classes"], 10);
  EXPECT_GT(j["history"][0]["alpha_entropy"].get<double>(), 0.0);
  EXPECT_TRUE(j["bench"]["accuracy"].contains("cifar10-test")) << j["bench"];
  // 6 edges x 5 ops after epoch 1, plus the header.
  EXPECT_EQ(test::count_lines(test::read_text(dir / "gdas" / "alphas.csv")), 1 + 30);
  EXPECT_TRUE(std::filesystem::exists(dir / "gdas" / "checkpoint.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "gdas" / "result.json"));
  if (!j["alphas_png"].is_null()) EXPECT_GT(std::filesystem::file_size(j["alphas_png"].get<std::string>()), 1000u);

  // Without --resume the folder is refused; with it, epoch 2 continues epoch 1.
  const auto again = run_d2a(args, "search_cli_again");
  EXPECT_EQ(again.status, 2) << again.err;
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
  auto more = tiny_search("gdas", out);
  more.insert(more.end(), {"--epochs", "2", "--resume", "--no-plot"});
  const auto second = run_d2a(more, "search_cli_resume");
  ASSERT_EQ(second.status, 0) << second.err;
  const auto k = nlohmann::json::parse(second.out);
  EXPECT_EQ(k["first_epoch"], 2);
  EXPECT_EQ(k["history"].size(), 1u);
  EXPECT_EQ(test::count_lines(test::read_text(dir / "gdas" / "alphas.csv")), 1 + 60);
}

// The warm start asks the shipped meta-model for cells and starts the alphas from them.
TEST(SearchCommand, InitFromSuggestStartsFromTheSuggestedCells) {
  if (!std::filesystem::exists(kSklearnDigitsPath)) GTEST_SKIP() << "python3-sklearn missing";
  const auto dir = test::scratch_dir("search_cli_warm");
  auto args = tiny_search("darts", (dir / "warm").string());
  args.insert(args.end(), {"--epochs", "1", "--no-plot", "--init-from-suggest", "--suggest-top", "5"});
  const auto r = run_d2a(args, "search_cli_warm");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["warm_start"]["cells"].size(), 5u) << j["warm_start"];
  for (const auto& cell : j["warm_start"]["cells"]) EXPECT_NO_THROW(Nb201Cell::parse(cell.get<std::string>()));
  // After one short epoch the alphas still carry the start: the genotype's op on each edge is
  // one the suggested cells use there.
  const Nb201Cell found = Nb201Cell::parse(j["genotype"].get<std::string>());
  for (int e = 0; e < kNb201NumEdges; ++e) {
    bool used = false;
    for (const auto& cell : j["warm_start"]["cells"]) used |= Nb201Cell::parse(cell.get<std::string>()).op(e) == found.op(e);
    EXPECT_TRUE(used) << "edge " << e << " of " << found.str();
  }
}

// Without --json the result ends with the command that trains the found genotype, to paste.
TEST(SearchCommand, HumanOutputEndsWithTheTrainCommandOfTheGenotype) {
  if (!std::filesystem::exists(kSklearnDigitsPath)) GTEST_SKIP() << "python3-sklearn missing";
  const auto dir = test::scratch_dir("search_cli_human");
  auto args = tiny_search("gdas", (dir / "gdas").string());
  args.pop_back();  // --json
  args.insert(args.end(), {"--epochs", "1", "--no-plot"});
  const auto r = run_d2a(args, "search_cli_human");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string tag = "genotype:  ";
  const auto at = r.out.find(tag);
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::string genotype =
      r.out.substr(at + tag.size(), r.out.find('\n', at) - at - tag.size());
  EXPECT_NO_THROW(Nb201Cell::parse(genotype)) << genotype;
  EXPECT_NE(r.out.find("\nnext:      " + shell_word(D2A_EXECUTABLE) +
                       " train --data digits --arch '" + genotype + "' --budget cpu-user"),
            std::string::npos)
      << r.out;
}

TEST(SearchCommand, BadInputExitsTwoWithOneLine) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"search", "--method", "enas", "--data", "digits"}, "enas"},
      {{"search", "--method", "darts", "--data", "/no/such/folder"}, "/no/such/folder"},
      {{"search", "--method", "darts", "--space", "darts", "--data", "digits", "--bench", "x.csv"},
       "--bench"},
      {{"search", "--method", "darts", "--space", "darts", "--data", "digits",
        "--init-from-suggest"},
       "--init-from-suggest"},
      {{"search", "--method", "darts", "--data", "digits", "--epochs", "0"}, "--epochs"},
  };
  for (const auto& [args, expect] : cases) {
    const auto r = run_d2a(args, "search_cli_bad");
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(test::count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace d2a
