#pragma once
// Ctrl-C and SIGTERM for the commands that write long-running results (db build, search,
// meta-train). While an InterruptScope lives, the first signal only raises a flag: the command
// finishes the record, step or epoch in flight, saves, says how to resume and exits 130 (what a
// shell reports for Ctrl-C). A second signal ends the process at once, also with 130; what was
// saved before stays readable (every save is atomic). Outside a scope the signals keep their
// default effect, so a short command still stops at the first Ctrl-C.

namespace d2a {

inline constexpr int kInterruptedExitStatus = 130;

class InterruptScope {
 public:
  InterruptScope();   // installs the handlers (SIGINT, SIGTERM) and clears the flag
  ~InterruptScope();  // restores the previous handlers
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

// True once SIGINT or SIGTERM arrived inside a scope.
bool interrupt_requested();

// The signal's name for messages ("SIGTERM"), or "" when none arrived.
const char* interrupt_signal_name();

}  // namespace d2a
