// `d2a report` as a real process: the page and its plots are written, and a real browser
// (Debian's headless Chromium, when installed) loads every image.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_support.h"
#include "meta/tiny_meta_model.h"

namespace d2a {
namespace {

namespace fs = std::filesystem;
using test::run_d2a;

// The page's own check, as a headless browser sees it after loading: "images: N of M loaded".
std::string browser_image_check(const fs::path& index, const fs::path& scratch) {
  const std::string command =
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir=" +
      shell_word((scratch / "chromium-profile").string()) +
      " --virtual-time-budget=5000 --dump-dom " +
      shell_word("file://" + fs::absolute(index).string()) + " 2>/dev/null > " +
      shell_word((scratch / "dom.html").string());
  if (std::system(command.c_str()) != 0) return "chromium failed";
  std::stringstream dom;
  dom << std::ifstream(scratch / "dom.html").rdbuf();
  const std::string text = dom.str();
  const auto at = text.find("images: ");
  return at == std::string::npos ? "no check in the DOM" : text.substr(at, text.find('<', at) - at);
}

TEST(ReportCommand, WritesAPageWhosePlotsLoadInABrowser) {
  const auto table = test::nb201_table("nb201_hw_latency_cifar10.csv");
  const auto bench = test::nb201_table("nb201_test_acc_200ep.csv");
  D2A_REQUIRE_FILE(table);
  D2A_REQUIRE_FILE(bench);
  const fs::path dir = test::scratch_dir("report_cli");
  test::write_noise_image_folder(dir / "images", 3, 8);
  test::save_tiny_meta_model(dir / "model");
  const std::vector<std::string> suggest = {
      "suggest", "--data", (dir / "images").string(), "--model", (dir / "model").string(),
      "--draws", "2", "--threads", "1", "--json", "--target", "edgegpu", "--latency-table",
      table.string(), "--pareto", "--top", "40", "--max-latency-ms", "6"};
  const auto s = run_d2a(suggest, "report_suggest");
  ASSERT_EQ(s.status, 0) << s.err;
  std::ofstream(dir / "suggest.json") << s.out;
  std::vector<std::string> all = {"suggest", "--data", (dir / "images").string(), "--model",
                                  (dir / "model").string(), "--draws", "2", "--threads", "1",
                                  "--all", "--json", "--scores-out", (dir / "scores.csv").string()};
  ASSERT_EQ(run_d2a(all, "report_scores").status, 0);
  // A search directory as `d2a search` leaves it: result.json and alphas.png.
  fs::create_directories(dir / "search");
  std::ofstream(dir / "search" / "result.json")
      << R"({"method": "darts", "space": "nb201", "epochs": 2, "genotype": "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
             "history": [{"epoch": 1, "train_loss": 2.1, "valid_loss": 2.2, "train_accuracy": 20, "valid_accuracy": 18},
                         {"epoch": 2, "train_loss": 1.7, "valid_loss": 1.9, "train_accuracy": 35, "valid_accuracy": 30}]})";
  std::vector<unsigned char> pixels(16 * 16 * 3, 200);
  ASSERT_NE(stbi_write_png((dir / "search" / "alphas.png").string().c_str(), 16, 16, 3, pixels.data(), 48), 0);

  const fs::path out = dir / "report";
  const auto r = run_d2a({"report", "--out", out.string(), "--suggest", (dir / "suggest.json").string(),
                          "--scores", (dir / "scores.csv").string(), "--bench", bench.string(),
                          "--search", (dir / "search").string(), "--json"},
                         "report_run");
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json result = nlohmann::json::parse(r.out);
  ASSERT_EQ(result["images"].size(), 4u);  // pareto, prediction, losses, alphas
  for (const auto& image : result["images"]) {
    const fs::path png = out / image.get<std::string>();
    ASSERT_TRUE(fs::exists(png)) << png;
    EXPECT_GT(fs::file_size(png), 0u) << png;
  }
  std::stringstream html;
  html << std::ifstream(out / "index.html").rdbuf();
  EXPECT_NE(html.str().find("Pareto"), std::string::npos);
  EXPECT_NE(html.str().find("Spearman"), std::string::npos);

  if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "chromium is not installed (tools/setup.sh installs it): the page was "
                    "written but no browser opened it";
  }
  EXPECT_EQ(browser_image_check(out / "index.html", dir), "images: 4 of 4 loaded");
  // The check can fail: a missing plot is seen as broken.
  fs::remove(out / "losses.png");
  EXPECT_EQ(browser_image_check(out / "index.html", dir), "images: 3 of 4 loaded");
}

TEST(ReportCommand, RefusesNothingToReportAndBadInputs) {
  const fs::path dir = test::scratch_dir("report_bad");
  for (const auto& [args, needle] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"report", "--out", (dir / "a").string()}, "nothing to report"},
           {{"report", "--out", (dir / "b").string(), "--suggest", (dir / "none.json").string()}, "none.json"},
           {{"report", "--out", (dir / "c").string(), "--scores", "x.csv"}, "go together"},
           {{"report", "--out", (dir / "d").string(), "--search", (dir / "nowhere").string()}, "nowhere"}}) {
    const auto r = run_d2a(args, "report_bad");
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(test::count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace d2a
