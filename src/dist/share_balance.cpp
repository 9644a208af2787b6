#include "d2a/dist/share_balance.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <sstream>

#include "d2a/error.h"
#include "d2a/split.h"

namespace d2a::dist {
namespace {

Error bad_balance(const std::string& text, const std::string& why) {
  return bad_input("--balance '" + text + "': " + why +
                   " (give equal, speed, or one positive weight per process, e.g. 3,1)");
}

std::vector<double> normalised(const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<double> out(weights.size());
  for (std::size_t i = 0; i < weights.size(); ++i) out[i] = weights[i] / sum;
  return out;
}

}  // namespace

std::string ShareBalance::str() const {
  if (mode == Mode::kEqual) return "equal";
  if (mode == Mode::kSpeed) return "speed";
  std::ostringstream out;
  for (std::size_t i = 0; i < weights.size(); ++i) out << (i ? "," : "") << weights[i];
  return out.str();
}

ShareBalance parse_share_balance(const std::string& text) {
  ShareBalance balance;
  if (text == "equal") return balance;
  if (text == "speed") {
    balance.mode = ShareBalance::Mode::kSpeed;
    return balance;
  }
  balance.mode = ShareBalance::Mode::kFixed;
  for (const std::string_view piece : split_at(text, ',')) {
    const std::string item(piece);
    char* end = nullptr;
    const double w = item.empty() ? 0.0 : std::strtod(item.c_str(), &end);
    if (item.empty() || end != item.c_str() + item.size()) {
      throw bad_balance(text, "'" + item + "' is not a number");
    }
    if (!std::isfinite(w) || w <= 0) throw bad_balance(text, "weights must be positive");
    balance.weights.push_back(w);
  }
  return balance;
}

std::pair<std::int64_t, std::int64_t> shard_range(std::int64_t n, int rank, int world_size) {
  const std::int64_t base = n / world_size;
  const std::int64_t extra = n % world_size;
  const std::int64_t first = rank * base + std::min<std::int64_t>(rank, extra);
  return {first, base + (rank < extra ? 1 : 0)};
}

void check_share_balance(const ShareBalance& balance, int world_size) {
  if (balance.mode == ShareBalance::Mode::kFixed &&
      static_cast<int>(balance.weights.size()) != world_size) {
    throw bad_input("--balance " + balance.str() + " gives " +
                    std::to_string(balance.weights.size()) + " weights but the job has " +
                    std::to_string(world_size) + " processes (one weight per process)");
  }
}

std::vector<std::pair<std::int64_t, std::int64_t>> proportional_shares(
    std::int64_t n, const std::vector<double>& weights) {
  const auto ranks = static_cast<std::int64_t>(weights.size());
  if (ranks == 0 || n < ranks) {
    throw bad_input("cannot split " + std::to_string(n) + " items among " + std::to_string(ranks) +
                    " processes (each needs at least one)");
  }
  // One item each first; the other n - ranks in proportion, whole parts then largest remainders.
  const std::vector<double> f = normalised(weights);
  const std::int64_t spare = n - ranks;
  std::vector<std::int64_t> counts(ranks, 1);
  std::vector<std::pair<double, std::int64_t>>
      remainders;  // (-remainder, rank): sorts largest first
  std::int64_t given = 0;
  for (std::int64_t r = 0; r < ranks; ++r) {
    const double exact = f[r] * static_cast<double>(spare);
    const auto whole = static_cast<std::int64_t>(std::floor(exact));
    counts[r] += whole;
    given += whole;
    remainders.push_back({-(exact - static_cast<double>(whole)), r});
  }
  std::sort(remainders.begin(), remainders.end());
  for (std::int64_t i = 0; given < spare; ++i, ++given) ++counts[remainders[i % ranks].second];
  std::vector<std::pair<std::int64_t, std::int64_t>> shares;
  std::int64_t first = 0;
  for (const std::int64_t c : counts) {
    shares.push_back({first, c});
    first += c;
  }
  return shares;
}

ShareBalancer::ShareBalancer(const ShareBalance& balance, int world_size, int interval_steps)
    : fractions_(static_cast<std::size_t>(world_size), 1.0 / world_size),
      interval_steps_(std::max(interval_steps, 1)) {
  check_share_balance(balance, world_size);
  if (balance.mode == ShareBalance::Mode::kFixed) {
    fractions_ = normalised(balance.weights);
    equal_ = false;
  }
  measures_ = balance.mode == ShareBalance::Mode::kSpeed && world_size > 1;
}

std::pair<std::int64_t, std::int64_t> ShareBalancer::share(std::int64_t n, int rank) const {
  const int world = static_cast<int>(fractions_.size());
  // A run without --balance splits as it always did.
  if (equal_) return shard_range(n, rank, world);
  return proportional_shares(n, fractions_)[static_cast<std::size_t>(rank)];
}

bool ShareBalancer::record(double seconds, std::int64_t images) {
  if (!measures_) return false;
  seconds_ += seconds;
  images_ += images;
  return ++steps_ >= interval_steps_;
}

double ShareBalancer::take_rate() {
  const double rate = seconds_ > 0 ? static_cast<double>(images_) / seconds_ : 0.0;
  steps_ = 0;
  seconds_ = 0;
  images_ = 0;
  return rate;
}

void ShareBalancer::update(const std::vector<double>& rates) {
  if (rates.size() != fractions_.size()) return;
  for (const double r : rates) {
    if (!(r > 0) || !std::isfinite(r)) return;
  }
  const std::vector<double> target = normalised(rates);
  for (std::size_t i = 0; i < fractions_.size(); ++i) {
    fractions_[i] = 0.5 * (fractions_[i] + target[i]);
  }
  equal_ = false;
  ++updates_;
}

}  // namespace d2a::dist
