// d2a report: a self-contained HTML page with PNG plots (gnuplot) of what other commands wrote:
// a suggestion (its cells, the Pareto front over score and latency or FLOPs, the bound), the
// predictor against a benchmark table over the space (evaluation only), and a search (alpha
// evolution, losses and accuracies per epoch). No torch here.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "d2a/bench/csv.h"
#include "d2a/bench/nb201_table.h"
#include "d2a/cli/common.h"
#include "d2a/cli/gnuplot.h"
#include "d2a/error.h"
#include "d2a/space/nb201.h"
#include "d2a/words.h"

namespace d2a::cli {
namespace fs = std::filesystem;
namespace {

struct ReportArgs {
  std::string out;
  std::string suggest;       // d2a suggest --json output
  std::string scores;        // d2a suggest --scores-out CSV
  std::string bench;         // NAS-Bench-201 accuracy table (evaluation only)
  std::string bench_metric = "cifar10-test";
  std::string search;        // d2a search --out directory
  std::string title = "d2a report";
};

nlohmann::json read_json(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw bad_input(path + ": cannot open (" + what + ")");
  std::stringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(path + ": not valid JSON (" + what + ")");
  }
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fixed(double v, int digits = 2) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

std::string cell_text(const nlohmann::json& v, int digits = 2) {
  return v.is_number() ? fixed(v.get<double>(), digits) : "-";
}

// Spearman rank correlation (average ranks for ties).
double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<std::size_t> order(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < order.size();) {
      std::size_t j = i;
      while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
      for (std::size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * static_cast<double>(i + j);
      i = j + 1;
    }
    return r;
  };
  const auto rx = ranks(x), ry = ranks(y);
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += rx[i] / n, my += ry[i] / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

class Page {
 public:
  explicit Page(fs::path dir) : dir_(std::move(dir)) {}
  void heading(const std::string& text) { body_ << "<h2>" << html_escape(text) << "</h2>\n"; }
  void paragraph(const std::string& html) { body_ << "<p>" << html << "</p>\n"; }
  void raw(const std::string& html) { body_ << html; }
  // Plots `script` (whose output is the PNG `name` in the report folder) and embeds it.
  void plot(const std::string& name, const std::string& script, const std::string& caption) {
    const fs::path png = dir_ / name;
    if (run_gnuplot("set output '" + png.string() + "'\n" + script, png.string(), "d2a report")) {
      body_ << "<figure><img src=\"" << name << "\" alt=\"" << html_escape(caption)
            << "\"><figcaption>" << html_escape(caption) << "</figcaption></figure>\n";
      images_.push_back(name);
    } else {
      body_ << "<p class=\"note\">No plot: gnuplot did not run (see " << html_escape(name)
            << ".log).</p>\n";
    }
  }
  // Embeds an existing PNG, copied into the report folder.
  void image(const fs::path& source, const std::string& name, const std::string& caption) {
    std::error_code error;
    fs::copy_file(source, dir_ / name, fs::copy_options::overwrite_existing, error);
    if (error) throw runtime_failure((dir_ / name).string() + ": cannot write (" + error.message() + ")");
    body_ << "<figure><img src=\"" << name << "\" alt=\"" << html_escape(caption)
          << "\"><figcaption>" << html_escape(caption) << "</figcaption></figure>\n";
    images_.push_back(name);
  }
  fs::path data_file(const std::string& name) const { return dir_ / name; }
  const std::vector<std::string>& images() const { return images_; }

