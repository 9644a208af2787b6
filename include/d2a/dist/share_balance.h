#pragma once
// How `d2a train` splits each batch among the ranks of a data-parallel job. PyTorch's DDP gives
// every rank an equal share, and a synchronous step then lasts as long as the slowest rank's
// share: on machines of unequal speed (mixed node generations, or the two virtual CPUs of this
// project's machine, which differ by 8-40 % from hour to hour) the faster ranks wait. Shares in
// proportion to each rank's speed remove the wait; since the loss is weighted by the share's size
// (trainer.cpp), the averaged gradient stays the whole batch's mean, and with --sync-bn the step
// is still that of one process on the whole batch, whatever the split.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace d2a::dist {

struct ShareBalance {
  enum class Mode {
    kEqual,  // shares differing by at most one image (PyTorch DDP; deterministic)
    kFixed,  // in proportion to `weights`, one per rank (deterministic)
    kSpeed,  // in proportion to each rank's measured images per second, re-measured as it goes
  };
  Mode mode = Mode::kEqual;
  std::vector<double> weights;  // kFixed: one positive weight per rank, in rank order
  std::string str() const;      // "equal", "speed" or the weights, "3,1"
};

// Parses --balance: "equal", "speed", or positive weights separated by commas ("3,1"). Anything
// else: d2a::Error (exit 2) naming --balance and the text.
ShareBalance parse_share_balance(const std::string& text);

// The [first, first + count) share of `n` items that `rank` of `world_size` takes: contiguous,
// in rank order, sizes differing by at most one (the equal split).
std::pair<std::int64_t, std::int64_t> shard_range(std::int64_t n, int rank, int world_size);

// --balance checked against a job of `world_size` processes: fixed weights must be one per
// process (else d2a::Error, exit 2, naming --balance).
void check_share_balance(const ShareBalance& balance, int world_size);

// The [first, count) of every rank, in rank order, for a batch of `n` items split in proportion
// to `weights` (positive, any scale): every rank gets at least one item (n >= weights.size()),
// the rest go by the largest remainder, ties to the lower rank. Contiguous and covering [0, n).
std::vector<std::pair<std::int64_t, std::int64_t>> proportional_shares(
    std::int64_t n, const std::vector<double>& weights);

// One rank's view of the split. Every rank holds one and feeds it the same numbers (the fixed
// weights, or the all-reduced rates), so all ranks compute the same shares.
class ShareBalancer {
 public:
  // `interval_steps`: steps each rank times before the ranks exchange their rates (kSpeed).
  ShareBalancer(const ShareBalance& balance, int world_size, int interval_steps = 8);

  // This rank's [first, count) of a batch of `n` (n >= world size).
  std::pair<std::int64_t, std::int64_t> share(std::int64_t n, int rank) const;
  // The fraction of a batch each rank takes now, in rank order (sums to 1).
  const std::vector<double>& fractions() const { return fractions_; }
  bool measures_speed() const { return measures_; }

  // One step of this rank's own work (its share's forward and backward, not the wait for the
  // other ranks): true when `interval_steps` steps have been timed since the last exchange.
  bool record(double seconds, std::int64_t images);
  // This rank's images per second since the last exchange (0 if it timed nothing); the window
  // starts again.
  double take_rate();
  // Every rank's take_rate(), in rank order (the same on every rank): the fractions move halfway
  // from where they are to the rates' proportions (halfway, so one noisy window does not swing
  // the split). A rate that is not positive leaves the fractions as they are.
  void update(const std::vector<double>& rates);
  int updates() const { return updates_; }

 private:
  std::vector<double> fractions_;
  bool measures_ = false;
  bool equal_ = true;
  int interval_steps_;
  int steps_ = 0;
  double seconds_ = 0;
  std::int64_t images_ = 0;
  int updates_ = 0;
};

}  // namespace d2a::dist