  void write(const std::string& title) const {
    std::ostringstream html;
    html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>"
         << html_escape(title) << "</title>\n<style>\n"
         << "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\n"
         << "table{border-collapse:collapse;font-size:0.85em}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}\n"
         << "td.cell{text-align:left;font-family:monospace}figure{margin:1em 0}img{max-width:100%}\n"
         << ".note{color:#a50}#image-check{color:#777;font-size:0.8em}\n</style></head><body>\n<h1>"
         << html_escape(title) << "</h1>\n"
         << body_.str()
         << "<p id=\"image-check\">images: not checked (scripts off)</p>\n"
         // Lets a headless browser (and a person) see at a glance that every plot loaded.
         << "<script>\nwindow.addEventListener('load', function () {\n"
         << "  var imgs = document.images, ok = 0;\n"
         << "  for (var i = 0; i < imgs.length; i++) if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;\n"
         << "  document.getElementById('image-check').textContent = 'images: ' + ok + ' of ' + imgs.length + ' loaded';\n"
         << "});\n</script>\n</body></html>\n";
    const fs::path path = dir_ / "index.html";
    std::ofstream out(path);
    out << html.str();
    if (!out.flush()) throw runtime_failure(path.string() + ": cannot write");
  }

 private:
  fs::path dir_;
  std::ostringstream body_;
  std::vector<std::string> images_;
};

void suggest_section(Page& page, const std::string& path) {
  const nlohmann::json s = read_json(path, "a `d2a suggest --json` output");
  if (!s.contains("suggestions") || !s["suggestions"].is_array()) {
    throw bad_input(path + ": no 'suggestions' (expected the output of `d2a suggest --json`)");
  }
  const auto& cells = s["suggestions"];
  const nlohmann::json target = s.value("target", nlohmann::json());
  const bool latency = !target.is_null() && target.contains("device");
  page.heading("Suggestion");
  page.paragraph("Data <code>" + html_escape(s.value("data", std::string("?"))) + "</code>, " +
                 std::to_string(s.value("classes", 0)) + " classes; model <code>" +
                 html_escape(s.value("model", std::string("?"))) + "</code>; seed " +
                 std::to_string(s.value("seed", 0)) +
                 (latency ? "; target " + html_escape(target["device"].get<std::string>()) : ""));
  std::ostringstream table;
  table << "<table><tr><th>rank</th><th>score</th><th>top %</th><th>est. acc.</th><th>MFLOPs</th>"
        << "<th>M params</th>" << (latency ? "<th>latency ms</th><th>energy mJ</th>" : "")
        << "<th>Pareto</th><th>cell</th></tr>\n";
  for (const auto& c : cells) {
    const nlohmann::json pct = c.value("percentile", nlohmann::json());
    table << "<tr><td>" << c.value("rank", 0) << "</td><td>" << cell_text(c["score"]) << "</td><td>"
          << (pct.is_number() ? fixed(100 - pct.get<double>(), 2) : "-") << "</td><td>"
          << cell_text(c["predicted_accuracy"], 1) << "</td><td>" << cell_text(c["mflops"], 1)
          << "</td><td>" << cell_text(c["mparams"]) << "</td>";
    if (latency) {
      table << "<td>" << cell_text(c.value("latency_ms", nlohmann::json())) << "</td><td>"
            << cell_text(c.value("energy_mj", nlohmann::json())) << "</td>";
    }
    table << "<td>" << (c.value("pareto", false) ? "*" : "") << "</td><td class=\"cell\">"
          << html_escape(c.value("arch", std::string())) << "</td></tr>\n";
  }
  table << "</table>\n";
  page.raw(table.str());

  // The front: every suggestion as a point, the Pareto set joined as a staircase, the bound.
  const std::string x_key = latency ? "latency_ms" : "mflops";
  const fs::path all = page.data_file("pareto-all.dat"), front = page.data_file("pareto-front.dat");
  std::ofstream a(all), f(front);
  std::vector<std::pair<double, double>> front_points;
  for (const auto& c : cells) {
    const nlohmann::json x = c.value(x_key, nlohmann::json());
    if (!x.is_number()) continue;
    a << x.get<double>() << ' ' << c["score"].get<double>() << '\n';
    if (c.value("pareto", false)) front_points.emplace_back(x.get<double>(), c["score"].get<double>());
  }
  std::sort(front_points.begin(), front_points.end());
  for (const auto& [x, y] : front_points) f << x << ' ' << y << '\n';
  if (front_points.empty()) f << "NaN NaN\n";
  a.close();
  f.close();
  std::ostringstream script;
  script << "set terminal pngcairo noenhanced size 900,520 font ',10'\nset grid\n"
         << "set xlabel '" << (latency ? "latency on " + target["device"].get<std::string>() + " (ms)" : "MFLOPs")
         << "'\nset ylabel 'score (higher is better)'\nset key bottom right\n";
  double bound = NAN;
  if (latency && target.contains("bounds") && target["bounds"]["max_latency_ms"].is_number()) {
    bound = target["bounds"]["max_latency_ms"].get<double>();
    script << "set arrow from " << bound << ", graph 0 to " << bound
           << ", graph 1 nohead lw 2 lc rgb '#cc3333' dt 2\n"
           << "set label 'bound " << bound << " ms' at " << bound << ", graph 0.95 right offset -1,0 tc rgb '#cc3333'\n";
  }
  script << "plot '" << all.string() << "' using 1:2 with points pt 7 ps 0.8 lc rgb '#8899aa' title 'suggested cells', '"
         << front.string() << "' using 1:2 with steps lw 2 lc rgb '#1f6fb4' title 'Pareto set', '"
         << front.string() << "' using 1:2 with points pt 7 ps 1.2 lc rgb '#1f6fb4' notitle\n";
  page.plot("pareto.png", script.str(),
            std::string("Score against ") + (latency ? "latency" : "FLOPs") + " of the " +
                std::to_string(cells.size()) + " suggested cells; the line joins the Pareto set" +
                (std::isnan(bound) ? "" : ", the dashed line is the latency bound"));
}

void bench_section(Page& page, const ReportArgs& args) {
  const CsvTable scores = CsvTable::read(args.scores);
  const Nb201Table table = Nb201Table::load(args.bench);
  const auto& metrics = table.metrics();
  if (std::find(metrics.begin(), metrics.end(), args.bench_metric) == metrics.end()) {
    std::string valid;
    for (const auto& m : metrics) valid += (valid.empty() ? "" : ", ") + m;
    throw bad_input("--bench-metric '" + args.bench_metric + "' is not in " + args.bench + " (valid: " + valid + ")");
  }
  const std::size_t arch_col = scores.column("arch"), score_col = scores.column("score");
  const fs::path data = page.data_file("prediction.dat");
  std::ofstream out(data);
  std::vector<double> predicted, truth;
  for (std::size_t r = 0; r < scores.num_rows(); ++r) {
    const Nb201Cell cell = Nb201Cell::parse(scores.cell(r, arch_col));
    const double score = scores.number(r, score_col);
    const double acc = table.accuracy(table.index_of(cell), args.bench_metric);
    out << score << ' ' << acc << '\n';
    predicted.push_back(score);
    truth.push_back(acc);
  }
  out.close();
  page.heading("Predictor against the benchmark (evaluation only)");
  page.paragraph(std::to_string(predicted.size()) + " cells of <code>" + html_escape(args.scores) +
                 "</code> against <code>" + html_escape(args.bench_metric) + "</code> of <code>" +
                 html_escape(args.bench) + "</code>: Spearman " + fixed(spearman(predicted, truth), 3) +
                 ". The benchmark is read here only; nothing was trained on it.");
  std::ostringstream script;
  script << "set terminal pngcairo noenhanced size 900,520 font ',10'\nset grid\n"
         << "set xlabel 'predictor score'\nset ylabel '" << args.bench_metric << " (%)'\nset key off\n"
         << "plot '" << data.string() << "' using 1:2 with points pt 7 ps 0.3 lc rgb '#1f6fb4'\n";
  page.plot("prediction.png", script.str(), "Predicted score against benchmark accuracy, one point per cell");
}

void search_section(Page& page, const std::string& dir) {
  const nlohmann::json r = read_json((fs::path(dir) / "result.json").string(), "a `d2a search` result");
  page.heading("Search");
  page.paragraph(html_escape(r.value("method", std::string("?"))) + " on " +
                 html_escape(r.value("space", std::string("?"))) + ", " +
                 count_of(r.value("epochs", 0), "epoch") + "; genotype <code>" +
                 html_escape(r.value("genotype", std::string("?"))) + "</code>");
  const fs::path data = page.data_file("losses.dat");
  std::ofstream out(data);
  for (const auto& e : r.value("history", nlohmann::json::array())) {
    out << e["epoch"].get<int>() << ' ' << e["train_loss"].get<double>() << ' '
        << e["valid_loss"].get<double>() << ' ' << e["train_accuracy"].get<double>() << ' '
        << e["valid_accuracy"].get<double>() << '\n';
  }
  out.close();
  std::ostringstream script;
  script << "set terminal pngcairo noenhanced size 900,420 font ',10'\nset grid\nset xlabel 'epoch'\n"
         << "set multiplot layout 1,2\nset ylabel 'loss'\n"
         << "plot '" << data.string() << "' using 1:2 with linespoints title 'train', '' using 1:3 with linespoints title 'valid'\n"
         << "set ylabel 'accuracy (%)'\n"
         << "plot '" << data.string() << "' using 1:4 with linespoints title 'train', '' using 1:5 with linespoints title 'valid'\n"
         << "unset multiplot\n";
  page.plot("losses.png", script.str(), "Supernet losses and accuracies per epoch");
  const fs::path alphas = fs::path(dir) / "alphas.png";
  if (fs::exists(alphas)) {
    page.image(alphas, "alphas.png", "Op weights of every edge over the epochs");
  } else {
    page.paragraph("<span class=\"note\">No alphas.png in " + html_escape(dir) + ".</span>");
  }
}

}  // namespace

void add_report_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<ReportArgs>();
  auto* command = app.add_subcommand(
      "report", "Write an HTML page with plots of a suggestion, a benchmark comparison or a search");
  command->footer(
      "Writes OUT/index.html and its PNG plots (gnuplot): --suggest FILE (the output of `d2a "
      "suggest --json`, best with --top 100 --pareto and --target) gives the table of cells and "
      "the Pareto front with the bound; --scores CSV (`suggest --all --scores-out`) with --bench "
      "TABLE plots the predictor against the benchmark's accuracy over the space (evaluation "
      "only); --search DIR (a `d2a search --out`) plots the losses and the alpha evolution. The "
      "folder is self-contained: open index.html in any browser.");
  command->add_option("--out", args->out, "Report folder to write (created)")->required();
  command->add_option("--suggest", args->suggest, "`d2a suggest --json` output");
  command->add_option("--scores", args->scores, "`d2a suggest --scores-out` CSV (with --bench)");
  command->add_option("--bench", args->bench, "NAS-Bench-201 accuracy table (with --scores)");
  command->add_option("--bench-metric", args->bench_metric, "Its column to compare with")
      ->capture_default_str();
  command->add_option("--search", args->search, "`d2a search --out` directory");
  command->add_option("--title", args->title, "Page title")->capture_default_str();
  set_action(command, action, [args](const CommonOptions& options, const std::string&) {
    if (args->suggest.empty() && args->scores.empty() && args->search.empty()) {
      throw bad_input("report: nothing to report (give --suggest, --scores with --bench, or --search)");
    }
    if (args->scores.empty() != args->bench.empty()) {
      throw bad_input("report: --scores and --bench go together");
    }
    if (!args->search.empty() && !fs::is_directory(args->search)) {
      throw bad_input(args->search + ": no such search directory");
    }
    std::error_code error;
    fs::create_directories(args->out, error);
    if (error) throw bad_input(args->out + ": cannot create (" + error.message() + ")");
    Page page(args->out);
    if (!args->suggest.empty()) suggest_section(page, args->suggest);
    if (!args->scores.empty()) bench_section(page, *args);
    if (!args->search.empty()) search_section(page, args->search);
    page.write(args->title);
    const fs::path index = fs::path(args->out) / "index.html";
    const nlohmann::json result = {{"out", args->out}, {"index", index.string()},
                                   {"images", page.images()}, {"seed", options.seed}};
    print_result(options, result, [&](std::ostream& out) {
      out << "wrote " << index.string() << " with " << page.images().size() << " plots\n";
    });
    return 0;
  });
}

}  // namespace d2a::cli
